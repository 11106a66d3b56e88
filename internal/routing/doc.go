// Package routing says what a kind of traffic route must do for Weir (Router) and holds
// what every Gateway API route kind shares: which rules Weir may weigh, reading and setting
// the stable/canary weights of their backendRefs, and reading a route's status. Each kind
// lives in a folder of its own below this one (httproute, grpcroute), listed once in
// registry; the Rollout reconciler and the plugin reach routes only through the registry.
//
// To add a kind: a list of its routes in api/v1alpha1.GatewayAPITrafficRouting, a folder
// here implementing Router, and its line in registry.All.
package routing
