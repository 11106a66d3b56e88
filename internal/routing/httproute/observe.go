package httproute

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing"
)

// Observe reads what a route says for the planner. route is nil when it doesn't exist.
func Observe(route *gatewayv1.HTTPRoute, ref weirv1.RouteRef, b routing.Backends) planner.Route {
	out := planner.Route{Kind: Kind, Name: ref.Name}
	if route == nil {
		return out
	}
	out, touched := routing.ObserveRoute(out, routing.Route{Namespace: route.Namespace, Generation: route.Generation,
		Parents: route.Spec.ParentRefs, Status: route.Status.RouteStatus, Rules: views(route.Spec.Rules)}, ref, b)
	if out.Problem != "" {
		return out
	}
	base := route.Spec.Rules[touched[0]]
	for i := range route.Spec.Rules {
		if rule := route.Spec.Rules[i]; view(&rule).Injected() {
			out.InjectedRules = append(out.InjectedRules, injectedKey(rule, base, route.Namespace, b, out.Weights))
		}
	}
	sort.Strings(out.InjectedRules)
	return out
}

func views(rules []gatewayv1.HTTPRouteRule) []routing.Rule { return routing.Views(rules, view) }

// view is one rule as routing reads it; setting its weights sets the rule's.
func view(rule *gatewayv1.HTTPRouteRule) routing.Rule {
	v := routing.Rule{Name: rule.Name}
	for j := range rule.BackendRefs {
		v.Backends = append(v.Backends, &rule.BackendRefs[j].BackendRef)
	}
	return v
}

// injectedKey reads back what an injected rule does, as the key of the step that would
// write it (planner.HeaderRuleKey, MirrorRuleKey): the step is rebuilt from the rule (its
// name, the headers added to the base rule's first match, the mirror percent) and the rule
// Weir would write for it compared with the one read. A rule that differs (edited by hand,
// or written for an older base rule or weight) gets a key no step has, so it never counts
// as applied.
func injectedKey(rule, base gatewayv1.HTTPRouteRule, ns string, b routing.Backends, weights *weirv1.WeightPair) string {
	name := string(*rule.Name)
	match := addedHeaders(rule, base)
	if step, ok := strings.CutPrefix(name, routing.HeaderRulePrefix); ok {
		h := weirv1.SetHeaderRoute{Name: step, Match: match}
		if equality.Semantic.DeepEqual(headerRule(base, ns, b, h), rule) {
			return planner.HeaderRuleKey(h)
		}
		return "header " + step + " (not as Weir writes it)"
	}
	step := strings.TrimPrefix(name, routing.MirrorRulePrefix)
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
