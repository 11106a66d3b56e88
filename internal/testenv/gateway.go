package testenv

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/weir-dev/weir/internal/routing"
)

// NoGatewayAnnotation on a route keeps the stand-in gateway away from it, so the route is
// never Accepted (for tests of what Weir does then).
const NoGatewayAnnotation = "test.weir.dev/no-gateway"

// standInController is the controllerName the stand-in gateway reports as.
const standInController = "test.weir.dev/stand-in-gateway"

// StandInGateway is TEST INFRASTRUCTURE for tests without a data plane: it plays a Gateway
// API implementation's status part only, for HTTPRoutes and GRPCRoutes. For each parent it
// reports Accepted, and ResolvedRefs as a gateway resolves backends (each backendRef a
// Service of the route's namespace with the port named; else False, BackendNotFound), for
// the route's current generation, as Traefik does 20–70 ms after a change. It runs until
// ctx ends.
func StandInGateway(ctx context.Context, c client.Client) {
	for ctx.Err() == nil {
		for _, list := range []client.ObjectList{&gatewayv1.HTTPRouteList{}, &gatewayv1.GRPCRouteList{}} {
			if err := c.List(ctx, list); err != nil {
				continue
			}
			items, _ := meta.ExtractList(list)
			for _, item := range items {
				route := item.(client.Object)
				parents, status, backends := routeParts(route)
				report(ctx, c, route, parents, status, backends)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// routeParts are what the stand-in reads and writes of a route of either kind.
func routeParts(obj client.Object) ([]gatewayv1.ParentReference, *gatewayv1.RouteStatus, []gatewayv1.BackendObjectReference) {
	var refs []gatewayv1.BackendObjectReference
	switch r := obj.(type) {
	case *gatewayv1.HTTPRoute:
		for _, rule := range r.Spec.Rules {
			for _, br := range rule.BackendRefs {
				refs = append(refs, br.BackendObjectReference)
			}
		}
		return r.Spec.ParentRefs, &r.Status.RouteStatus, refs
	case *gatewayv1.GRPCRoute:
		for _, rule := range r.Spec.Rules {
			for _, br := range rule.BackendRefs {
				refs = append(refs, br.BackendObjectReference)
			}
		}
		return r.Spec.ParentRefs, &r.Status.RouteStatus, refs
	}
	return nil, &gatewayv1.RouteStatus{}, nil
}

// report writes the parents' status of one route when it differs from what it says now.
func report(ctx context.Context, c client.Client, route client.Object, parents []gatewayv1.ParentReference, status *gatewayv1.RouteStatus, backends []gatewayv1.BackendObjectReference) {
	if route.GetAnnotations()[NoGatewayAnnotation] != "" {
		return
	}
	resolved := resolve(ctx, c, route, backends)
	want := parentStatuses(parents, route.GetGeneration(), resolved)
	if sameConditions(status.Parents, want) {
		return
	}
	status.Parents = want
	_ = c.Status().Update(ctx, route)
}

// resolve checks the backendRefs as a gateway does: a ResolvedRefs condition. A Service in
// another namespace than the route's needs a ReferenceGrant there that lets this kind of
// route from this namespace reach it (Gateway API's rule).
func resolve(ctx context.Context, c client.Client, route client.Object, backends []gatewayv1.BackendObjectReference) metav1.Condition {
	ok := metav1.Condition{Type: string(gatewayv1.RouteConditionResolvedRefs), Status: metav1.ConditionTrue, Reason: string(gatewayv1.RouteReasonResolvedRefs)}
	for _, ref := range backends {
		if !routing.CoreGroup(ref.Group) || ptr.Deref(ref.Kind, "Service") != "Service" {
			continue // not a Service: the stand-in has nothing to check
		}
		ns := string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(route.GetNamespace())))
		if ns != route.GetNamespace() && !granted(ctx, c, route, ns, string(ref.Name)) {
			return metav1.Condition{Type: ok.Type, Status: metav1.ConditionFalse, Reason: string(gatewayv1.RouteReasonRefNotPermitted),
				Message: fmt.Sprintf("backendRef %s/%s: no ReferenceGrant in %s lets routes of %s reach it", ns, ref.Name, ns, route.GetNamespace())}
		}
		var svc corev1.Service
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: string(ref.Name)}, &svc); err != nil {
			return metav1.Condition{Type: ok.Type, Status: metav1.ConditionFalse, Reason: string(gatewayv1.RouteReasonBackendNotFound),
				Message: fmt.Sprintf("Service %s/%s: %v", ns, ref.Name, err)}
		}
		if ref.Port != nil && !hasPort(&svc, int32(*ref.Port)) {
			return metav1.Condition{Type: ok.Type, Status: metav1.ConditionFalse, Reason: string(gatewayv1.RouteReasonBackendNotFound),
				Message: fmt.Sprintf("Service %s/%s has no port %d", ns, ref.Name, *ref.Port)}
		}
	}
	return ok
}

