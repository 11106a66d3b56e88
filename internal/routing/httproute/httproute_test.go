package httproute

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing"
)

var b = routing.Backends{Stable: "web-stable", Canary: "web-canary"}

func ref(name string, weight *int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)},
		Weight:                 weight,
	}}
}

func rule(name string, refs ...gatewayv1.HTTPBackendRef) gatewayv1.HTTPRouteRule {
	r := gatewayv1.HTTPRouteRule{BackendRefs: refs,
		Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/api")}}}}
	if name != "" {
		r.Name = ptr.To(gatewayv1.SectionName(name))
	}
	return r
}

func route(gen int64, accepted bool, rules ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	r := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Generation: gen},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw"}}},
			Rules:           rules,
		},
	}
	if accepted {
		r.Status.Parents = []gatewayv1.RouteParentStatus{{ParentRef: gatewayv1.ParentReference{Name: "gw"},
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, ObservedGeneration: gen},
				{Type: "ResolvedRefs", Status: metav1.ConditionTrue, ObservedGeneration: gen}}}}
	}
	return r
}

func TestObserve(t *testing.T) {
	w := func(s, c int32) *weirv1.WeightPair { return &weirv1.WeightPair{Stable: s, Canary: c} }
	cases := []struct {
		name     string
		route    *gatewayv1.HTTPRoute
		ref      weirv1.RouteRef
		want     *weirv1.WeightPair
		accepted bool
		problem  string
	}{
		{"weights as percentages", route(3, true, rule("", ref("web-stable", ptr.To[int32](80)), ref("web-canary", ptr.To[int32](20)))),
			weirv1.RouteRef{Name: "web"}, w(80, 20), true, ""},
		{"absent weights count 1 each", route(3, true, rule("", ref("web-stable", nil), ref("web-canary", nil))),
			weirv1.RouteRef{Name: "web"}, w(50, 50), true, ""},
		{"an older generation is not accepted", func() *gatewayv1.HTTPRoute {
			r := route(4, true, rule("", ref("web-stable", ptr.To[int32](1)), ref("web-canary", ptr.To[int32](0))))
			r.Status.Parents[0].Conditions[0].ObservedGeneration = 3
			return r
		}(), weirv1.RouteRef{Name: "web"}, w(100, 0), false, ""},
		{"rules that disagree", route(1, true,
			rule("a", ref("web-stable", ptr.To[int32](80)), ref("web-canary", ptr.To[int32](20))),
			rule("b", ref("web-stable", ptr.To[int32](100)), ref("web-canary", ptr.To[int32](0)))),
			weirv1.RouteRef{Name: "web"}, nil, true, ""},
		{"only the named rule counts", route(1, true,
			rule("a", ref("web-stable", ptr.To[int32](80)), ref("web-canary", ptr.To[int32](20))),
			rule("b", ref("web-stable", ptr.To[int32](100)), ref("web-canary", ptr.To[int32](0)))),
			weirv1.RouteRef{Name: "web", Rules: []string{"b"}}, w(100, 0), true, ""},
		{"named rule missing", route(1, true, rule("a", ref("web-stable", nil), ref("web-canary", nil))),
			weirv1.RouteRef{Name: "web", Rules: []string{"zzz"}}, nil, false, `no rule named "zzz"`},
		{"no rule with both services", route(1, true, rule("a", ref("web-stable", nil))),
			weirv1.RouteRef{Name: "web"}, nil, false, "no rule has backendRefs to both Service web-stable and Service web-canary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Observe(tc.route, tc.ref, b)
			if got.Problem != tc.problem {
				t.Fatalf("problem %q, want %q", got.Problem, tc.problem)
			}
			if tc.problem != "" {
				return
			}
			if !equality.Semantic.DeepEqual(got.Weights, tc.want) {
				t.Errorf("weights %+v, want %+v", got.Weights, tc.want)
			}
			if got.Accepted != tc.accepted {
				t.Errorf("accepted %v (%s), want %v", got.Accepted, got.AcceptanceMessage, tc.accepted)
			}
		})
	}
	if got := Observe(nil, weirv1.RouteRef{Name: "web"}, b); got.Found {
		t.Errorf("a missing route is found")
	}
}

