package routing

import (
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestIsServiceSpellings: a backendRef names a Service with the group left out, "" (Gateway
// API's spelling) or "core" (the peers' examples'); any other group or kind is not one. A
// route in another namespace than the Services' reaches them only by naming theirs.
func TestIsServiceSpellings(t *testing.T) {
	ref := func(group, kind *string, ns *string) gatewayv1.BackendObjectReference {
		r := gatewayv1.BackendObjectReference{Name: "web-canary"}
		if group != nil {
			r.Group = ptr.To(gatewayv1.Group(*group))
		}
		if kind != nil {
			r.Kind = ptr.To(gatewayv1.Kind(*kind))
		}
		if ns != nil {
			r.Namespace = ptr.To(gatewayv1.Namespace(*ns))
		}
		return r
	}
	s := func(v string) *string { return &v }
	cases := []struct {
		name string
		ref  gatewayv1.BackendObjectReference
		want bool
	}{
		{"defaults", ref(nil, nil, nil), true},
		{"group empty", ref(s(""), s("Service"), nil), true},
		{"group core", ref(s("core"), s("Service"), nil), true},
		{"group core, same namespace spelled out", ref(s("core"), nil, s("ns")), true},
		{"another group", ref(s("multicluster.x-k8s.io"), s("ServiceImport"), nil), false},
		{"core group, another kind", ref(s("core"), s("Pod"), nil), false},
		{"another namespace", ref(s("core"), nil, s("other")), false},
	}
	for _, tc := range cases {
		if got := (Backends{}).Is(tc.ref, "ns", "web-canary"); got != tc.want {
			t.Errorf("%s: Is = %v, want %v", tc.name, got, tc.want)
		}
	}
	apps := Backends{Stable: "web-stable", Canary: "web-canary", Namespace: "shop"}
	for _, tc := range []struct {
		name    string
		ref     gatewayv1.BackendObjectReference
		routeNS string
		want    bool
	}{
		{"a route in the Services' namespace, no namespace named", ref(nil, nil, nil), "shop", true},
		{"a route elsewhere naming the Services' namespace", ref(nil, nil, s("shop")), "platform", true},
		{"a route elsewhere naming none: its own namespace's Service", ref(nil, nil, nil), "platform", false},
	} {
		if got := apps.Is(tc.ref, tc.routeNS, "web-canary"); got != tc.want {
			t.Errorf("%s: Is = %v, want %v", tc.name, got, tc.want)
		}
	}
}
