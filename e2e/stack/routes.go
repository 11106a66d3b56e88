package stack

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// RouteRule is what a test reads of one live HTTPRoute rule.
type RouteRule struct {
	Name           string
	RequestTimeout string
	Weights        map[string]int64 // by backendRef name
}

// CanaryWeight is the weight of the named backend (0 when absent).
func (r RouteRule) CanaryWeight(backend string) int64 { return r.Weights[backend] }

// RouteRules reads a live HTTPRoute's rules.
func (s *Stack) RouteRules(ctx context.Context, namespace, name string) ([]RouteRule, error) {
	var route gatewayv1.HTTPRoute
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &route); err != nil {
		return nil, err
	}
	var out []RouteRule
	for _, r := range route.Spec.Rules {
		rule := RouteRule{Weights: map[string]int64{}}
		if r.Name != nil {
			rule.Name = string(*r.Name)
		}
		if r.Timeouts != nil && r.Timeouts.Request != nil {
			rule.RequestTimeout = string(*r.Timeouts.Request)
		}
		for _, b := range r.BackendRefs {
			w := int64(1)
			if b.Weight != nil {
				w = int64(*b.Weight)
			}
			rule.Weights[string(b.Name)] = w
		}
		out = append(out, rule)
	}
	return out, nil
}