// TestObserveReadsThePortsOfEveryRule: the ports every rule names for the two Services
// (a header rule's too, each port once), so the planner can hold the weight when a Service
// lacks one; other backends don't count.
func TestObserveReadsThePortsOfEveryRule(t *testing.T) {
	header := rule("weir-header-beta", ref("web-canary", ptr.To[int32](1)))
	header.BackendRefs[0].Port = ptr.To[gatewayv1.PortNumber](8080)
	r := route(1, true,
		rule("", ref("web-stable", ptr.To[int32](80)), ref("web-canary", ptr.To[int32](20)), ref("docs", ptr.To[int32](1))),
		rule("legacy", ref("web-stable", nil), ref("web-canary", nil)),
		header)
	got := Observe(r, weirv1.RouteRef{Name: "web"}, b).BackendPorts
	want := map[string][]int32{"web-stable": {80}, "web-canary": {80, 8080}}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("backend ports %v, want %v", got, want)
	}
}

func TestDesiredRulesTouchOnlyTheWeights(t *testing.T) {
	other := rule("docs", ref("docs", ptr.To[int32](1)))
	main := rule("main", ref("web-stable", ptr.To[int32](100)), ref("web-canary", ptr.To[int32](0)), ref("legacy", ptr.To[int32](7)))
	main.Filters = []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "x", Value: "y"}}}}}
	r := route(1, true, main, other)
	original := r.DeepCopy()

	rules, ok := DesiredRules(r, weirv1.RouteRef{Name: "web"}, b, planner.Traffic{Weights: weirv1.WeightPair{Stable: 70, Canary: 30}})
	if !ok {
		t.Fatal("not ok")
	}
	if !equality.Semantic.DeepEqual(r, original) {
		t.Fatal("DesiredRules changed its input")
	}
	want := []gatewayv1.HTTPRouteRule{*main.DeepCopy(), *other.DeepCopy()}
	want[0].BackendRefs[0].Weight = ptr.To[int32](70)
	want[0].BackendRefs[1].Weight = ptr.To[int32](30)
	if !equality.Semantic.DeepEqual(rules, want) {
		t.Errorf("rules\n%+v\nwant\n%+v", rules, want)
	}
}

func TestDesiredRulesInjectAndRemove(t *testing.T) {
	main := rule("main", ref("web-stable", ptr.To[int32](100)), ref("web-canary", ptr.To[int32](0)))
	r := route(1, true, main)
	traffic := planner.Traffic{
		Weights:      weirv1.WeightPair{Stable: 90, Canary: 10},
		HeaderRoutes: []weirv1.SetHeaderRoute{{Name: "beta", Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}},
		MirrorRoutes: []weirv1.SetMirrorRoute{{Name: "shadow", Percent: 25}},
	}
	rules, _ := DesiredRules(r, weirv1.RouteRef{Name: "web"}, b, traffic)
	if len(rules) != 3 {
		t.Fatalf("%d rules, want header, mirror, main", len(rules))
	}
	header, mirror, user := rules[0], rules[1], rules[2]
	if *header.Name != "weir-header-beta" || len(header.BackendRefs) != 1 || header.BackendRefs[0].Name != "web-canary" {
		t.Errorf("header rule %+v", header)
	}
	if got := header.Matches[0]; *got.Path.Value != "/api" || got.Headers[0].Name != "x-beta" || got.Headers[0].Value != "1" {
		t.Errorf("header rule keeps the user's path and adds the header: %+v", got)
	}
	if *mirror.Name != "weir-mirror-shadow" || mirror.Filters[0].Type != gatewayv1.HTTPRouteFilterRequestMirror ||
		*mirror.Filters[0].RequestMirror.Percent != 25 || mirror.Filters[0].RequestMirror.BackendRef.Name != "web-canary" {
		t.Errorf("mirror rule %+v", mirror)
	}
	if *user.BackendRefs[0].Weight != 90 || *user.BackendRefs[1].Weight != 10 {
		t.Errorf("user rule weights %v/%v", *user.BackendRefs[0].Weight, *user.BackendRefs[1].Weight)
	}

	// Observed with the injected rules, then a traffic state without them: they go, and
	// setWeight never counted them as rules to weigh.
	r.Spec.Rules = rules
	obs := Observe(r, weirv1.RouteRef{Name: "web"}, b)
	if obs.Weights == nil || *obs.Weights != traffic.Weights || len(obs.InjectedRules) != 2 {
		t.Fatalf("observe with injected rules: %+v", obs)
	}
	rules, _ = DesiredRules(r, weirv1.RouteRef{Name: "web"}, b, planner.Traffic{Weights: weirv1.WeightPair{Stable: 100}})
	if len(rules) != 1 || *rules[0].Name != "main" {
		t.Errorf("injected rules not removed: %+v", rules)
	}
}

