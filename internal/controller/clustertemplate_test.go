package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestClusterTemplateWakesItsRollouts: a Rollout whose analysis names a missing
// ClusterAnalysisTemplate reports it; creating the template unblocks the Rollout at once,
// not at the next minute's recheck (issue 14, defect 8).
func TestClusterTemplateWakesItsRollouts(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.route(nil)
	name := "cluster-error-rate-" + rand.String(5)
	step := weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: name, ClusterScope: true}}}}
	r.Create(r.Rollout(2, setWeight(20), step))
	g.Eventually(r.invalidSpec, timeout, poll).Should(ContainSubstring(name))

	tmpl := &weirv1.ClusterAnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: weirv1.AnalysisTemplateSpec{
		Metrics: []weirv1.Metric{{Name: "up", SuccessCondition: "result == 1", MetricSettings: weirv1.MetricSettings{Count: ptr.To[int32](1)},
			Provider: fixture.Prometheus(fixture.NoPrometheus, "up")}}}}
	g.Expect(k8s.Create(r.Ctx, tmpl)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(r.Ctx, tmpl) })
	// Well inside the minute after which the Rollout would have looked again anyway.
	g.Eventually(r.invalidSpec, 30*time.Second, poll).Should(BeEmpty(), func() string { return describe(r.Get()) })
}
