package controller_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestRunWaitingForeverIsBounded: a metric waiting for data that never comes (onNoData:
// Wait) ends Inconclusive after the progress deadline, naming the metric, instead of keeping
// its release waiting for ever (issue 14, defect 8).
func TestRunWaitingForeverIsBounded(t *testing.T) {
	r := newRelease(t)
	g := r.g
	tr := startTraffic(t, 0)
	run := &weirv1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "no-data", Namespace: r.ns},
		Spec: weirv1.AnalysisRunSpec{StartAt: ptr.To(metav1.Now()), ProgressDeadlineSeconds: ptr.To[int32](3), Metrics: []weirv1.Metric{{
			Name: "latency", Interval: "1s", Count: ptr.To[int32](3), OnNoData: weirv1.NoDataWait, SuccessCondition: "result < 1",
			Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
				PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: tr.prom.URL}, Query: `no_such_metric`}},
		}}},
	}
	g.Expect(k8s.Create(r.ctx, run)).To(Succeed())
	g.Eventually(func() weirv1.AnalysisPhase { return r.runPhase("no-data") }, timeout, poll).Should(Equal(weirv1.AnalysisInconclusive))
	got := r.run("no-data").Status
	g.Expect(got.Message).To(And(ContainSubstring("latency"), ContainSubstring("no counted measurement for"), ContainSubstring("progress deadline 3s")))
	g.Expect(got.MetricResults[0].Count).To(BeZero(), "nothing was counted")
}

// TestOldAnalysisRunsAreDeleted: with analysisRunHistoryLimit 1, four releases with an
// analysis each leave one finished run besides the one the last release used (issue 14,
// defect 9).
func TestOldAnalysisRunsAreDeleted(t *testing.T) {
	r, _ := analysedRelease(t, 0, 1)
	g := r.g
	ro := r.rollout(1, setWeight(50), analysisStep())
	ro.Spec.AnalysisRunHistoryLimit = ptr.To[int32](1)
	r.create(ro)
	r.waitHealthy()
	runs := func() []string {
		var list weirv1.AnalysisRunList
		g.Expect(k8s.List(r.ctx, &list, client.InNamespace(r.ns))).To(Succeed())
		var names []string
		for _, run := range list.Items {
			names = append(names, run.Name)
		}
		return names
	}
	var last string
	for i := 2; i <= 5; i++ {
		r.setImage(fmt.Sprintf("web:%d", i))
		done := r.waitHealthy()
		last = fmt.Sprintf("web-%s-2-1", done.Status.StableRS)
		g.Expect(r.run(last)).NotTo(BeNil(), "release %d's run", i)
	}
	g.Eventually(runs, timeout, poll).Should(HaveLen(1), "one finished run kept (the limit)")
	g.Expect(runs()).To(ConsistOf(last), "the newest is the one kept")
}
