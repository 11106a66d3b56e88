package controller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/routing"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// observed is what one reconcile read: the planner's input plus the objects needed to
// apply its plan.
type observed struct {
	input       planner.Input
	replicaSets map[string]*appsv1.ReplicaSet // by hash
	services    map[string]*corev1.Service
	routes      map[string]client.Object // by registry.Named.Key()
	runs        map[string]*weirv1.AnalysisRun
	// collision is set when a ReplicaSet with the current revision's name exists but is
	// not this Rollout's revision.
	collision bool
	// workload is the Deployment a workloadRef names (nil without one, or when missing).
	workload *appsv1.Deployment
}

func (r *RolloutReconciler) gather(ctx context.Context, ro *weirv1.Rollout) (*observed, error) {
	workload, dep, err := r.gatherWorkload(ctx, ro)
	if err != nil {
		return nil, err
	}
	hash := revision.Hash(&ro.Spec.Template, ro.Status.CollisionCount)
	obs := &observed{
		replicaSets: map[string]*appsv1.ReplicaSet{},
		services:    map[string]*corev1.Service{},
		routes:      map[string]client.Object{},
		runs:        map[string]*weirv1.AnalysisRun{},
		input: planner.Input{
			Rollout:      ro,
			CurrentHash:  hash,
			Services:     map[string]planner.Service{},
			AnalysisRuns: map[string]planner.AnalysisRun{},
			Workload:     workload,
			Now:          r.Now(),
		},
		workload: dep,
	}
	if err := r.gatherReplicaSets(ctx, ro, obs); err != nil {
		return nil, err
	}
	for _, name := range referencedServices(ro) {
		var svc corev1.Service
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: name}, &svc)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, err
		}
		obs.services[name] = &svc
		obs.input.Services[name] = planner.Service{Hash: svc.Spec.Selector[revision.HashLabel], Ports: servicePorts(&svc)}
	}
	if err := r.gatherRoutes(ctx, ro, obs); err != nil {
		return nil, err
	}
	if obs.input.AnalysisProblem, err = r.checkAnalyses(ctx, ro); err != nil {
		return nil, err
	}
	if err := r.gatherPolicies(ctx, ro, obs); err != nil {
		return nil, err
	}
	var runs weirv1.AnalysisRunList
	if err := r.Client.List(ctx, &runs, client.InNamespace(ro.Namespace)); err != nil {
		return nil, err
	}
	for i := range runs.Items {
		run := &runs.Items[i]
		if !metav1.IsControlledBy(run, ro) {
			continue
		}
		obs.runs[run.Name] = run
		obs.input.AnalysisRuns[run.Name] = planner.AnalysisRun{Phase: run.Status.Phase, Message: run.Status.Message, OnError: run.Spec.OnError,
			Terminated: run.Spec.Terminate, Created: runStart(run), Waiting: waitingFor(run)}
	}
	return obs, nil
}

func (r *RolloutReconciler) gatherReplicaSets(ctx context.Context, ro *weirv1.Rollout, obs *observed) error {
	selector, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil {
		return fmt.Errorf("spec.selector: %w", err)
	}
	var list appsv1.ReplicaSetList
	if err := r.Client.List(ctx, &list, client.InNamespace(ro.Namespace), client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return err
	}
	current := replicaSetName(ro, obs.input.CurrentHash)
	for i := range list.Items {
		rs := &list.Items[i]
		if !metav1.IsControlledBy(rs, ro) {
			if rs.Name == current {
				obs.collision = true
			}
			continue
		}
		hash := rs.Labels[revision.HashLabel]
		if rs.Name == current && hash != obs.input.CurrentHash {
			obs.collision = true
		}
		obs.replicaSets[hash] = rs
		obs.input.ReplicaSets = append(obs.input.ReplicaSets, planner.ReplicaSet{
			Name:        rs.Name,
			Hash:        hash,
			Replicas:    derefReplicas(rs.Spec.Replicas),
			Available:   rs.Status.AvailableReplicas,
			Ready:       rs.Status.ReadyReplicas,
			Total:       rs.Status.Replicas,
			Revision:    revisionNumber(rs),
			ScaleDownAt: scaleDownAt(rs),
			Created:     rs.CreationTimestamp.Time,
		})
	}
	// A same-named ReplicaSet outside the selector is a collision too.
	if !obs.collision {
		var rs appsv1.ReplicaSet
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: current}, &rs)
		if err == nil && (!metav1.IsControlledBy(&rs, ro) || !selector.Matches(labels.Set(rs.Labels))) {
			obs.collision = true
		} else if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (r *RolloutReconciler) gatherRoutes(ctx context.Context, ro *weirv1.Rollout, obs *observed) error {
	backends := routing.BackendsOf(ro)
	for _, n := range registry.RoutesOf(ro.Spec.Strategy) {
		obj := n.Router.New()
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: n.Ref.NamespaceOr(ro.Namespace), Name: n.Ref.Name}, obj)
		switch {
		case apierrors.IsNotFound(err):
			obs.input.Routes = append(obs.input.Routes, n.Router.Observe(nil, n.Ref, backends))
			continue
		case err != nil:
			return err
		}
		obs.routes[n.Key()] = obj
		obs.input.Routes = append(obs.input.Routes, n.Router.Observe(obj, n.Ref, backends))
	}
	return nil
}

func replicaSetName(ro *weirv1.Rollout, hash string) string { return ro.Name + "-" + hash }

func derefReplicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// runStart orders runs by age: when the run started measuring (to the microsecond: two runs
// can be created within a second), else when it was created.
func runStart(run *weirv1.AnalysisRun) time.Time {
	if run.Status.StartedAt != nil {
		return run.Status.StartedAt.Time
	}
	return run.CreationTimestamp.Time
}

// waitingFor says what a running run waits for when a metric's provider doesn't answer.
func waitingFor(run *weirv1.AnalysisRun) string {
	if run.Status.Phase.Completed() {
		return ""
	}
	for _, mr := range run.Status.MetricResults {
		if mr.ConsecutiveError > 0 && !mr.Phase.Completed() && !mr.DryRun {
			return mr.Name + ": " + mr.Message
		}
	}
	return ""
}

// revisionNumber reads a ReplicaSet's revision annotation (0 when absent or not a number).
func revisionNumber(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[revision.RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func scaleDownAt(rs *appsv1.ReplicaSet) *time.Time {
	v, ok := rs.Annotations[revision.ScaleDownAtAnnotation]
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v) // also reads whole seconds (older Weir)
	if err != nil {
		return nil
	}
	return &t
}

// servicePorts are a Service's port numbers, the ones a route's backendRef may name. An
// ExternalName Service has none that count: the gateway sends to the port the route names.
func servicePorts(svc *corev1.Service) []int32 {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	var ports []int32
	for _, p := range svc.Spec.Ports {
		ports = append(ports, p.Port)
	}
	return ports
}
