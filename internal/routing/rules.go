package routing

import (
	"fmt"
	"strings"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Prefixes of the rules Weir injects; a rule with such a name belongs to Weir.
const (
	HeaderRulePrefix = "weir-header-"
	MirrorRulePrefix = "weir-mirror-"
)

// Rule is what Weir reads and sets in a rule of any route kind: its name and its backends.
// Backends point into the route's own rule, so SetWeights writes through.
type Rule struct {
	Name     *gatewayv1.SectionName
	Backends []*gatewayv1.BackendRef
}

// Injected reports whether Weir injected the rule (a header or mirror step's).
func (r Rule) Injected() bool {
	if r.Name == nil {
		return false
	}
	n := string(*r.Name)
	return strings.HasPrefix(n, HeaderRulePrefix) || strings.HasPrefix(n, MirrorRulePrefix)
}

// RefersTo reports whether the rule of a route in routeNS has a backendRef to the Service
// svc, one of b's.
func (r Rule) RefersTo(routeNS string, b Backends, svc string) bool {
	for _, br := range r.Backends {
		if b.Is(br.BackendObjectReference, routeNS, svc) {
			return true
		}
	}
	return false
}

// TouchedRules returns the indexes of the rules whose weights Weir sets: the named ones, or
// every rule not injected with backendRefs to both Services; problem says why none can be.
func TouchedRules(rules []Rule, ns string, ref weirv1.RouteRef, b Backends) (idx []int, problem string) {
	if len(ref.Rules) > 0 {
		for _, name := range ref.Rules {
			found := false
			for i, rule := range rules {
				if rule.Name != nil && string(*rule.Name) == name {
					if !rule.RefersTo(ns, b, b.Stable) || !rule.RefersTo(ns, b, b.Canary) {
						return nil, fmt.Sprintf("rule %q has no backendRefs to both Service %s and Service %s", name, b.Stable, b.Canary)
					}
					idx = append(idx, i)
					found = true
				}
			}
			if !found {
				return nil, fmt.Sprintf("no rule named %q", name)
			}
		}
		return idx, ""
	}
	for i, rule := range rules {
		if !rule.Injected() && rule.RefersTo(ns, b, b.Stable) && rule.RefersTo(ns, b, b.Canary) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Sprintf("no rule has backendRefs to both Service %s and Service %s", b.Stable, b.Canary)
	}
	return idx, ""
}

// WeightsOf reads a rule's stable and canary weights as percentages of their sum (an absent
// weight is 1, as Gateway API defines).
func WeightsOf(rule Rule, ns string, b Backends) weirv1.WeightPair {
	var stable, canary int32
	for _, br := range rule.Backends {
		w := ptr.Deref(br.Weight, 1)
		switch {
		case b.Is(br.BackendObjectReference, ns, b.Stable):
			stable += w
		case b.Is(br.BackendObjectReference, ns, b.Canary):
			canary += w
		}
	}
	if stable+canary == 0 {
		return weirv1.WeightPair{}
	}
	c := canary * 100 / (stable + canary)
	return weirv1.WeightPair{Stable: 100 - c, Canary: c}
}

// SetWeights gives the rule's stable and canary backendRefs the weights.
func SetWeights(rule Rule, ns string, b Backends, w weirv1.WeightPair) {
	for _, br := range rule.Backends {
		switch {
		case b.Is(br.BackendObjectReference, ns, b.Stable):
			br.Weight = ptr.To(w.Stable)
		case b.Is(br.BackendObjectReference, ns, b.Canary):
			br.Weight = ptr.To(w.Canary)
		}
	}
}

// CommonWeights reads the weights of the touched rules: nil when they disagree.
func CommonWeights(rules []Rule, touched []int, ns string, b Backends) *weirv1.WeightPair {
	var out *weirv1.WeightPair
	for _, i := range touched {
		w := WeightsOf(rules[i], ns, b)
		if out == nil {
			out = &w
		} else if *out != w {
			return nil
		}
	}
	return out
}

// Views are a route's rules as routing reads them, each pointing into rules.
func Views[T any](rules []T, view func(*T) Rule) []Rule {
	out := make([]Rule, len(rules))
	for i := range rules {
		out[i] = view(&rules[i])
	}
	return out
}

// CoreGroup reports whether a backendRef's group is the core API group: "" as Gateway API
// spells it, or "core" as some charts and the peers' examples write it.
func CoreGroup(group *gatewayv1.Group) bool {
	return group == nil || *group == "" || *group == "core"
}
