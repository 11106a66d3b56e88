package httproute

import (
	"slices"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing"
)

// DesiredRules returns the route's rules for a traffic state: the injected header and mirror
// rules first (a mirror rule with the same matches as a user rule must come first to win),
// then the user's rules in their order with only the stable/canary weights of the touched
// rules changed. ok is false when the route has no usable rules.
func DesiredRules(route *gatewayv1.HTTPRoute, ref weirv1.RouteRef, b routing.Backends, t planner.Traffic) (rules []gatewayv1.HTTPRouteRule, ok bool) {
	touched, problem := routing.TouchedRules(views(route.Spec.Rules), route.Namespace, ref, b)
	if problem != "" {
		return nil, false
	}
	ns := route.Namespace
	user := make([]gatewayv1.HTTPRouteRule, 0, len(route.Spec.Rules))
	for i, rule := range route.Spec.Rules {
		if view(&rule).Injected() {
			continue
		}
		rule = *rule.DeepCopy()
		if slices.Contains(touched, i) {
			routing.SetWeights(view(&rule), ns, b, t.Weights)
		}
		user = append(user, rule)
	}
	base := route.Spec.Rules[touched[0]]
	for _, h := range t.HeaderRoutes {
		rules = append(rules, headerRule(base, ns, b, h))
	}
	for _, m := range t.MirrorRoutes {
		rules = append(rules, mirrorRule(base, ns, b, t.Weights, m))
	}
	return append(rules, user...), true
}

// matchesWithHeaders copies the base rule's matches (or one match on every path) and adds
// the headers to each.
func matchesWithHeaders(base gatewayv1.HTTPRouteRule, headers []weirv1.HeaderMatch) []gatewayv1.HTTPRouteMatch {
	matches := make([]gatewayv1.HTTPRouteMatch, 0, len(base.Matches))
	for _, m := range base.Matches {
		matches = append(matches, *m.DeepCopy())
	}
	if len(matches) == 0 {
		matches = []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
			Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")}}}
	}
	for i := range matches {
		for _, h := range headers {
			typ := gatewayv1.HeaderMatchExact
			if h.Type == "RegularExpression" {
				typ = gatewayv1.HeaderMatchRegularExpression
			}
			matches[i].Headers = append(matches[i].Headers, gatewayv1.HTTPHeaderMatch{
				Type: ptr.To(typ), Name: gatewayv1.HTTPHeaderName(h.Name), Value: h.Value})
		}
	}
	return matches
}

// backendRef returns the base rule's reference to svc (keeping its port), with a weight.
func backendRef(base gatewayv1.HTTPRouteRule, ns string, b routing.Backends, svc string, weight int32) gatewayv1.HTTPBackendRef {
	for _, br := range base.BackendRefs {
		if b.Is(br.BackendObjectReference, ns, svc) {
			out := *br.DeepCopy()
			out.Weight = ptr.To(weight)
			return out
		}
	}
	return gatewayv1.HTTPBackendRef{}
}

// headerRule sends requests carrying the headers to the canary only.
func headerRule(base gatewayv1.HTTPRouteRule, ns string, b routing.Backends, h weirv1.SetHeaderRoute) gatewayv1.HTTPRouteRule {
	return gatewayv1.HTTPRouteRule{
		Name:        ptr.To(gatewayv1.SectionName(routing.HeaderRulePrefix + h.Name)),
		Matches:     matchesWithHeaders(base, h.Match),
		Filters:     copyFilters(base.Filters),
		BackendRefs: []gatewayv1.HTTPBackendRef{backendRef(base, ns, b, b.Canary, 1)},
		Timeouts:    base.Timeouts.DeepCopy(),
	}
}

// mirrorRule serves matching requests like the base rule and mirrors percent of them to
// the canary.
func mirrorRule(base gatewayv1.HTTPRouteRule, ns string, b routing.Backends, w weirv1.WeightPair, m weirv1.SetMirrorRoute) gatewayv1.HTTPRouteRule {
	rule := gatewayv1.HTTPRouteRule{
		Name:     ptr.To(gatewayv1.SectionName(routing.MirrorRulePrefix + m.Name)),
		Matches:  matchesWithHeaders(base, m.Match),
		Filters:  copyFilters(base.Filters),
		Timeouts: base.Timeouts.DeepCopy(),
		BackendRefs: []gatewayv1.HTTPBackendRef{
			backendRef(base, ns, b, b.Stable, w.Stable),
			backendRef(base, ns, b, b.Canary, w.Canary),
		},
	}
	canary := backendRef(base, ns, b, b.Canary, 0).BackendObjectReference
	rule.Filters = append(rule.Filters, gatewayv1.HTTPRouteFilter{
		Type: gatewayv1.HTTPRouteFilterRequestMirror,
		RequestMirror: &gatewayv1.HTTPRequestMirrorFilter{
			BackendRef: canary,
			Percent:    ptr.To(m.Percent),
		},
	})
	return rule
}

func copyFilters(fs []gatewayv1.HTTPRouteFilter) []gatewayv1.HTTPRouteFilter {
	out := make([]gatewayv1.HTTPRouteFilter, 0, len(fs))
	for _, f := range fs {
		out = append(out, *f.DeepCopy())
	}
	return out
}
