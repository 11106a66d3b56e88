package controller_test

import (
	"fmt"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/revision"
)

// TestRevisionNumbersNeverRepeat: with revisionHistoryLimit 1, five releases prune old
// ReplicaSets as they go; every revision still gets a number of its own, in order, so undo
// --to-revision always means one revision (issue 14, defect 7).
func TestRevisionNumbersNeverRepeat(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.route(nil)
	ro := r.Rollout(1, setWeight(50))
	ro.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](0)
	r.healthy(ro)
	numbers := map[string]int{} // hash -> revision number, as first seen
	record := func() {
		var list appsv1.ReplicaSetList
		g.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS))).To(Succeed())
		for _, rs := range list.Items {
			if !metav1.IsControlledBy(&rs, r.Get()) {
				continue
			}
			n, err := strconv.Atoi(rs.Annotations[revision.RevisionAnnotation])
			g.Expect(err).NotTo(HaveOccurred(), "revision annotation of %s", rs.Name)
			hash := rs.Labels[revision.HashLabel]
			if seen, ok := numbers[hash]; ok {
				g.Expect(n).To(Equal(seen), "revision %s keeps its number", hash)
			}
			numbers[hash] = n
		}
	}
	record()
	for i := 2; i <= 6; i++ {
		r.setImage(fmt.Sprintf("web:%d", i))
		done := r.waitHealthy()
		record()
		g.Expect(numbers[done.Status.StableRS]).To(Equal(i), "release %d is revision %d", i, i)
		// Old revisions beyond the limit are pruned meanwhile.
		g.Eventually(func() int {
			var list appsv1.ReplicaSetList
			g.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS))).To(Succeed())
			return len(list.Items)
		}, timeout, poll).Should(BeNumerically("<=", 2))
	}
	seen := map[int]string{}
	for hash, n := range numbers {
		g.Expect(seen).NotTo(HaveKey(n), "revision number %d given to %s and %s", n, seen[n], hash)
		seen[n] = hash
	}
	g.Expect(numbers).To(HaveLen(6))
	g.Expect(r.Get().Status.NewestRevision.Number).To(Equal(int64(6)))
}
