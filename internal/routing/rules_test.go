package routing

import (
	"testing"

	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestIsServiceSpellings: a backendRef names a Service with the group left out, "" (Gateway
// API's spelling) or "core" (the peers' examples'); any other group or kind is not one.
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
		if got := IsService(tc.ref, "ns", "web-canary"); got != tc.want {
			t.Errorf("%s: IsService = %v, want %v", tc.name, got, tc.want)
		}
	}
}
