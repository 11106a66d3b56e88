package controller_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/weir-dev/weir/internal/controller"
)

// TestAlertRulesUseWhatTheControllerExports: every metric the chart's alert rules name is one
// this controller exports, with the label values the rules select (promtool tests the rules'
// logic on made-up series; this ties those series to the real ones).
func TestAlertRulesUseWhatTheControllerExports(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyCanary(1)

	rules, err := os.ReadFile(filepath.Join("..", "..", "charts", "weir", "files", "prometheus", "weir-rules.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b(weir_[a-z_]+|controller_runtime_[a-z_]+|workqueue_[a-z_]+)\b`).FindAllString(string(rules), -1) {
		used[m] = true
	}
	g.Expect(used).To(HaveKey("weir_rollout_aborts_total"), "the pattern reads the rules")

	exported := map[string]bool{}
	for _, name := range controller.MetricNames() {
		exported[name] = true
	}
	// controller-runtime's, as this controller labels them (controller="rollout").
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if (l.GetName() == "controller" || l.GetName() == "name") && l.GetValue() == "rollout" {
					exported[f.GetName()] = true
				}
			}
		}
	}
	for name := range used {
		g.Expect(exported).To(HaveKey(name), "the alert rules use %s", name)
	}
}
