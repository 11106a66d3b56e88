package planner

import (
	"fmt"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Workload is what the planner needs of the Deployment a Rollout's workloadRef names.
type Workload struct {
	Name      string
	Found     bool
	Replicas  int32 // spec.replicas
	Available int32
}

// handOver is the scale a workloadRef's Deployment should have: while the Rollout runs, down
// by as many pods as the Rollout has available (never up, never below zero), so that the
// app's available pods never drop below what the Deployment alone had; once the Rollout is
// deleted, back up to its replicas. It returns nil when the Deployment keeps its scale, and
// what a deleted Rollout still waits for before it goes.
func handOver(r *weirv1.Rollout, w *Workload, replicas, available int32) (scale *int32, waiting string) {
	if w == nil || !w.Found || r.Spec.WorkloadRef == nil {
		return nil, ""
	}
	want := w.Replicas
	switch {
	case r.DeletionTimestamp != nil:
		want = max(w.Replicas, replicas)
		if w.Available < replicas {
			waiting = fmt.Sprintf("Deployment %s to have %d pods available (%d now)", w.Name, replicas, w.Available)
		}
	case r.Spec.WorkloadRef.ScaleDown == weirv1.ScaleDownNever:
	default:
		want = min(w.Replicas, max(replicas-available, 0))
	}
	if want == w.Replicas {
		return nil, waiting
	}
	return &want, waiting
}

// rolloutAvailable counts the available pods of every revision of the Rollout.
func (d *decision) rolloutAvailable() int32 {
	var n int32
	for _, rs := range d.in.ReplicaSets {
		n += rs.Available
	}
	return n
}

// workloadProblem says why a workloadRef can't be used; "" when it can (or there is none).
func workloadProblem(r *weirv1.Rollout, w *Workload) string {
	if r.Spec.WorkloadRef == nil || w != nil && w.Found {
		return ""
	}
	return fmt.Sprintf("spec.workloadRef: Deployment %s/%s not found: its pod template is the one to release", r.Namespace, r.Spec.WorkloadRef.Name)
}

// scaleWorkload puts the workloadRef's Deployment's scale in the plan, with an Event.
func (d *decision) scaleWorkload() {
	available := d.rolloutAvailable()
	scale, _ := handOver(d.r, d.in.Workload, d.replicas, available)
	if scale == nil {
		return
	}
	d.plan.WorkloadReplicas = scale
	w := d.in.Workload
	d.plan.event("WorkloadScaled", fmt.Sprintf("Deployment %s scaled from %d to %d: the Rollout has %d of %d pods available",
		w.Name, w.Replicas, *scale, available, d.replicas))
}

// handingOver: the pods of a workloadRef's Deployment still serve beside the Rollout's
// stable revision, which isn't whole yet. The Services keep selecting every pod of the app
// (the Deployment's too) until it is; then they narrow to the Rollout's revision.
func (d *decision) handingOver() bool {
	w := d.in.Workload
	return w != nil && w.Found && w.Available > 0 && d.available(d.s.StableRS) < d.replicas
}
