package planner

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// settled is the world once its decided status has been recorded: deciding again changes
// nothing.
func settled(t *testing.T, wd world) world {
	t.Helper()
	for range 5 {
		st := Decide(wd.input()).Status
		if equality.Semantic.DeepEqual(st, wd.status) {
			return wd
		}
		wd.status = st
	}
	t.Fatalf("the status never settles")
	return wd
}

// StatusCanWait: a changed status that only reports pod counts, or a weight on its way
// through the gateway, is held; anything a later decision reads, a condition turning, or an
// Event is written now.
func TestStatusCanWait(t *testing.T) {
	steps := []weirv1.CanaryStep{setWeight(25), pauseFor("10s"), setWeight(50), pauseFor("10s")}
	// Step 0 waits for its canary pod; the route still says 100/0.
	waitingForPods := world{replicas: 4, current: "v2", steps: steps, status: releasing(0),
		rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 1, 0)}, canarySv: "v2", weights: w(100, 0)}

	stableWorld := world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
		rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)}
	// Then its canary pod became available.
	canaryUp := func(t *testing.T) world {
		wd := settled(t, waitingForPods)
		wd.rs = []ReplicaSet{rs("v1", 4), rs("v2", 1)}
		return wd
	}

	cases := []struct {
		name   string
		world  func(t *testing.T) world
		want   bool
		writes bool // the decision changes the status at all
	}{
		{"the canary pod became available: weight 25 is asked of the route, not verified yet",
			canaryUp, true, true},
		{"the route carries 75/25 but its gateway hasn't Accepted it yet: still waiting",
			func(t *testing.T) world {
				wd := canaryUp(t)
				wd.route = &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(75, 25))}
				return wd
			}, true, true},
		{"the weight is verified: the step completes (an Event, a new step): written now",
			func(t *testing.T) world {
				wd := canaryUp(t)
				wd.status = Decide(wd.input()).Status // as if the unverified state had been written
				wd.weights = w(75, 25)
				return wd
			}, false, true},
		{"a pause ends and the next weight is asked: the step index moves, written now",
			func(t *testing.T) world {
				wd := world{replicas: 4, current: "v2", steps: steps, rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)},
					canarySv: "v2", weights: w(75, 25), status: releasing(1)}
				wd = settled(t, wd)
				wd.now = t0.Add(11e9) // past the 10 s pause
				return wd
			}, false, true},
		{"waiting for pods, nothing in flight on the route",
			func(t *testing.T) world {
				wd := settled(t, waitingForPods)
				wd.rs = []ReplicaSet{rs("v1", 4), rsAvail("v2", 1, 0)}
				wd.rs[1].Total = 1
				return wd
			}, false, false},
		{"one of four stable pods goes unready: the phase leaves Healthy, written now",
			func(t *testing.T) world {
				wd := settled(t, stableWorld)
				wd.rs = []ReplicaSet{rsAvail("v1", 4, 3)}
				return wd
			}, false, true},
		{"a new canary pod while the release waits for pods: counts wait",
			func(t *testing.T) world {
				wd := waitingForPods
				wd.rs = []ReplicaSet{rs("v1", 4), rsAvail("v2", 2, 0)}
				wd.rs[1].Total = 1 // one of its two pods created so far
				wd.steps = []weirv1.CanaryStep{setWeight(50), pauseForever()}
				wd = settled(t, wd)
				wd.rs = []ReplicaSet{rs("v1", 4), rsAvail("v2", 2, 0)} // the second one
				return wd
			}, true, true},
		{"no traffic routing: the step completes (an Event), written now",
			func(t *testing.T) world {
				wd := waitingForPods
				wd.mutate = func(ro *weirv1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting = nil }
				wd = settled(t, wd)
				wd.rs = []ReplicaSet{rs("v1", 4), rs("v2", 1)}
				return wd
			}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wd := tc.world(t)
			plan := Decide(wd.input())
			changed := !equality.Semantic.DeepEqual(plan.Status, wd.status)
			if held := plan.StatusCanWait && changed; held != tc.want {
				t.Errorf("held = %v, want %v (StatusCanWait %v; phase %s, message %q)", held, tc.want, plan.StatusCanWait, plan.Status.Phase, plan.Status.Message)
			}
			if changed != tc.writes {
				t.Errorf("status changed = %v, want %v", changed, tc.writes)
			}
		})
	}
}
