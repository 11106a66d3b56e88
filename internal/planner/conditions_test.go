package planner

import (
	"strings"
	"testing"
	"time"

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

// A wait's message names when it ends, not how long is left: reconciling again during the
// wait must not change the status (each change is a write).
func TestWaitMessagesDontCountDown(t *testing.T) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	at := func(now time.Time) string {
		return Decide(world{replicas: 4, current: "v2", steps: four, now: now, status: releasing(1),
			rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)}.input()).Status.Message
	}
	first, later := at(t0), at(t0.Add(3*time.Second))
	if first != later {
		t.Errorf("message changed during the pause: %q, then %q", first, later)
	}
	if want := "until 2026-11-27T12:00:09Z"; !strings.Contains(first, want) {
		t.Errorf("message %q does not name the end (%s)", first, want)
	}
}
