package planner

import (
	"k8s.io/apimachinery/pkg/util/intstr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// DesiredReplicas is spec.replicas; when absent, the scale the Rollout already has (never
// 1 for a running Rollout), and 1 for a new one.
func DesiredReplicas(r *weirv1.Rollout) int32 {
	switch {
	case r.Spec.Replicas != nil:
		return *r.Spec.Replicas
	case r.Status.DesiredReplicas != nil:
		return *r.Status.DesiredReplicas
	default:
		return 1
	}
}

// CanaryReplicas is how many canary pods carry weight percent of replicas: the ceiling,
// and at least one while the weight is above zero.
func CanaryReplicas(replicas, weight int32) int32 {
	if weight <= 0 || replicas <= 0 {
		return 0
	}
	if weight >= 100 {
		return replicas
	}
	n := (replicas*weight + 99) / 100
	return max(n, 1)
}

// CapacityWeight is the largest weight that available canary pods can carry: traffic is
// never sent to capacity that isn't there.
func CapacityWeight(replicas, available int32) int32 {
	if replicas <= 0 {
		return 0
	}
	if available >= replicas {
		return 100
	}
	return available * 100 / replicas
}

// ScaledValue resolves maxSurge/maxUnavailable against replicas (percentages round up for
// surge, down for unavailable, as Deployments do).
func ScaledValue(v *intstr.IntOrString, def string, replicas int32, roundUp bool) int32 {
	val := intstr.FromString(def)
	if v != nil {
		val = *v
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&val, int(replicas), roundUp)
	if err != nil || n < 0 {
		return 0
	}
	return int32(n)
}

// BasicCanarySizes splits replicas between stable and canary when no traffic routing exists:
// traffic then follows pod counts, so the canary's share of pods is its weight. The stable
// side shrinks only as far as maxUnavailable allows given the canary pods already available,
// and the canary grows only as far as maxSurge allows.
func BasicCanarySizes(replicas, weight int32, stableCurrent, canaryAvailable int32, maxSurge, maxUnavailable int32) (stable, canary int32) {
	canaryWant := CanaryReplicas(replicas, weight)
	stableWant := replicas - canaryWant
	// Never fewer than replicas-maxUnavailable available pods in total.
	minStable := replicas - maxUnavailable - canaryAvailable
	stable = max(stableWant, minStable, 0)
	stable = min(stable, max(stableCurrent, stableWant))
	// Never more than replicas+maxSurge pods in total.
	canary = min(canaryWant, max(replicas+maxSurge-stable, 0))
	if maxSurge == 0 && maxUnavailable == 0 && canary == 0 && canaryWant > 0 {
		canary = 1 // both zero would deadlock; Deployments refuse it, Weir surges by one
	}
	return stable, canary
}
