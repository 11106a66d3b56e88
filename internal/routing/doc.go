// Package routing reads and shapes Gateway API HTTPRoutes for Weir, as pure functions: what
// a route says about the stable/canary weights (Observe), and the rules it should carry for a
// desired traffic state (DesiredRules). Only the weights of the stable and canary backendRefs
// in the chosen rules and the rules Weir injects (named weir-header-*, weir-mirror-*) ever
// differ between the two; every other rule, backend, filter and match is copied untouched.
package routing
