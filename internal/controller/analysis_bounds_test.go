package controller_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestRunWaitingForeverIsBounded: a metric waiting for data that never comes (onNoData:
// Wait) ends Inconclusive after the progress deadline, naming the metric, instead of keeping
// its release waiting for ever (issue 14, defect 8).
func TestRunWaitingForeverIsBounded(t *testing.T) {
	r := newRelease(t)
	g := r.G
	tr := startTraffic(t, 0)
	run := r.startedRun("no-data", weirv1.Metric{
		Name: "latency", MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](3)}, OnNoData: weirv1.NoDataWait, SuccessCondition: "result < 1",
		Provider: fixture.Prometheus(tr.prom.URL, `no_such_metric`),
	})
	run.Spec.ProgressDeadlineSeconds = ptr.To[int32](3)
	r.Create(run)
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
	g := r.G
	ro := r.Rollout(1, setWeight(50), analysisStep())
	ro.Spec.AnalysisRunHistoryLimit = ptr.To[int32](1)
	r.healthy(ro)
	runs := func() []string {
		var list weirv1.AnalysisRunList
		g.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS))).To(Succeed())
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
