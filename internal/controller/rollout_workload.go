package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments/scale,verbs=get;update

// gatherWorkload reads the Deployment a workloadRef names and makes its pod template the
// Rollout's, in memory (Weir never writes a Rollout's spec). It is read from the API server:
// the cache keeps only Deployments' metadata (every Deployment of the cluster is watched, so
// that a change of the template wakes its Rollout, and each must cost little).
func (r *RolloutReconciler) gatherWorkload(ctx context.Context, ro *weirv1.Rollout) (*planner.Workload, *appsv1.Deployment, error) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil, nil, nil
	}
	w := &planner.Workload{Name: ref.Name}
	var dep appsv1.Deployment
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: ref.Name}, &dep)
	switch {
	case apierrors.IsNotFound(err):
		return w, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("spec.workloadRef: %w", err)
	}
	ro.Spec.Template = *dep.Spec.Template.DeepCopy()
	w.Found = true
	w.Replicas = derefReplicas(dep.Spec.Replicas)
	w.Available = dep.Status.AvailableReplicas
	return w, &dep, nil
}

// applyWorkload scales the workloadRef's Deployment through its scale subresource: only
// spec.replicas changes (the chart's Deployment should leave replicas out, as for an HPA).
func (r *RolloutReconciler) applyWorkload(ctx context.Context, dep *appsv1.Deployment, replicas *int32) error {
	if dep == nil || replicas == nil {
		return nil
	}
	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: *replicas}}
	return r.Client.SubResource("scale").Update(ctx, dep, client.WithSubResourceBody(scale))
}