// TestObserveReadsInjectedRulesByContent: what Observe reports of injected rules is what
// they do (the steps' keys), so a changed match or mirror percent under the same name, or a
// hand edit, is never taken for applied (issue 14, defect 4).
func TestObserveReadsInjectedRulesByContent(t *testing.T) {
	main := rule("main", ref("web-stable", ptr.To[int32](100)), ref("web-canary", ptr.To[int32](0)))
	main.Matches[0].Headers = []gatewayv1.HTTPHeaderMatch{{Name: "x-user-rule", Value: "kept"}}
	header := weirv1.SetHeaderRoute{Name: "beta", Match: []weirv1.HeaderMatch{{Name: "x-beta", Type: "Exact", Value: "1"}}}
	mirror := weirv1.SetMirrorRoute{Name: "shadow", Percent: 25, Match: []weirv1.HeaderMatch{{Name: "x-m", Type: "RegularExpression", Value: "a.*"}}}
	traffic := planner.Traffic{Weights: weirv1.WeightPair{Stable: 90, Canary: 10},
		HeaderRoutes: []weirv1.SetHeaderRoute{header}, MirrorRoutes: []weirv1.SetMirrorRoute{mirror}}
	r := route(1, true, main)
	rules, _ := DesiredRules(r, weirv1.RouteRef{Name: "web"}, b, traffic)
	r.Spec.Rules = rules
	observe := func() []string { return Observe(r, weirv1.RouteRef{Name: "web"}, b).InjectedRules }

	want := []string{planner.HeaderRuleKey(header), planner.MirrorRuleKey(mirror)}
	if got := observe(); !equality.Semantic.DeepEqual(got, want) {
		t.Fatalf("as written: %q, want %q", got, want)
	}
	changed := header
	changed.Match = []weirv1.HeaderMatch{{Name: "x-beta", Type: "Exact", Value: "2"}}
	if got := observe(); got[0] == planner.HeaderRuleKey(changed) {
		t.Errorf("a rule matching x-beta=1 reads as the step matching x-beta=2: %q", got)
	}
	other := mirror
	other.Percent = 50
	if got := observe(); got[1] == planner.MirrorRuleKey(other) {
		t.Errorf("a rule mirroring 25%% reads as the step mirroring 50%%: %q", got)
	}

	// Edited by hand under Weir's name: not what any step writes.
	r.Spec.Rules[0].BackendRefs = append(r.Spec.Rules[0].BackendRefs, ref("web-stable", ptr.To[int32](1)))
	r.Spec.Rules[1].Filters = append(r.Spec.Rules[1].Filters, gatewayv1.HTTPRouteFilter{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
		RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Add: []gatewayv1.HTTPHeader{{Name: "x-added", Value: "by hand"}}}})
	want = []string{"header beta (not as Weir writes it)", "mirror shadow (not as Weir writes it)"}
	if got := observe(); !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("edited: %q, want %q", got, want)
	}
}
