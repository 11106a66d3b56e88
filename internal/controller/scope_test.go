package controller

import (
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
	rollouts := func(s Scope) string {
		opts := CacheOptionsFor(s)
		for obj, by := range opts.ByObject {
			if _, ok := obj.(*weirv1.Rollout); ok {
				return by.Label.String()
			}
		}
		return ""
	}
	if got := rollouts(Scope{}); got != "!rollouts.weir.dev/instance-id" {
		t.Errorf("default scope selects %q", got)
	}
	if got := rollouts(Scope{InstanceID: "canary-2"}); got != "rollouts.weir.dev/instance-id=canary-2" {
		t.Errorf("instance scope selects %q", got)
	}
	if opts := CacheOptionsFor(Scope{Namespaces: []string{"a", "b"}}); len(opts.DefaultNamespaces) != 2 {
		t.Errorf("namespaces %v", opts.DefaultNamespaces)
	}
}
