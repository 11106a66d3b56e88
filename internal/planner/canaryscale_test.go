package planner

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func scaleTo(replicas int32) weirv1.CanaryStep {
	return weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{Replicas: ptr.To(replicas)}}
}

func scalePercent(weight int32) weirv1.CanaryStep {
	return weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{Weight: ptr.To(weight)}}
}

func matchTraffic() weirv1.CanaryStep {
	return weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{MatchTrafficWeight: true}}
}

func headerStep(name string) weirv1.CanaryStep {
	return weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: name, Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}}
}

func removeHeader(name string) weirv1.CanaryStep {
	return weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: name}}
}

func mirrorStep(name string, percent int32) weirv1.CanaryStep {
	return weirv1.CanaryStep{SetMirrorRoute: &weirv1.SetMirrorRoute{Name: name, Percent: percent}}
}

// TestCanaryPodsAtEachStep: the canary's size at every step of a release of 10 replicas, a
// setCanaryScale raising it above what the weight needs and never lowering it below.
func TestCanaryPodsAtEachStep(t *testing.T) {
	steps := []weirv1.CanaryStep{
		scaleTo(2),       // 0: 2 pods, no traffic
		headerStep("b"),  // 1: still 2
		setWeight(50),    // 2: the weight needs 5: 5
		scaleTo(1),       // 3: 1 asked, the weight needs 5: 5
		scalePercent(80), // 4: 80% of 10: 8
		setWeight(10),    // 5: the weight needs 1, the scale says 8: 8
		matchTraffic(),   // 6: back to the weight: 1
		setWeight(0),     // 7: 0
	}
	var got []int32
	for i := range int32(len(steps) + 1) {
		got = append(got, CanaryPods(steps, i, 10))
	}
	want := []int32{2, 2, 5, 5, 8, 8, 1, 0, 10} // and the full promotion: all 10
	if !equalInts(got, want) {
		t.Errorf("canary pods per step %v, want %v", got, want)
	}
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPodlessRouteStepNamesTheStep: a header or mirror rule live while the canary would have
// no pods is refused with the step's field; a scale or a weight before it makes it fine.
func TestPodlessRouteStepNamesTheStep(t *testing.T) {
	cases := []struct {
		name  string
		steps []weirv1.CanaryStep
		index int
		words string
	}{
		{"header first", []weirv1.CanaryStep{headerStep("beta"), setWeight(20)}, 0,
			"at this step (setHeaderRoute beta) the header rule beta would send requests to a canary with no pods"},
		{"mirror after a weight of 0", []weirv1.CanaryStep{setWeight(0), mirrorStep("shadow", 10)}, 1,
			"at this step (setMirrorRoute shadow) the mirror rule shadow would send"},
		{"a scale of 0 while the header rule is live", []weirv1.CanaryStep{scaleTo(1), headerStep("beta"), scaleTo(0), setWeight(50)}, 2,
			"at this step (setCanaryScale 0 pods) the header rule beta would send"},
		{"matchTrafficWeight at weight 0 while a rule is live", []weirv1.CanaryStep{scalePercent(10), mirrorStep("m", 5), matchTraffic()}, 2,
			"the mirror rule m would send"},
		{"scale before the header", []weirv1.CanaryStep{scaleTo(1), headerStep("beta"), setWeight(20)}, -1, ""},
		{"weight before the mirror", []weirv1.CanaryStep{setWeight(5), mirrorStep("m", 50)}, -1, ""},
		{"a percentage scale", []weirv1.CanaryStep{scalePercent(1), headerStep("beta")}, -1, ""},
		{"rules removed before the weight goes to 0", []weirv1.CanaryStep{setWeight(10), headerStep("b"), removeHeader("b"), setWeight(0)}, -1, ""},
		{"a mirror of 0 percent removes, never sends", []weirv1.CanaryStep{mirrorStep("m", 0), setWeight(10)}, -1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i, msg := PodlessRouteStep(tc.steps)
			if i != tc.index || !strings.Contains(msg, tc.words) || (tc.index >= 0) != (msg != "") {
				t.Errorf("PodlessRouteStep = %d %q, want %d with %q", i, msg, tc.index, tc.words)
			}
		})
	}
}

// TestSetCanaryScale: canary pods come up before any weight; the step is done once they are
// available, and the header step after it sends matching requests to ready pods. A header
// step with no pods behind it holds the release as an invalid spec, before any traffic moves.
func TestSetCanaryScale(t *testing.T) {
	steps := []weirv1.CanaryStep{scaleTo(2), headerStep("beta"), setWeight(50), pauseForever()}
	withHeader := []string{HeaderRuleKey(*headerStep("beta").SetHeaderRoute)}
	checkPlans(t, []planCase{
		{"the scale step sizes the canary with no weight and waits for its pods",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 2, 1)}, canarySv: "v2", weights: w(100, 0)},
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForPods, step: ptr.To[int32](0), scale: map[string]int32{"v1": 4, "v2": 2},
				weights: &weirv1.WeightPair{Stable: 100}, message: "step 1/4: 1 of 2 canary pods available (setCanaryScale 2 pods)"}},
		{"pods available: on to the header step, which keeps them",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(100, 0)},
			expect{step: ptr.To[int32](1), scale: map[string]int32{"v1": 4, "v2": 2}, weights: &weirv1.WeightPair{Stable: 100}, events: []string{"StepCompleted"}}},
		{"the header rule verified: the weight step needs more pods than the scale",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(100, 0), injected: withHeader},
			expect{step: ptr.To[int32](2), scale: map[string]int32{"v1": 4, "v2": 2}, events: []string{"StepCompleted"}}},
		{"a header step with no canary pods: invalid, nothing moves",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{headerStep("beta"), setWeight(50)}, status: releasing(0),
				rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonInvalidSpec, invalid: true, scale: map[string]int32{"v1": 4},
				message: "at this step (setHeaderRoute beta) the header rule beta would send requests to a canary with no pods"}},
	})
}
