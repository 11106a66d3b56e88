package planner

import (
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Conditions that only say "not so" keep one wording through a release, so a step change
// rewrites only the conditions that describe it.
func TestNegativeConditionsStayPut(t *testing.T) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	for _, step := range []int32{1, 2} {
		p := Decide(world{replicas: 4, current: "v2", steps: four, status: releasing(step), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)}.input())
		for _, c := range []string{weirv1.ConditionStalled, weirv1.ConditionPaused} {
			if got := reasonOf(p.Status, c); got != weirv1.ReasonAsExpected {
				t.Errorf("step %d: %s reason %q, want %s", step, c, got, weirv1.ReasonAsExpected)
			}
		}
		if got := reasonOf(p.Status, weirv1.ConditionReady); got == weirv1.ReasonAsExpected || got == "" {
			t.Errorf("step %d: Ready reason %q should describe the step", step, got)
		}
	}
	p := Decide(world{replicas: 4, current: "v2", steps: four, status: releasing(3), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)}.input())
	if got := reasonOf(p.Status, weirv1.ConditionPaused); got != weirv1.ReasonWaitingForPromotion {
		t.Errorf("pause until promoted: Paused reason %q, want %s", got, weirv1.ReasonWaitingForPromotion)
	}
}
