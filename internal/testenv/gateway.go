package testenv

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// NoGatewayAnnotation on an HTTPRoute keeps the stand-in gateway away from it, so the route
// is never Accepted (for tests of what Weir does then).
const NoGatewayAnnotation = "test.weir.dev/no-gateway"

// StandInGateway is TEST INFRASTRUCTURE for tests without a data plane: it plays a Gateway
// API implementation's status part only, marking every HTTPRoute Accepted by each of its
// parents for the route's current generation (as Traefik does 20–70 ms after a change). It
// runs until ctx ends.
func StandInGateway(ctx context.Context, c client.Client) {
	for ctx.Err() == nil {
		var routes gatewayv1.HTTPRouteList
		if err := c.List(ctx, &routes); err == nil {
			for i := range routes.Items {
				route := &routes.Items[i]
				if route.Annotations[NoGatewayAnnotation] == "" && AcceptedGeneration(route) != route.Generation {
					_ = MarkAccepted(ctx, c, route, "test.weir.dev/stand-in-gateway")
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// AcceptedGeneration is the route generation its first parent has Accepted, or -1.
func AcceptedGeneration(route *gatewayv1.HTTPRoute) int64 {
	if len(route.Status.Parents) == 0 {
		return -1
	}
	c := meta.FindStatusCondition(route.Status.Parents[0].Conditions, string(gatewayv1.RouteConditionAccepted))
	if c == nil {
		return -1
	}
	return c.ObservedGeneration
}

// MarkAccepted writes the route's parent status Accepted for its current generation, as the
// gateway implementation named controllerName would.
func MarkAccepted(ctx context.Context, c client.Client, route *gatewayv1.HTTPRoute, controllerName string) error {
	var parents []gatewayv1.RouteParentStatus
	for _, ref := range route.Spec.ParentRefs {
		parents = append(parents, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: gatewayv1.GatewayController(controllerName),
			Conditions: []metav1.Condition{{
				Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue,
				Reason: "Accepted", ObservedGeneration: route.Generation, LastTransitionTime: metav1.Now(),
			}},
		})
	}
	route.Status.Parents = parents
	return c.Status().Update(ctx, route)
}
