package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestClusterTemplateWakesItsRollouts: a Rollout whose analysis names a missing
// ClusterAnalysisTemplate reports it; creating the template unblocks the Rollout at once,
// not at the next minute's recheck (issue 14, defect 8).
func TestClusterTemplateWakesItsRollouts(t *testing.T) {
	r := newRelease(t)
	g := r.g
	r.services()
	r.route(nil)
	name := "cluster-error-rate-" + rand.String(5)
	step := weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: name, ClusterScope: true}}}}
	r.create(r.rollout(2, setWeight(20), step))
	invalid := func() string {
		for _, c := range r.get().Status.Conditions {
			if c.Type == weirv1.ConditionInvalidSpec && c.Status == metav1.ConditionTrue {
				return c.Message
			}
		}
		return ""
	}
	g.Eventually(invalid, timeout, poll).Should(ContainSubstring(name))

	tmpl := &weirv1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: weirv1.AnalysisTemplateSpec{
		Metrics: []weirv1.Metric{{Name: "up", SuccessCondition: "result == 1", Count: ptr.To[int32](1),
			Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
				PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: "http://127.0.0.1:9"}, Query: "up"}}}}}}
	g.Expect(k8s.Create(r.ctx, tmpl)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(r.ctx, tmpl) })
	// Well inside the minute after which the Rollout would have looked again anyway.
	g.Eventually(invalid, 30*time.Second, poll).Should(BeEmpty(), func() string { return describe(r.get()) })
}
