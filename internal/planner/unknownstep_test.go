package planner

import (
	"testing"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// A step of no kind Weir knows (one the CRD of a newer Weir allows, written before this
// controller was upgraded, or a status of a step that lost its field) is never treated as
// done: the release holds there and says so.
func TestUnknownStepIsNeverDone(t *testing.T) {
	x := world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), {}, setWeight(50)}, status: releasing(1),
		rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)}
	p := Decide(x.input())
	check(t, p, expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonInvalidSpec, step: ptr.To[int32](1),
		weights: &weirv1.WeightPair{Stable: 80, Canary: 20}, invalid: true,
		message: "spec.strategy.canary.steps[1]: a step of no kind this Weir knows"})
}
