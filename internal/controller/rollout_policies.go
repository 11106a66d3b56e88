package controller

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=releasepolicies,verbs=get;list;watch

// gatherPolicies reads the ReleasePolicies that select a Rollout and the upstream Rollouts
// they name.
//
// Before a release is let start, the policies are read from the API server rather than the
// cache: a commit that changes a policy and an image together reaches Weir through two
// informers, and the Rollout's can come first. The GitOps suite saw exactly that: a release
// committed with a freeze was admitted under the policy as it was before the commit.
func (r *RolloutReconciler) gatherPolicies(ctx context.Context, ro *weirv1.Rollout, obs *observed) error {
	var reader client.Reader = r.Client
	hash := obs.input.CurrentHash
	admitted := ro.Status.Policy != nil && ro.Status.Policy.Admitted == hash
	if r.APIReader != nil && hash != ro.Status.StableRS && !admitted {
		reader = r.APIReader
	}
	var list weirv1.ReleasePolicyList
	if err := reader.List(ctx, &list, client.InNamespace(ro.Namespace)); err != nil {
		return err
	}
	for _, p := range list.Items {
		if planner.PolicySelects(&p, ro.Labels) {
			obs.input.Policies = append(obs.input.Policies, p)
		}
	}
	sort.Slice(obs.input.Policies, func(i, j int) bool { return obs.input.Policies[i].Name < obs.input.Policies[j].Name })
	for _, p := range obs.input.Policies {
		up := p.Spec.RequireUpstream
		if up == nil {
			continue
		}
		key := planner.UpstreamOf(up, ro.Name)
		var upstream weirv1.Rollout
		// An upstream that can't be read (absent, or outside this installation's namespaces)
		// stays out of the map: the planner holds the release and says it wasn't found.
		if err := r.Client.Get(ctx, key, &upstream); err != nil {
			continue
		}
		if obs.input.Upstreams == nil {
			obs.input.Upstreams = map[string]planner.Upstream{}
		}
		obs.input.Upstreams[key.String()] = planner.Upstream{History: upstream.Status.HealthyHistory}
	}
	return nil
}

// rolloutsSelectedBy wakes the Rollouts a ReleasePolicy selects when it changes (a window
// opened by an edit, a rule removed).
func (r *RolloutReconciler) rolloutsSelectedBy(ctx context.Context, o client.Object) []reconcile.Request {
	return r.rolloutsOf(ctx, o.GetNamespace(), func(*weirv1.Rollout) bool { return true })
}

// downstreamsOf wakes the Rollouts whose policies name a Rollout as upstream, when its
// healthy history changes: production starts as soon as staging is Healthy on the images,
// its soak's end is then a timer.
func (r *RolloutReconciler) downstreamsOf(ctx context.Context, o client.Object) []reconcile.Request {
	var policies weirv1.ReleasePolicyList
	if err := r.Client.List(ctx, &policies); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, p := range policies.Items {
		up := p.Spec.RequireUpstream
		if up == nil || up.Namespace != o.GetNamespace() || up.Rollout != "" && up.Rollout != o.GetName() {
			continue
		}
		upstream := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
		reqs = append(reqs, r.rolloutsOf(ctx, p.Namespace, func(ro *weirv1.Rollout) bool {
			return planner.PolicySelects(&p, ro.Labels) && planner.UpstreamOf(up, ro.Name) == upstream
		})...)
	}
	return reqs
}

// healthyHistoryChanged passes the status updates a downstream's requireUpstream reads.
func healthyHistoryChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, _ := e.ObjectOld.(*weirv1.Rollout)
			n, _ := e.ObjectNew.(*weirv1.Rollout)
			return o != nil && n != nil && !equality.Semantic.DeepEqual(o.Status.HealthyHistory, n.Status.HealthyHistory)
		},
	}
}
