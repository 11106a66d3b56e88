package packaging

import (
	"os"
	"os/exec"
	"testing"

	. "github.com/onsi/gomega"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestPrometheusRules: the alert rules load, and fire when they should and only then
// (promtool, from Debian's Prometheus package that make tools installs).
func TestPrometheusRules(t *testing.T) {
	g := NewWithT(t)
	promtool, err := exec.LookPath("promtool")
	g.Expect(err).NotTo(HaveOccurred(), "promtool comes with Prometheus: run hack/prometheus.sh (make tools does)")
	for _, args := range [][]string{
		{"check", "rules", repoPath(t, "charts", "weir", "files", "prometheus", "weir-rules.yaml")},
		{"test", "rules", repoPath(t, "internal", "packaging", "testdata", "weir-rules_test.yaml")},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "promtool %v:\n%s", args, out)
		g.Expect(string(out)).To(ContainSubstring("SUCCESS"))
	}
}

// TestWeirChartPrometheusRule: off by default; on, it carries exactly the rules file's groups
// and the labels a Prometheus' ruleSelector needs.
func TestWeirChartPrometheusRule(t *testing.T) {
	g := NewWithT(t)
	g.Expect(renderWeir(t, nil).ofKind("PrometheusRule")).To(BeEmpty())

	rules := renderWeir(t, map[string]any{"metrics": map[string]any{"prometheusRule": map[string]any{
		"enabled": true, "labels": map[string]any{"release": "prometheus"}}}}).ofKind("PrometheusRule")
	g.Expect(rules).To(HaveLen(1))
	g.Expect(rules[0].GetLabels()).To(HaveKeyWithValue("release", "prometheus"))
	raw, err := os.ReadFile(repoPath(t, "charts", "weir", "files", "prometheus", "weir-rules.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var file map[string]any
	g.Expect(sigsyaml.Unmarshal(raw, &file)).To(Succeed())
	g.Expect(rules[0].Object["spec"]).To(Equal(file))
}
