// Package httproute is Weir's router for Gateway API HTTPRoutes: weights, and the rules of
// header and mirror steps.
package httproute

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
const Kind = "HTTPRoute"

// Router is the HTTPRoute router.
type Router struct{}

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;patch

func (Router) Kind() string                                               { return Kind }
func (Router) New() client.Object                                         { return &gatewayv1.HTTPRoute{} }
func (Router) NewList() client.ObjectList                                 { return &gatewayv1.HTTPRouteList{} }
func (Router) Refs(tr *weirv1.GatewayAPITrafficRouting) []weirv1.RouteRef { return tr.HTTPRoutes }

func (Router) Observe(obj client.Object, ref weirv1.RouteRef, b routing.Backends) planner.Route {
	route, _ := obj.(*gatewayv1.HTTPRoute)
	return Observe(route, ref, b)
}

// Apply gives the route its desired rules. Gateway API makes spec.rules an atomic list, so
// Weir applies the whole list (copied from what it read, with only its weights and injected
// rules changed) and nothing else.
func (Router) Apply(obj client.Object, ref weirv1.RouteRef, b routing.Backends, t planner.Traffic) (runtime.ApplyConfiguration, error) {
	route := obj.(*gatewayv1.HTTPRoute)
	rules, ok := DesiredRules(route, ref, b, t)
	if !ok {
		return nil, nil
	}
	typed, err := routing.ApplyRules[gatewayac.HTTPRouteRuleApplyConfiguration](Kind, route.Name, rules, route.Spec.Rules)
	if typed == nil || err != nil {
		return nil, err
	}
	return gatewayac.HTTPRoute(route.Name, route.Namespace).
		WithResourceVersion(route.ResourceVersion).
		WithSpec(gatewayac.HTTPRouteSpec().WithRules(typed...)), nil
}
