// Package registry lists the kinds of route Weir can steer: the one place a new router is
// added.
package registry

import (
	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/routing"
	"github.com/weir-dev/weir/internal/routing/grpcroute"
	"github.com/weir-dev/weir/internal/routing/httproute"
)

// All are the routers this Weir knows, in the order their routes are read and written.
var All = []routing.Router{
	httproute.Router{},
	grpcroute.Router{},
}

// Named is one route a Rollout names, with its router.
type Named struct {
	Router routing.Router
	Ref    weirv1.RouteRef
}

// Key identifies the route among those of every kind: "HTTPRoute/web".
func (n Named) Key() string { return n.Router.Kind() + "/" + n.Ref.Name }

// RoutesOf are the routes a strategy names, every kind, in registry then spec order.
func RoutesOf(s weirv1.RolloutStrategy) []Named {
	tr := s.TrafficRouting()
	if tr == nil || tr.GatewayAPI == nil {
		return nil
	}
	var out []Named
	for _, r := range All {
		for _, ref := range r.Refs(tr.GatewayAPI) {
			out = append(out, Named{Router: r, Ref: ref})
		}
	}
	return out
}
