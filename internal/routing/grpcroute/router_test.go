package grpcroute

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing"
)

func grpcRoute() *gatewayv1.GRPCRoute {
	ref := func(name string, w int32) gatewayv1.GRPCBackendRef {
		return gatewayv1.GRPCBackendRef{BackendRef: gatewayv1.BackendRef{Weight: ptr.To(w),
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}}}
	}
	return &gatewayv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "ns", Generation: 2, ResourceVersion: "7"},
		Spec: gatewayv1.GRPCRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw"}}},
			Rules: []gatewayv1.GRPCRouteRule{
				{Name: ptr.To[gatewayv1.SectionName]("posts"), Matches: []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{Service: ptr.To("blog.Posts")}}},
					BackendRefs: []gatewayv1.GRPCBackendRef{ref("web-stable", 100), ref("web-canary", 0)}},
				{Name: ptr.To[gatewayv1.SectionName]("admin"), BackendRefs: []gatewayv1.GRPCBackendRef{ref("admin", 1)}},
			},
		},
		Status: gatewayv1.GRPCRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: []gatewayv1.RouteParentStatus{{
			ParentRef: gatewayv1.ParentReference{Name: "gw"}, ControllerName: "x",
			Conditions: []metav1.Condition{{Type: "Accepted", Status: "True", ObservedGeneration: 2}, {Type: "ResolvedRefs", Status: "True", ObservedGeneration: 2}},
		}}}},
	}
}

var b = routing.Backends{Stable: "web-stable", Canary: "web-canary"}

// TestApplySetsOnlyTheWeights: the apply configuration carries every rule as read, with
// only the stable and canary weights of the rule naming both changed, under the
// resourceVersion read; a route that has the weights already needs no write.
func TestApplySetsOnlyTheWeights(t *testing.T) {
	route := grpcRoute()
	before := route.DeepCopy()
	ac, err := Router{}.Apply(route, weirv1.RouteRef{Name: "api"}, b, planner.Traffic{Weights: weirv1.WeightPair{Stable: 70, Canary: 30}})
	if err != nil || ac == nil {
		t.Fatalf("apply %v, %v", ac, err)
	}
	if !equality.Semantic.DeepEqual(route, before) {
		t.Fatal("Apply changed the route it read")
	}
	raw, _ := json.Marshal(ac)
	var got gatewayv1.GRPCRoute
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := before.Spec.DeepCopy()
	want.Rules[0].BackendRefs[0].Weight, want.Rules[0].BackendRefs[1].Weight = ptr.To[int32](70), ptr.To[int32](30)
	if got.Name != "api" || got.ResourceVersion != "7" || !equality.Semantic.DeepEqual(got.Spec.Rules, want.Rules) || got.Spec.ParentRefs != nil {
		t.Errorf("apply configuration %s", raw)
	}

	route.Spec.Rules = want.Rules
	if ac, _ := (Router{}).Apply(route, weirv1.RouteRef{Name: "api"}, b, planner.Traffic{Weights: weirv1.WeightPair{Stable: 70, Canary: 30}}); ac != nil {
		t.Errorf("a route with the weights already is written again")
	}
}

func TestObserve(t *testing.T) {
	got := Router{}.Observe(grpcRoute(), weirv1.RouteRef{Name: "api"}, b)
	want := planner.Route{Kind: "GRPCRoute", Name: "api", Found: true, WeightsOnly: true, Accepted: true, Weights: &weirv1.WeightPair{Stable: 100},
		BackendPorts: map[string][]int32{"web-stable": {80}, "web-canary": {80}}}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("observed %+v\nwant %+v", got, want)
	}
	if got := (Router{}).Observe(nil, weirv1.RouteRef{Name: "api"}, b); got.Found || got.Kind != "GRPCRoute" {
		t.Errorf("missing route: %+v", got)
	}
	got = Router{}.Observe(grpcRoute(), weirv1.RouteRef{Name: "api", Rules: []string{"admin"}}, b)
	if got.Problem != `rule "admin" has no backendRefs to both Service web-stable and Service web-canary` {
		t.Errorf("problem %q", got.Problem)
	}
}
