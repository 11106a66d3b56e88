package controller

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/routing"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// apply carries out a plan. It goes on after an error so one broken object doesn't stop
// traffic from moving back to stable, and returns every error it met.
func (r *RolloutReconciler) apply(ctx context.Context, ro *weirv1.Rollout, obs *observed, plan *planner.Plan) error {
	var errs []error
	// The plan says which goes first, Services or routes (see Plan.SelectorsFirst); routes
	// always go before anything else can fail.
	if plan.SelectorsFirst {
		errs = append(errs, r.applySelectors(ctx, ro, obs, plan.Selectors))
	}
	if plan.Traffic != nil {
		errs = append(errs, r.applyRoutes(ctx, ro, obs, *plan.Traffic))
	}
	errs = append(errs, r.applyReplicaSets(ctx, ro, obs, plan))
	if !plan.SelectorsFirst {
		errs = append(errs, r.applySelectors(ctx, ro, obs, plan.Selectors))
	}
	errs = append(errs, r.applyAnalysisRuns(ctx, ro, obs, plan))
	errs = append(errs, r.applyWorkload(ctx, obs.workload, plan.WorkloadReplicas))
	return errors.Join(errs...)
}

func (r *RolloutReconciler) applyReplicaSets(ctx context.Context, ro *weirv1.Rollout, obs *observed, plan *planner.Plan) error {
	var errs []error
	for hash, replicas := range plan.Scale {
		rs, ok := obs.replicaSets[hash]
		if !ok {
			if hash == obs.input.CurrentHash {
				errs = append(errs, r.createReplicaSet(ctx, ro, hash, replicas, plan.NewRevision))
			}
			continue
		}
		patch := client.MergeFrom(rs.DeepCopy())
		changed := false
		if derefReplicas(rs.Spec.Replicas) != replicas {
			rs.Spec.Replicas = ptr.To(replicas)
			changed = true
		}
		if rs.Spec.MinReadySeconds != ro.Spec.MinReadySeconds {
			rs.Spec.MinReadySeconds = ro.Spec.MinReadySeconds
			changed = true
		}
		// Older Weir versions stamped the scale-down time here (it is in status now).
		if _, stamped := rs.Annotations[revision.ScaleDownAtAnnotation]; stamped && replicas == 0 {
			delete(rs.Annotations, revision.ScaleDownAtAnnotation)
			changed = true
		}
		if changed {
			errs = append(errs, r.Client.Patch(ctx, rs, patch))
		}
	}
	for _, name := range plan.Delete {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		errs = append(errs, client.IgnoreNotFound(r.Client.Delete(ctx, rs)))
	}
	return errors.Join(errs...)
}

func (r *RolloutReconciler) createReplicaSet(ctx context.Context, ro *weirv1.Rollout, hash string, replicas int32, number int64) error {
	template := ro.Spec.Template.DeepCopy()
	if template.Labels == nil {
		template.Labels = map[string]string{}
	}
	template.Labels[revision.HashLabel] = hash
	selector := ro.Spec.Selector.DeepCopy()
	if selector.MatchLabels == nil {
		selector.MatchLabels = map[string]string{}
	}
	selector.MatchLabels[revision.HashLabel] = hash
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:        replicaSetName(ro, hash),
			Namespace:   ro.Namespace,
			Labels:      template.Labels,
			Annotations: map[string]string{revision.RevisionAnnotation: strconv.FormatInt(number, 10)},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        ptr.To(replicas),
			MinReadySeconds: ro.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        *template,
		},
	}
	if err := controllerutil.SetControllerReference(ro, rs, r.Client.Scheme()); err != nil {
		return err
	}
	err := r.Client.Create(ctx, rs)
	if apierrors.IsAlreadyExists(err) {
		return nil // the cache was behind; the next reconcile sees it
	}
	return err
}

// applySelectors points Services at a revision with server-side apply (hash "" gives the
// selector back: the user's labels without Weir's). The selector is an atomic map, so Weir
// applies the whole of it: the user's labels plus the hash label.
func (r *RolloutReconciler) applySelectors(ctx context.Context, ro *weirv1.Rollout, obs *observed, selectors map[string]string) error {
	var errs []error
	for name, hash := range selectors {
		svc, ok := obs.services[name]
		if !ok || svc.Spec.Selector[revision.HashLabel] == hash {
			continue
		}
		selector := map[string]string{}
		for k, v := range svc.Spec.Selector {
			selector[k] = v
		}
		if len(svc.Spec.Selector) == 0 {
			for k, v := range ro.Spec.Selector.MatchLabels {
				selector[k] = v
			}
		}
		selector[revision.HashLabel] = hash
		if hash == "" { // given back (the Rollout is being deleted): the app's labels only
			delete(selector, revision.HashLabel)
		}
		apply := corev1ac.Service(name, ro.Namespace).WithSpec(corev1ac.ServiceSpec().WithSelector(selector))
		errs = append(errs, r.Client.Apply(ctx, apply, client.FieldOwner(FieldManager), client.ForceOwnership))
	}
	return errors.Join(errs...)
}

// applyRoutes gives every named route the traffic state with server-side apply, through
// its kind's router. The resourceVersion read guards against overwriting a concurrent edit.
func (r *RolloutReconciler) applyRoutes(ctx context.Context, ro *weirv1.Rollout, obs *observed, t planner.Traffic) error {
	backends := routing.BackendsOf(ro)
	var errs []error
	for _, n := range registry.RoutesOf(ro.Spec.Strategy) {
		obj, ok := obs.routes[n.Key()]
		if !ok {
			continue
		}
		apply, err := n.Router.Apply(obj, n.Ref, backends, t)
		if err != nil || apply == nil {
			errs = append(errs, err)
			continue
		}
		err = r.Client.Apply(ctx, apply, client.FieldOwner(FieldManager), client.ForceOwnership)
		if apierrors.IsConflict(err) {
			err = fmt.Errorf("%s %s changed while Weir set its weights (retrying): %w", n.Router.Kind(), n.Ref.Name, err)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// applyAnalysisRuns creates the runs the plan wants, deletes those beyond the history limit
// and terminates the others still running.
func (r *RolloutReconciler) applyAnalysisRuns(ctx context.Context, ro *weirv1.Rollout, obs *observed, plan *planner.Plan) error {
	want := plan.AnalysisRuns
	var errs []error
	wanted := map[string]bool{}
	for _, p := range want {
		wanted[p.Name] = true
		if _, ok := obs.runs[p.Name]; ok {
			continue
		}
		run, err := r.buildAnalysisRun(ctx, ro, obs, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.Client.Create(ctx, run); err != nil && !apierrors.IsAlreadyExists(err) {
			errs = append(errs, err)
		}
	}
	for _, name := range plan.DeleteAnalysisRuns {
		run := &weirv1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		errs = append(errs, client.IgnoreNotFound(r.Client.Delete(ctx, run)))
	}
	for name, run := range obs.runs {
		if wanted[name] || run.Spec.Terminate || run.Status.Phase.Completed() {
			continue
		}
		patch := client.MergeFrom(run.DeepCopy())
		run.Spec.Terminate = true
		errs = append(errs, client.IgnoreNotFound(r.Client.Patch(ctx, run, patch)))
	}
	return errors.Join(errs...)
}