// granted reports whether a ReferenceGrant in ns lets the route reach the Service svc.
func granted(ctx context.Context, c client.Client, route client.Object, ns, svc string) bool {
	var grants gatewayv1beta1.ReferenceGrantList
	if err := c.List(ctx, &grants, client.InNamespace(ns)); err != nil {
		return false
	}
	kind := "HTTPRoute"
	if _, grpc := route.(*gatewayv1.GRPCRoute); grpc {
		kind = "GRPCRoute"
	}
	for _, g := range grants.Items {
		from, to := false, false
		for _, f := range g.Spec.From {
			from = from || string(f.Group) == gatewayv1.GroupName && string(f.Kind) == kind && string(f.Namespace) == route.GetNamespace()
		}
		for _, t := range g.Spec.To {
			to = to || routing.CoreGroup(&t.Group) && string(t.Kind) == "Service" && (t.Name == nil || string(*t.Name) == svc)
		}
		if from && to {
			return true
		}
	}
	return false
}

func hasPort(svc *corev1.Service, port int32) bool {
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			return true
		}
	}
	return false
}

func parentStatuses(parents []gatewayv1.ParentReference, generation int64, resolved metav1.Condition) []gatewayv1.RouteParentStatus {
	var out []gatewayv1.RouteParentStatus
	for _, ref := range parents {
		resolved.ObservedGeneration, resolved.LastTransitionTime = generation, metav1.Now()
		out = append(out, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: standInController,
			Conditions: []metav1.Condition{{
				Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue,
				Reason: "Accepted", ObservedGeneration: generation, LastTransitionTime: metav1.Now(),
			}, resolved},
		})
	}
	return out
}

// sameConditions compares statuses without their transition times.
func sameConditions(have, want []gatewayv1.RouteParentStatus) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range want {
		if have[i].ParentRef.Name != want[i].ParentRef.Name || len(have[i].Conditions) != len(want[i].Conditions) {
			return false
		}
		for _, w := range want[i].Conditions {
			h := meta.FindStatusCondition(have[i].Conditions, w.Type)
			if h == nil || h.Status != w.Status || h.Reason != w.Reason || h.Message != w.Message || h.ObservedGeneration != w.ObservedGeneration {
				return false
			}
		}
	}
	return true
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

// MarkAccepted writes the route's parent status Accepted, with its references resolved, for
// its current generation, as the gateway implementation named controllerName would (the
// bench's stand-in, whose Services always exist).
func MarkAccepted(ctx context.Context, c client.Client, route *gatewayv1.HTTPRoute, controllerName string) error {
	resolved := metav1.Condition{Type: string(gatewayv1.RouteConditionResolvedRefs), Status: metav1.ConditionTrue, Reason: string(gatewayv1.RouteReasonResolvedRefs)}
	route.Status.Parents = parentStatuses(route.Spec.ParentRefs, route.Generation, resolved)
	for i := range route.Status.Parents {
		route.Status.Parents[i].ControllerName = gatewayv1.GatewayController(controllerName)
	}
	return c.Status().Update(ctx, route)
}
