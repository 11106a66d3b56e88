package controller

import (
	"reflect"
	"strings"
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func TestAllowedAddresses(t *testing.T) {
	r := &AnalysisRunReconciler{Allowed: AllowLists(Options{
		AllowedPrometheusAddresses: []string{"http://prometheus.monitoring:9090"},
		AllowedWebAddresses:        []string{"https://status.example.com/"},
	})}
	env := r.env()
	if err := env.Check("prometheus", "http://prometheus.monitoring:9090"); err != nil {
		t.Errorf("allowed address refused: %v", err)
	}
	err := env.Check("prometheus", "http://169.254.169.254/")
	if err == nil || !strings.Contains(err.Error(), "--allowed-prometheus-addresses") {
		t.Errorf("address outside the allow-list: %v", err)
	}
	err = env.Check("web", "http://prometheus.monitoring:9090")
	if err == nil || !strings.Contains(err.Error(), "--allowed-web-addresses https://status.example.com/") {
		t.Errorf("web address outside its allow-list: %v", err)
	}
	if err := env.Check("web", "https://status.example.com/api/v1/ok"); err != nil {
		t.Errorf("allowed web address refused: %v", err)
	}
	if err := (&AnalysisRunReconciler{}).env().Check("web", "http://anything"); err != nil {
		t.Errorf("no allow-list allows any address: %v", err)
	}
}

func TestCacheScope(t *testing.T) {
	selects := func(s Scope) map[string]string {
		got := map[string]string{}
		for obj, by := range CacheOptionsFor(s).ByObject {
			switch obj.(type) {
			case *weirv1.Rollout:
				got["Rollout"] = by.Label.String()
			case *weirv1.AnalysisRun:
				got["AnalysisRun"] = by.Label.String()
			}
		}
		return got
	}
	// AnalysisRuns are scoped like their Rollouts (issue 14, defect 6).
	want := map[string]string{"Rollout": "!rollouts.weir.dev/instance-id", "AnalysisRun": "!rollouts.weir.dev/instance-id"}
	if got := selects(Scope{}); !reflect.DeepEqual(got, want) {
		t.Errorf("default scope selects %v, want %v", got, want)
	}
	want = map[string]string{"Rollout": "rollouts.weir.dev/instance-id=canary-2", "AnalysisRun": "rollouts.weir.dev/instance-id=canary-2"}
	if got := selects(Scope{InstanceID: "canary-2"}); !reflect.DeepEqual(got, want) {
		t.Errorf("instance scope selects %v, want %v", got, want)
	}
	if opts := CacheOptionsFor(Scope{Namespaces: []string{"a", "b"}}); len(opts.DefaultNamespaces) != 2 {
		t.Errorf("namespaces %v", opts.DefaultNamespaces)
	}
}
