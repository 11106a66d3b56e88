package controller

import (
	"reflect"
	"strings"
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func TestAllowedPrometheusAddresses(t *testing.T) {
	r := &AnalysisRunReconciler{AllowedAddresses: []string{"http://prometheus.monitoring:9090"}}
	if err := r.allowed("http://prometheus.monitoring:9090"); err != nil {
		t.Errorf("allowed address refused: %v", err)
	}
	err := r.allowed("http://169.254.169.254/")
	if err == nil || !strings.Contains(err.Error(), "--allowed-prometheus-addresses") {
		t.Errorf("address outside the allow-list: %v", err)
	}
	if err := (&AnalysisRunReconciler{}).allowed("http://anything"); err != nil {
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
