// Package grpcroute is Weir's router for Gateway API GRPCRoutes: the weights of the stable
// and canary backendRefs, with the same rule choice and verification as HTTPRoutes. Header
// and mirror steps need an HTTPRoute (the API refuses them without one).
package grpcroute

import (
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing"
)

// Kind is the routes' kind.
const Kind = "GRPCRoute"

// Router is the GRPCRoute router.
type Router struct{}

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=grpcroutes,verbs=get;list;watch;patch

func (Router) Kind() string                                               { return Kind }
func (Router) New() client.Object                                         { return &gatewayv1.GRPCRoute{} }
func (Router) NewList() client.ObjectList                                 { return &gatewayv1.GRPCRouteList{} }
func (Router) Refs(tr *weirv1.GatewayAPITrafficRouting) []weirv1.RouteRef { return tr.GRPCRoutes }

// Observe reads the weights of the rules Weir sets and the route's status.
func (Router) Observe(obj client.Object, ref weirv1.RouteRef, b routing.Backends) planner.Route {
	out := planner.Route{Kind: Kind, Name: ref.Name, WeightsOnly: true}
	route, _ := obj.(*gatewayv1.GRPCRoute)
	if route == nil {
		return out
	}
	out, _ = routing.ObserveRoute(out, routing.Route{Namespace: route.Namespace, Generation: route.Generation,
		Parents: route.Spec.ParentRefs, Status: route.Status.RouteStatus, Rules: routing.Views(route.Spec.Rules, view)}, ref, b)
	return out
}

// Apply sets the weights of the touched rules; every other rule and field is copied as
// read (spec.rules is an atomic list: Weir applies all of it).
func (Router) Apply(obj client.Object, ref weirv1.RouteRef, b routing.Backends, t planner.Traffic) (runtime.ApplyConfiguration, error) {
	route := obj.(*gatewayv1.GRPCRoute)
	rules := make([]gatewayv1.GRPCRouteRule, len(route.Spec.Rules))
	for i := range route.Spec.Rules {
		rules[i] = *route.Spec.Rules[i].DeepCopy()
	}
	touched, problem := routing.TouchedRules(routing.Views(rules, view), route.Namespace, ref, b)
	for _, i := range touched {
		routing.SetWeights(view(&rules[i]), route.Namespace, b, t.Weights)
	}
	if problem != "" {
		return nil, nil
	}
	typed, err := routing.ApplyRules[gatewayac.GRPCRouteRuleApplyConfiguration](Kind, route.Name, rules, route.Spec.Rules)
	if typed == nil || err != nil {
		return nil, err
	}
	return gatewayac.GRPCRoute(route.Name, route.Namespace).
		WithResourceVersion(route.ResourceVersion).
		WithSpec(gatewayac.GRPCRouteSpec().WithRules(typed...)), nil
}

// view is one rule as routing reads it; setting its weights sets the rule's.
func view(rule *gatewayv1.GRPCRouteRule) routing.Rule {
	v := routing.Rule{Name: rule.Name}
	for j := range rule.BackendRefs {
		v.Backends = append(v.Backends, &rule.BackendRefs[j].BackendRef)
	}
	return v
}
