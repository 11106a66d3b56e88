package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
)

// TestAnalysisRunsOfAnotherInstallation: this suite's Weir has no --instance-id, so it
// measures only runs without the instance label; a run labelled for another installation
// is left to that installation (issue 14, defect 6).
func TestAnalysisRunsOfAnotherInstallation(t *testing.T) {
	r := newRelease(t)
	g := r.g
	run := func(name string, labels map[string]string) *weirv1.AnalysisRun {
		return &weirv1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.ns, Labels: labels},
			Spec: weirv1.AnalysisRunSpec{StartAt: ptr.To(metav1.Now()), Metrics: []weirv1.Metric{{
				Name: "m", SuccessCondition: "result < 1",
				Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: "http://127.0.0.1:9"}, Query: "up"}},
			}}},
		}
	}
	g.Expect(k8s.Create(r.ctx, run("elsewhere", map[string]string{controller.InstanceIDLabel: "elsewhere"}))).To(Succeed())
	g.Expect(k8s.Create(r.ctx, run("ours", nil))).To(Succeed())

	g.Eventually(func() int { return len(r.run("ours").Status.MetricResults) }, timeout, poll).Should(Equal(1), "this installation's run is measured")
	g.Consistently(func() weirv1.AnalysisRunStatus { return r.run("elsewhere").Status }, 3*time.Second, poll).
		Should(Equal(weirv1.AnalysisRunStatus{}), "another installation's run is never touched")
}
