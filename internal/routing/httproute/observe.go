package routing

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// Prefixes of the rules Weir injects; a rule with such a name belongs to Weir.
const (
	HeaderRulePrefix = "weir-header-"
	MirrorRulePrefix = "weir-mirror-"
)

// Backends names the two Services whose weights Weir sets.
type Backends struct {
	Stable, Canary string
}

// Observe reads what a route says for the planner. route is nil when it doesn't exist.
func Observe(route *gatewayv1.HTTPRoute, ref weirv1.RouteRef, b Backends) planner.Route {
	out := planner.Route{Name: ref.Name}
	if route == nil {
		return out
	}
	out.Found = true
	touched, problem := TouchedRules(route, ref, b)
	if problem != "" {
		out.Problem = problem
		return out
	}
	for _, i := range touched {
		w := weightsOf(route.Spec.Rules[i], route.Namespace, b)
		if out.Weights == nil {
			out.Weights = &w
		} else if *out.Weights != w {
			out.Weights = nil
			break
		}
	}
	base := route.Spec.Rules[touched[0]]
	for _, rule := range route.Spec.Rules {
		if isInjected(rule) {
			out.InjectedRules = append(out.InjectedRules, injectedKey(rule, base, route.Namespace, b, out.Weights))
		}
	}
	sort.Strings(out.InjectedRules)
	out.Accepted, out.AcceptanceMessage = accepted(route)
	return out
}

// TouchedRules returns the indexes of the rules whose weights Weir sets: the named ones, or
// every user rule with backendRefs to both Services.
func TouchedRules(route *gatewayv1.HTTPRoute, ref weirv1.RouteRef, b Backends) ([]int, string) {
	var idx []int
	if len(ref.Rules) > 0 {
		for _, name := range ref.Rules {
			found := false
			for i, rule := range route.Spec.Rules {
				if rule.Name != nil && string(*rule.Name) == name {
					if !refersTo(rule, route.Namespace, b.Stable) || !refersTo(rule, route.Namespace, b.Canary) {
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
	for i, rule := range route.Spec.Rules {
		if !isInjected(rule) && refersTo(rule, route.Namespace, b.Stable) && refersTo(rule, route.Namespace, b.Canary) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Sprintf("no rule has backendRefs to both Service %s and Service %s", b.Stable, b.Canary)
	}
	return idx, ""
}

// isService reports whether a backendRef points at the named Service in ns.
func isService(ref gatewayv1.BackendObjectReference, ns, name string) bool {
	if ref.Group != nil && *ref.Group != "" {
		return false
	}
	if ref.Kind != nil && *ref.Kind != "Service" {
		return false
	}
	if ref.Namespace != nil && string(*ref.Namespace) != ns {
		return false
	}
	return string(ref.Name) == name
}

func refersTo(rule gatewayv1.HTTPRouteRule, ns, svc string) bool {
	for _, br := range rule.BackendRefs {
		if isService(br.BackendObjectReference, ns, svc) {
			return true
		}
	}
	return false
}

// weightsOf reads a rule's stable and canary weights as percentages of their sum (an
// absent weight is 1, as Gateway API defines).
func weightsOf(rule gatewayv1.HTTPRouteRule, ns string, b Backends) weirv1.WeightPair {
	var stable, canary int32
	for _, br := range rule.BackendRefs {
		w := int32(1)
		if br.Weight != nil {
			w = *br.Weight
		}
		switch {
		case isService(br.BackendObjectReference, ns, b.Stable):
			stable += w
		case isService(br.BackendObjectReference, ns, b.Canary):
			canary += w
		}
	}
	if stable+canary == 0 {
		return weirv1.WeightPair{}
	}
	c := canary * 100 / (stable + canary)
	return weirv1.WeightPair{Stable: 100 - c, Canary: c}
}

func isInjected(rule gatewayv1.HTTPRouteRule) bool {
	if rule.Name == nil {
		return false
	}
	n := string(*rule.Name)
	return strings.HasPrefix(n, HeaderRulePrefix) || strings.HasPrefix(n, MirrorRulePrefix)
}

// injectedKey reads back what an injected rule does, as the key of the step that would
// write it (planner.HeaderRuleKey, MirrorRuleKey): the step is rebuilt from the rule (its
// name, the headers added to the base rule's first match, the mirror percent) and the rule
// Weir would write for it compared with the one read. A rule that differs (edited by hand,
// or written for an older base rule or weight) gets a key no step has, so it never counts
// as applied.
func injectedKey(rule, base gatewayv1.HTTPRouteRule, ns string, b Backends, weights *weirv1.WeightPair) string {
	name := string(*rule.Name)
	match := addedHeaders(rule, base)
	if step, ok := strings.CutPrefix(name, HeaderRulePrefix); ok {
		h := weirv1.SetHeaderRoute{Name: step, Match: match}
		if equality.Semantic.DeepEqual(headerRule(base, ns, b, h), rule) {
			return planner.HeaderRuleKey(h)
		}
		return "header " + step + " (not as Weir writes it)"
	}
	step := strings.TrimPrefix(name, MirrorRulePrefix)
	m := weirv1.SetMirrorRoute{Name: step, Match: match}
	for _, f := range rule.Filters {
		if f.Type == gatewayv1.HTTPRouteFilterRequestMirror && f.RequestMirror != nil && f.RequestMirror.Percent != nil {
			m.Percent = *f.RequestMirror.Percent
		}
	}
	if weights != nil && equality.Semantic.DeepEqual(mirrorRule(base, ns, b, *weights, m), rule) {
		return planner.MirrorRuleKey(m)
	}
	return "mirror " + step + " (not as Weir writes it)"
}

// addedHeaders are the header matches an injected rule adds to the base rule's first match.
func addedHeaders(rule, base gatewayv1.HTTPRouteRule) []weirv1.HeaderMatch {
	if len(rule.Matches) == 0 {
		return nil
	}
	headers := rule.Matches[0].Headers
	if len(base.Matches) > 0 {
		headers = headers[min(len(base.Matches[0].Headers), len(headers)):]
	}
	var out []weirv1.HeaderMatch
	for _, h := range headers {
		typ := "Exact"
		if h.Type != nil && *h.Type == gatewayv1.HeaderMatchRegularExpression {
			typ = "RegularExpression"
		}
		out = append(out, weirv1.HeaderMatch{Name: string(h.Name), Type: typ, Value: h.Value})
	}
	return out
}

// accepted is true when the route has parents and every one of them reports Accepted=True
// for the route's current generation: the gateway has taken this exact spec.
func accepted(route *gatewayv1.HTTPRoute) (bool, string) {
	if len(route.Status.Parents) == 0 {
		return false, "no gateway has reported on the route yet"
	}
	for _, p := range route.Status.Parents {
		c := meta.FindStatusCondition(p.Conditions, string(gatewayv1.RouteConditionAccepted))
		switch {
		case c == nil:
			return false, fmt.Sprintf("parent %s has no Accepted condition", p.ParentRef.Name)
		case c.Status != metav1.ConditionTrue:
			return false, fmt.Sprintf("parent %s: %s", p.ParentRef.Name, c.Message)
		case c.ObservedGeneration != route.Generation:
			return false, fmt.Sprintf("parent %s has seen generation %d of %d", p.ParentRef.Name, c.ObservedGeneration, route.Generation)
		}
	}
	return true, ""
}
