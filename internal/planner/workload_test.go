package planner

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestHandOver: the Deployment a workloadRef names goes down by the Rollout's available
// pods, never up and never below zero while the Rollout runs, and back up when it goes.
func TestHandOver(t *testing.T) {
	ref := func(scaleDown weirv1.WorkloadScaleDown) *weirv1.Rollout {
		return &weirv1.Rollout{Spec: weirv1.RolloutSpec{WorkloadRef: &weirv1.WorkloadRef{Name: "web", ScaleDown: scaleDown}}}
	}
	deleted := ref("")
	deleted.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
	dep := func(replicas, available int32) *Workload {
		return &Workload{Name: "web", Found: true, Replicas: replicas, Available: available}
	}
	cases := []struct {
		name      string
		r         *weirv1.Rollout
		w         *Workload
		replicas  int32
		available int32
		want      *int32
		waiting   string
	}{
		{"no Rollout pod yet: the Deployment keeps all", ref(""), dep(4, 4), 4, 0, nil, ""},
		{"one available: down by one", ref(""), dep(4, 4), 4, 1, ptr.To[int32](3), ""},
		{"all available: to zero", ref(""), dep(1, 1), 4, 4, ptr.To[int32](0), ""},
		{"more than all (a surge): never below zero", ref(""), dep(1, 1), 4, 5, ptr.To[int32](0), ""},
		{"the Rollout loses pods later: never up again while it runs", ref(""), dep(0, 0), 4, 2, nil, ""},
		{"scaleDown Never", ref(weirv1.ScaleDownNever), dep(4, 4), 4, 4, nil, ""},
		{"deleted: back to the Rollout's replicas, waiting for them", deleted, dep(0, 0), 4, 4, ptr.To[int32](4), "Deployment web to have 4 pods available (0 now)"},
		{"deleted, Deployment back: nothing to wait for", deleted, dep(4, 4), 4, 4, nil, ""},
		{"no Deployment", ref(""), &Workload{Name: "web"}, 4, 4, nil, ""},
	}
	for _, tc := range cases {
		got, waiting := handOver(tc.r, tc.w, tc.replicas, tc.available)
		if !reflect.DeepEqual(got, tc.want) || waiting != tc.waiting {
			t.Errorf("%s: handOver = %v %q, want %v %q", tc.name, ptr.Deref(got, -1), waiting, ptr.Deref(tc.want, -1), tc.waiting)
		}
	}
}

// TestWorkloadRefHandOverPlan: Decide scales the Deployment with an Event, holds a Rollout
// whose Deployment is missing as InvalidSpec, and keeps a deleted Rollout until the
// Deployment has its pods back.
func TestWorkloadRefHandOverPlan(t *testing.T) {
	withRef := func(r *weirv1.Rollout) { r.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "web"} }
	stable := weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"}
	in := world{replicas: 4, current: "v1", status: stable, rs: []ReplicaSet{rsAvail("v1", 4, 3)}, canarySv: "v1", weights: w(100, 0), mutate: withRef}.input()
	in.Workload = &Workload{Name: "web", Found: true, Replicas: 4, Available: 4}
	p := Decide(in)
	if got := ptr.Deref(p.WorkloadReplicas, -1); got != 1 {
		t.Errorf("Deployment scaled to %d, want 1 (4 minus the Rollout's 3 available)", got)
	}
	if len(p.Events) == 0 || p.Events[0].Message != "Deployment web scaled from 4 to 1: the Rollout has 3 of 4 pods available" {
		t.Errorf("events %+v", p.Events)
	}
	if want := "taking over from Deployment web: 3 of 4 pods of revision v1 available; the Deployment's 4 serve meanwhile"; p.Status.Message != want {
		t.Errorf("message %q, want %q", p.Status.Message, want)
	}
	if len(p.Selectors) != 0 {
		t.Errorf("selectors %v while handing over: the Services keep every pod of the app until the Rollout's are all available", p.Selectors)
	}
	whole := in
	whole.ReplicaSets = []ReplicaSet{rs("v1", 4)}
	whole.Workload = &Workload{Name: "web", Found: true, Replicas: 1, Available: 1}
	if p := Decide(whole); ptr.Deref(p.WorkloadReplicas, -1) != 0 || !reflect.DeepEqual(p.Selectors, map[string]string{"stable": "v1", "canary": "v1"}) {
		t.Errorf("Rollout whole: Deployment to %v, selectors %v; want 0 and both on v1", ptr.Deref(p.WorkloadReplicas, -1), p.Selectors)
	}

	in.Workload = &Workload{Name: "web"}
	p = Decide(in)
	if !strings.Contains(p.Status.Message, "spec.workloadRef: Deployment ns/web not found") || p.WorkloadReplicas != nil {
		t.Errorf("missing Deployment: %q, scale %v", p.Status.Message, p.WorkloadReplicas)
	}

	in.Rollout.DeletionTimestamp = ptr.To(metav1.NewTime(t0.Add(-time.Second)))
	in.Rollout.Finalizers = []string{"rollouts.weir.dev/restore-traffic"}
	in.Workload = &Workload{Name: "web", Found: true, Replicas: 0, Available: 0}
	p = Decide(in)
	if ptr.Deref(p.WorkloadReplicas, -1) != 4 || p.ReleaseFinalizer || !strings.Contains(p.Status.Message, "Deployment web to have 4 pods available (0 now)") {
		t.Errorf("deleted: scale %v, release %v, message %q", p.WorkloadReplicas, p.ReleaseFinalizer, p.Status.Message)
	}
	in.Workload.Replicas, in.Workload.Available = 4, 4
	in.Services = map[string]Service{"stable": {}, "canary": {}} // selectors given back
	if p = Decide(in); !p.ReleaseFinalizer {
		t.Errorf("deleted with the Deployment back: the finalizer stays (%q)", p.Status.Message)
	}
}
