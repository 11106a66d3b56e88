package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestAnalysisSettingsOverrideTheTemplate: the template measures ten times a minute apart;
// this Rollout's analysis asks for two a second apart (a dev environment's numbers), and the
// run measures so and the release completes.
func TestAnalysisSettingsOverrideTheTemplate(t *testing.T) {
	r, _ := analysedRelease(t, 0, 10, func(s *weirv1.AnalysisTemplateSpec) { s.Metrics[0].Interval = "1m" })
	g := r.G
	step := analysisStep()
	step.Analysis.Settings = &weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](2)}
	r.healthy(r.Rollout(2, setWeight(20), step))

	run := r.promotedRun("web:2")
	g.Expect(run.Spec.Metrics[0].MetricSettings).To(Equal(weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](2), ConsecutiveErrorLimit: ptr.To[int32](3)}))
	g.Expect(run.Status.MetricResults[0].Successful).To(Equal(int32(2)))
}

// TestConflictingTemplateDefaultsAreRefused: two templates of one analysis default the same
// argument differently; rather than pick one silently, Weir holds the Rollout as InvalidSpec
// with both templates named, before any release needs the analysis.
func TestConflictingTemplateDefaultsAreRefused(t *testing.T) {
	r, tr := analysedRelease(t, 0, 1, func(s *weirv1.AnalysisTemplateSpec) {
		s.Args = append(s.Args, weirv1.Argument{Name: "window", Value: ptr.To("5m")})
	})
	g := r.G
	other := "latency"
	tmpl := fixture.RatioTemplate(r.NS, other, tr.prom.URL, `sum(rate(http_requests_total{service="{{args.service}}"}[5s]))`, 1, 1e9)
	tmpl.Spec.Args = append(tmpl.Spec.Args, weirv1.Argument{Name: "window", Value: ptr.To("1m")})
	r.Create(tmpl)
	step := analysisStep()
	step.Analysis.Templates = append(step.Analysis.Templates, weirv1.AnalysisTemplateRef{TemplateName: other})
	r.Create(r.Rollout(2, setWeight(20), step))
	g.Eventually(r.invalidSpec, timeout, poll).Should(ContainSubstring(
		`spec.strategy.canary.steps[1].analysis: templates error-rate and latency give argument "window" different defaults ("5m" and "1m")`))
	g.Expect(r.Events()).To(ContainSubstring(`give argument "window" different defaults`))
}
