package stack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// GatewayWeights reads from Traefik's API the weights its data plane applies to the two
// Services of an app (the HTTPRoute's weighted round robin), as percentages.
func (s *Stack) GatewayWeights(a App) (stable, canary int, err error) {
	return s.routeWeights(a, "httproute", a.Name)
}

// GRPCGatewayWeights is GatewayWeights for the app's GRPCRoute.
func (s *Stack) GRPCGatewayWeights(a App) (stable, canary int, err error) {
	return s.routeWeights(a, "grpcroute", a.GRPCRouteName())
}

func (s *Stack) routeWeights(a App, kind, route string) (stable, canary int, err error) {
	resp, err := http.Get(s.TraefikAPI + "/api/http/services")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var services []struct {
		Name     string `json:"name"`
		Weighted *struct {
			Services []struct {
				Name   string `json:"name"`
				Weight *int   `json:"weight"`
			} `json:"services"`
		} `json:"weighted"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&services); err != nil {
		return 0, 0, err
	}
	stableKey := fmt.Sprintf("-svc-%s-%s-", a.Namespace, a.StableService())
	canaryKey := fmt.Sprintf("-svc-%s-%s-", a.Namespace, a.CanaryService())
	for _, svc := range services {
		if svc.Weighted == nil || !strings.Contains(svc.Name, kind+"-"+a.Namespace+"-"+route+"-") {
			continue
		}
		found := false
		for _, w := range svc.Weighted.Services {
			weight := 1
			if w.Weight != nil {
				weight = *w.Weight
			}
			switch {
			case strings.Contains(w.Name, stableKey):
				stable, found = weight, true
			case strings.Contains(w.Name, canaryKey):
				canary, found = weight, true
			}
		}
		if found {
			total := stable + canary
			if total == 0 {
				return 0, 0, nil
			}
			return 100 * stable / total, 100 * canary / total, nil
		}
	}
	return 0, 0, fmt.Errorf("no weighted service for %s %s/%s in Traefik", kind, a.Namespace, route)
}
