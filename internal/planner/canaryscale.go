package planner

import (
	"fmt"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// ScaleAt is the setCanaryScale in force at step i: the last one at or before it. Nil when
// there is none, when the last one matches the traffic weight, and past the last step (the
// full promotion sizes the canary).
func ScaleAt(steps []weirv1.CanaryStep, i int32) *weirv1.SetCanaryScale {
	if int(i) >= len(steps) {
		return nil
	}
	for j := i; j >= 0; j-- {
		if s := steps[j].SetCanaryScale; s != nil {
			if s.MatchTrafficWeight {
				return nil
			}
			return s
		}
	}
	return nil
}

// CanaryPods is how many canary pods step i needs out of replicas: what its weight needs, or
// more where a setCanaryScale asks for more. Never fewer than the weight needs, so traffic
// never goes to canary capacity that isn't there.
func CanaryPods(steps []weirv1.CanaryStep, i, replicas int32) int32 {
	n := CanaryReplicas(replicas, WeightAt(steps, i))
	switch s := ScaleAt(steps, i); {
	case s == nil:
	case s.Replicas != nil:
		n = max(n, *s.Replicas)
	case s.Weight != nil:
		n = max(n, CanaryReplicas(replicas, *s.Weight)) // a share of the pods, rounded up as a weight's
	}
	return n
}

// PodlessRouteStep is the first step at which a header or mirror rule would be live while
// the canary has no pods (no weight yet and no setCanaryScale): matching requests would reach
// a Service with no endpoints, and the analysis would see no data. It returns the step's
// index and the problem, or -1 and "" when every live rule has canary pods behind it,
// whatever spec.replicas above zero is.
func PodlessRouteStep(steps []weirv1.CanaryStep) (int, string) {
	for i := range steps {
		headers, mirrors := InjectedRoutes(steps, int32(i))
		if len(headers)+len(mirrors) == 0 || CanaryPods(steps, int32(i), 1) > 0 {
			continue
		}
		return i, fmt.Sprintf("at this step (%s) the %s would send requests to a canary with no pods "+
			"(no weight and no setCanaryScale in force); add a step such as setCanaryScale: {replicas: 1} before it",
			steps[i].Describe(), liveRules(headers, mirrors))
	}
	return -1, ""
}

// liveRules names the injected rules in force, for PodlessRouteStep's message.
func liveRules(headers []weirv1.SetHeaderRoute, mirrors []weirv1.SetMirrorRoute) string {
	var rules []string
	for _, h := range headers {
		rules = append(rules, "header rule "+h.Name)
	}
	for _, m := range mirrors {
		rules = append(rules, "mirror rule "+m.Name)
	}
	return strings.Join(rules, " and ")
}
