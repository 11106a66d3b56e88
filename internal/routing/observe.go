package routing

import (
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// Route is what every kind of route shows Weir: where it lives, its parents and their status,
// and its rules.
type Route struct {
	Namespace  string
	Generation int64
	Parents    []gatewayv1.ParentReference
	Status     gatewayv1.RouteStatus
	Rules      []Rule
}

// ObserveRoute reads the part of a route every kind shares for the planner: the rules Weir
// weighs and their weights, and the parents' verdict. out names the route; touched are the
// rules Weir weighs (none when out.Problem says why).
func ObserveRoute(out planner.Route, r Route, ref weirv1.RouteRef, b Backends) (planner.Route, []int) {
	out.Found = true
	touched, problem := TouchedRules(r.Rules, r.Namespace, ref, b)
	if problem != "" {
		out.Problem = problem
		return out, nil
	}
	out.Weights = CommonWeights(r.Rules, touched, r.Namespace, b)
	out.BackendPorts = backendPorts(r.Rules, r.Namespace, b)
	v := Verify(r.Parents, r.Status, r.Namespace, r.Generation)
	out.Accepted, out.AcceptanceMessage, out.Unresolved = v.Accepted, v.Message, v.Unresolved
	return out, touched
}

// backendPorts are the ports the rules' backendRefs name for each of b's two Services, in
// the order first named, each once.
func backendPorts(rules []Rule, ns string, b Backends) map[string][]int32 {
	out := map[string][]int32{}
	for _, rule := range rules {
		for _, br := range rule.Backends {
			for _, svc := range []string{b.Stable, b.Canary} {
				if br.Port != nil && b.Is(br.BackendObjectReference, ns, svc) && !slices.Contains(out[svc], int32(*br.Port)) {
					out[svc] = append(out[svc], int32(*br.Port))
				}
			}
		}
	}
	return out
}

// ApplyRules converts the rules a route should have (want) to their apply configurations
// (AC), which have the API type's JSON shape: one round trip converts them whole, every
// field kept. It returns nil when the route has them already (have).
func ApplyRules[AC any](kind, name string, want, have any) ([]*AC, error) {
	if equality.Semantic.DeepEqual(want, have) {
		return nil, nil
	}
	raw, err := json.Marshal(want)
	if err != nil {
		return nil, err
	}
	var typed []*AC
	if err := json.Unmarshal(raw, &typed); err != nil {
		return nil, fmt.Errorf("%s %s rules as an apply configuration: %w", kind, name, err)
	}
	return typed, nil
}
