package routing

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// Router is what one kind of route must do for Weir.
type Router interface {
	// Kind of the route objects, e.g. "HTTPRoute": in messages, index keys and watches.
	Kind() string
	// Refs are the routes of this kind a traffic routing names, in spec order.
	Refs(tr *weirv1.GatewayAPITrafficRouting) []weirv1.RouteRef
	// New returns an empty object of the kind, to read into and to watch.
	New() client.Object
	// NewList returns an empty list of the kind (kubectl weir watches routes by name).
	NewList() client.ObjectList
	// Observe reads what a route says for the planner; obj is nil when it doesn't exist.
	Observe(obj client.Object, ref weirv1.RouteRef, b Backends) planner.Route
	// Apply is the server-side apply configuration that gives the route the traffic state
	// (under the resourceVersion read, so a concurrent edit is never overwritten), or nil
	// when the route has it already or can't be used.
	Apply(obj client.Object, ref weirv1.RouteRef, b Backends, t planner.Traffic) (runtime.ApplyConfiguration, error)
}

// Backends names the two Services whose weights Weir sets, and their namespace (the
// Rollout's; empty: the route's own).
type Backends struct {
	Stable, Canary string
	Namespace      string
}

// BackendsOf are the two Services of a Rollout's strategy: stable and canary (active and
// preview), in its namespace.
func BackendsOf(ro *weirv1.Rollout) Backends {
	stable, canary := ro.Spec.Strategy.Services()
	return Backends{Stable: stable, Canary: canary, Namespace: ro.Namespace}
}

// Is reports whether a backendRef of a route in routeNS points at the Service svc (one of
// b's): a ref without a namespace means the route's own.
func (b Backends) Is(ref gatewayv1.BackendObjectReference, routeNS, svc string) bool {
	ns := b.Namespace
	if ns == "" {
		ns = routeNS
	}
	if !CoreGroup(ref.Group) || ptr.Deref(ref.Kind, "Service") != "Service" {
		return false
	}
	return string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(routeNS))) == ns && string(ref.Name) == svc
}
