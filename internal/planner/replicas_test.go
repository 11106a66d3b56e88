package planner

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func TestCanaryReplicas(t *testing.T) {
	for _, tc := range []struct{ replicas, weight, want int32 }{
		{5, 20, 1}, {5, 50, 3}, {4, 25, 1}, {4, 26, 2}, {10, 1, 1}, {10, 0, 0}, {10, 100, 10}, {0, 50, 0}, {3, 99, 3},
	} {
		if got := CanaryReplicas(tc.replicas, tc.weight); got != tc.want {
			t.Errorf("CanaryReplicas(%d, %d) = %d, want %d", tc.replicas, tc.weight, got, tc.want)
		}
	}
}

func TestCapacityWeight(t *testing.T) {
	for _, tc := range []struct{ replicas, available, want int32 }{
		{4, 0, 0}, {4, 1, 25}, {4, 4, 100}, {4, 9, 100}, {3, 1, 33}, {0, 0, 0},
	} {
		if got := CapacityWeight(tc.replicas, tc.available); got != tc.want {
			t.Errorf("CapacityWeight(%d, %d) = %d, want %d", tc.replicas, tc.available, got, tc.want)
		}
	}
}

func TestDesiredReplicas(t *testing.T) {
	ro := &weirv1.Rollout{}
	if got := DesiredReplicas(ro); got != 1 {
		t.Errorf("new Rollout without replicas: %d, want 1", got)
	}
	ro.Status.DesiredReplicas = ptr.To[int32](6)
	if got := DesiredReplicas(ro); got != 6 {
		t.Errorf("running Rollout without replicas: %d, want the scale it has (6)", got)
	}
	ro.Spec.Replicas = ptr.To[int32](2)
	if got := DesiredReplicas(ro); got != 2 {
		t.Errorf("spec.replicas: %d, want 2", got)
	}
}

func TestBasicCanarySizes(t *testing.T) {
	for _, tc := range []struct {
		name                                                         string
		replicas, weight, stableCurrent, canaryAvail, surge, unavail int32
		wantStable, wantCanary                                       int32
	}{
		{"start: surge one canary, stable kept", 4, 25, 4, 0, 1, 0, 4, 1},
		{"canary available: stable shrinks", 4, 25, 4, 1, 1, 0, 3, 1},
		{"maxUnavailable lets stable shrink before the canary is up", 4, 50, 4, 0, 0, 2, 2, 2},
		{"no surge, no unavailability: one extra pod instead of a deadlock", 4, 25, 4, 0, 0, 0, 4, 1},
		{"full weight", 4, 100, 0, 4, 1, 1, 0, 4},
	} {
		s, c := BasicCanarySizes(tc.replicas, tc.weight, tc.stableCurrent, tc.canaryAvail, tc.surge, tc.unavail)
		if s != tc.wantStable || c != tc.wantCanary {
			t.Errorf("%s: stable %d canary %d, want %d %d", tc.name, s, c, tc.wantStable, tc.wantCanary)
		}
	}
}

func TestScaledValue(t *testing.T) {
	if got := ScaledValue(nil, "25%", 10, true); got != 3 {
		t.Errorf("25%% of 10 rounded up = %d", got)
	}
	if got := ScaledValue(ptr.To(intstr.FromString("25%")), "0", 10, false); got != 2 {
		t.Errorf("25%% of 10 rounded down = %d", got)
	}
	if got := ScaledValue(ptr.To(intstr.FromInt32(3)), "25%", 10, false); got != 3 {
		t.Errorf("3 = %d", got)
	}
}

// Without traffic routing, traffic follows pod counts: the canary's share of pods is its weight.
func TestCanaryWithoutTrafficRouting(t *testing.T) {
	noRouting := func(ro *weirv1.Rollout) { ro.Spec.Strategy.Canary.TrafficRouting = nil }
	steps := []weirv1.CanaryStep{setWeight(50), pauseForever()}
	p := Decide(world{replicas: 4, current: "v2", steps: steps, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)},
		canarySv: "v2", mutate: noRouting}.input())
	check(t, p, expect{step: ptr.To[int32](1), noTraffic: true, scale: map[string]int32{"v1": 2, "v2": 2}, phase: weirv1.PhasePaused})
}
