package planner

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestDeletingGivesTrafficAndSelectorsBack: a Rollout deleted mid-release first sends all
// traffic to stable and gives the Services' selectors back; its finalizer goes only once
// that reads back, or after DeletionGiveUp (issue 14, defect 5).
func TestDeletingGivesTrafficAndSelectorsBack(t *testing.T) {
	deleted := func(ago time.Duration) func(*weirv1.Rollout) {
		return func(ro *weirv1.Rollout) { ro.DeletionTimestamp = ptr.To(metav1.NewTime(t0.Add(-ago))) }
	}
	steps := []weirv1.CanaryStep{setWeight(30), pauseForever()}
	pods := []ReplicaSet{rs("v1", 4), rs("v2", 2)}
	cases := []struct {
		name    string
		w       world
		want    expect
		release bool
		// services as read, when not what the fixture says
		services map[string]Service
	}{
		{"mid-release: weight back to 0, selectors without the hash, replicas held, finalizer kept",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, canarySv: "v2", weights: w(70, 30), mutate: deleted(time.Second)},
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonRestoringTraffic, weights: &weirv1.WeightPair{Stable: 100},
				selectors: map[string]string{"stable": "", "canary": ""}, scale: map[string]int32{"v1": 4, "v2": 2}, runs: []string{},
				events: []string{weirv1.ReasonRestoringTraffic}, message: "waiting for HTTPRoute route to send all traffic to stable"}, false, nil},
		{"route reads 100/0, a Service still selects a revision: finalizer kept",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, weights: w(100, 0), mutate: deleted(time.Second)},
			expect{reason: weirv1.ReasonRestoringTraffic, message: "Service canary to select every pod of the app"}, false,
			map[string]Service{"stable": {}, "canary": {Hash: "v2"}}},
		{"everything given back: the finalizer goes",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, weights: w(100, 0), mutate: deleted(time.Second)},
			expect{reason: weirv1.ReasonRestoringTraffic, message: "given back"}, true, map[string]Service{"stable": {}, "canary": {}}},
		{"the gateway never accepts: gives up after DeletionGiveUp, with a Warning",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Weights: ptr.To(w(100, 0))}, mutate: deleted(DeletionGiveUp)},
			expect{reason: weirv1.ReasonRestoringTraffic, message: "gave up waiting"}, true, nil},
		{"the route is gone already: nothing to give back there",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, route: &Route{Kind: "HTTPRoute", Name: "route"}, mutate: deleted(time.Second)},
			expect{reason: weirv1.ReasonRestoringTraffic, message: "given back"}, true, map[string]Service{"stable": {}, "canary": {}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.w.input()
			if tc.services != nil {
				in.Services = tc.services
			}
			p := Decide(in)
			check(t, p, tc.want)
			if p.ReleaseFinalizer != tc.release {
				t.Errorf("ReleaseFinalizer %v, want %v (%s)", p.ReleaseFinalizer, tc.release, p.Status.Message)
			}
		})
	}
}
