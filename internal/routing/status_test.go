package routing

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestVerify: a route counts as applied only when every parentRef has a status entry with
// Accepted and ResolvedRefs True for the current generation; ResolvedRefs False says which
// backend doesn't resolve, and keeps saying so until the gateway has seen the newer
// generation (a weight written meanwhile must not count as reaching a backend that resolves).
func TestVerify(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, gen int64) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, ObservedGeneration: gen, Reason: typ, Message: "m"}
	}
	ok := func(gen int64) []metav1.Condition {
		return []metav1.Condition{cond("Accepted", "True", gen), cond("ResolvedRefs", "True", gen)}
	}
	gw := gatewayv1.ParentReference{Name: "gw"}
	internal := gatewayv1.ParentReference{Name: "internal", SectionName: ptr.To[gatewayv1.SectionName]("grpc")}
	parent := func(ref gatewayv1.ParentReference, cs ...metav1.Condition) gatewayv1.RouteParentStatus {
		return gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: "x", Conditions: cs}
	}
	cases := []struct {
		name    string
		parents []gatewayv1.ParentReference
		status  []gatewayv1.RouteParentStatus
		want    Verdict
	}{
		{"accepted and resolved", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw, ok(3)...)},
			Verdict{Accepted: true}},
		{"status written with the defaults spelled out", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gatewayv1.ParentReference{
			Group: ptr.To[gatewayv1.Group](gatewayv1.GroupName), Kind: ptr.To[gatewayv1.Kind]("Gateway"), Namespace: ptr.To[gatewayv1.Namespace]("ns"), Name: "gw"}, ok(3)...)},
			Verdict{Accepted: true}},
		{"no parentRefs", nil, nil, Verdict{Message: "the route has no parentRefs"}},
		{"a second parent not reported yet", []gatewayv1.ParentReference{gw, internal}, []gatewayv1.RouteParentStatus{parent(gw, ok(3)...)},
			Verdict{Message: "no gateway has reported on parent internal/grpc yet"}},
		{"a status entry for a parent the route no longer names doesn't count", []gatewayv1.ParentReference{internal},
			[]gatewayv1.RouteParentStatus{parent(gw, ok(3)...)}, Verdict{Message: "no gateway has reported on parent internal/grpc yet"}},
		{"accepted without ResolvedRefs", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw, cond("Accepted", "True", 3))},
			Verdict{Message: "parent gw has no ResolvedRefs condition"}},
		{"resolved for an older generation", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw, cond("Accepted", "True", 3), cond("ResolvedRefs", "True", 2))},
			Verdict{Message: "parent gw has seen generation 2 of 3"}},
		{"a backend that doesn't resolve", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw, cond("Accepted", "True", 3),
			metav1.Condition{Type: "ResolvedRefs", Status: "False", ObservedGeneration: 3, Reason: "BackendNotFound", Message: "service web-canary not found"})},
			Verdict{Message: "parent gw: ResolvedRefs BackendNotFound: service web-canary not found", Unresolved: "parent gw: ResolvedRefs BackendNotFound: service web-canary not found"}},
		{"a backend that didn't resolve at an older generation still counts until the gateway reports on this one",
			[]gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw, cond("Accepted", "True", 2),
				metav1.Condition{Type: "ResolvedRefs", Status: "False", ObservedGeneration: 2, Reason: "BackendNotFound", Message: "service web-canary not found"})},
			Verdict{Message: "parent gw has seen generation 2 of 3", Unresolved: "parent gw: ResolvedRefs BackendNotFound at generation 2: service web-canary not found"}},
		{"not accepted", []gatewayv1.ParentReference{gw}, []gatewayv1.RouteParentStatus{parent(gw,
			metav1.Condition{Type: "Accepted", Status: "False", ObservedGeneration: 3, Reason: "NoMatchingParent", Message: "no listener"}, cond("ResolvedRefs", "True", 3))},
			Verdict{Message: "parent gw: Accepted NoMatchingParent: no listener"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(tc.parents, gatewayv1.RouteStatus{Parents: tc.status}, "ns", 3); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
