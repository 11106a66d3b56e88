// Package revision names a Rollout's revisions: the pod-template hash that labels each
// revision's ReplicaSet and pods, and the labels and annotations Weir keeps on its own objects.
package revision

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

const (
	// HashLabel holds a revision's pod-template hash on its ReplicaSet, its pods, and in
	// the selectors Weir sets on the stable/canary Services.
	HashLabel = "rollouts.weir.dev/pod-template-hash"
	// ScaleDownAtAnnotation on a Weir-owned ReplicaSet is when it may scale to zero (an old
	// stable revision kept up for scaleDownDelaySeconds). Written by Weir before
	// status.scaleDowns existed; still read, and removed when the revision scales down.
	ScaleDownAtAnnotation = "rollouts.weir.dev/scale-down-at"
	// RevisionAnnotation numbers revisions in creation order, for undo.
	RevisionAnnotation = "rollouts.weir.dev/revision"
)

// Hash returns the hash of a pod template. A collision count, bumped when a ReplicaSet of
// that name already exists with a different template, gives another hash.
func Hash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	t := template.DeepCopy()
	delete(t.Labels, HashLabel)
	data, err := json.Marshal(t) // struct fields in order, map keys sorted: deterministic
	if err != nil {
		panic(fmt.Sprintf("pod template does not marshal: %v", err))
	}
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		h.Write([]byte(strconv.Itoa(int(*collisionCount))))
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}
