package ops

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/revision"
)

// restartPoll is how often restart looks at the replacement pods of a batch.
const restartPoll = 500 * time.Millisecond

// Restart replaces the pods of the stable revision without a new release: the pod
// template doesn't change, so no new revision and no steps. Pods are deleted in batches of
// maxUnavailable (25% of replicas by default, at least 1); after each batch the ReplicaSet
// recreates them and the next batch waits until as many pods as before are Ready again,
// so serving capacity never drops by more than maxUnavailable. progress is told each step.
func Restart(ctx context.Context, c client.Client, ns, name string, progress func(string)) (int, error) {
	ro, err := kube.GetRollout(ctx, c, ns, name)
	if err != nil {
		return 0, err
	}
	stable := ro.Status.StableRS
	if stable == "" {
		return 0, fmt.Errorf("rollout %s has no stable revision yet (is weir-controller running?)", name)
	}
	rs, err := stableReplicaSet(ctx, c, ns, ro.Name+"-"+stable)
	if err != nil {
		return 0, err
	}
	if !metav1.IsControlledBy(rs, ro) || rs.Labels[revision.HashLabel] != stable {
		return 0, fmt.Errorf("ReplicaSet %s is not the stable revision of rollout %s", rs.Name, name)
	}
	pods, err := activePods(ctx, c, rs)
	if err != nil {
		return 0, err
	}
	if len(pods) == 0 {
		return 0, fmt.Errorf("the stable revision %s of rollout %s has no pods to restart", stable, name)
	}
	replicas := ptr.Deref(rs.Spec.Replicas, 1)
	var maxUnavailable = planner.ScaledValue(nil, weirv1.DefaultMaxUnavailable, replicas, false)
	if cs := ro.Spec.Strategy.Canary; cs != nil {
		maxUnavailable = planner.ScaledValue(cs.MaxUnavailable, weirv1.DefaultMaxUnavailable, replicas, false)
	}
	batch := max(int(maxUnavailable), 1)
	want := min(int(replicas), len(pods)) // Ready pods to get back to after each batch
	progress(fmt.Sprintf("restarting %d pods of stable revision %s (ReplicaSet %s), %d at a time", len(pods), stable, rs.Name, batch))
	for start := 0; start < len(pods); start += batch {
		for _, p := range pods[start:min(start+batch, len(pods))] {
			err := c.Delete(ctx, &p, client.Preconditions{UID: ptr.To(p.UID)})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return start, fmt.Errorf("deleting pod %s: %w", p.Name, err)
			}
			progress("deleted pod " + p.Name)
		}
		if err := waitReady(ctx, c, rs, want); err != nil {
			return min(start+batch, len(pods)), err
		}
		progress(fmt.Sprintf("%d/%d pods ready again", want, want))
	}
	return len(pods), nil
}

func stableReplicaSet(ctx context.Context, c client.Client, ns, name string) (*appsv1.ReplicaSet, error) {
	var rs appsv1.ReplicaSet
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &rs); err != nil {
		return nil, fmt.Errorf("reading the stable ReplicaSet %s: %w", name, err)
	}
	return &rs, nil
}

// activePods are the ReplicaSet's pods that are not already going away, by name.
func activePods(ctx context.Context, c client.Client, rs *appsv1.ReplicaSet) ([]corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := c.List(ctx, &list, client.InNamespace(rs.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("listing the pods of %s: %w", rs.Name, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if metav1.IsControlledBy(&p, rs) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// waitReady waits until the ReplicaSet has want Ready pods that are not being deleted.
func waitReady(ctx context.Context, c client.Client, rs *appsv1.ReplicaSet, want int) error {
	for {
		pods, err := activePods(ctx, c, rs)
		if err != nil {
			return err
		}
		ready := 0
		for i := range pods {
			if podReady(&pods[i]) {
				ready++
			}
		}
		if ready >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the pods of %s to be Ready again (%d of %d): %w", rs.Name, ready, want, ctx.Err())
		case <-time.After(restartPoll):
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
