package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// pausedWhileRunning pauses the release as soon as the run named by runOf exists and returns
// its name; it waits until the pause is recorded.
func (r *release) pausedWhileRunning(runOf func(*weirv1.Rollout) string) string {
	var name string
	r.G.Eventually(func() bool {
		name = runOf(r.Get())
		run := r.run(name)
		return run != nil && !run.Status.Phase.Completed()
	}, timeout, poll).Should(BeTrue(), func() string { return describe(r.Get()) })
	r.request(weirv1.RequestPause)
	r.G.Eventually(func() *weirv1.PauseInfo { return r.Get().Status.Paused }, timeout, poll).ShouldNot(BeNil())
	return name
}

func (r *release) runPhase(name string) weirv1.AnalysisPhase {
	if run := r.run(name); run != nil {
		return run.Status.Phase
	}
	return ""
}

// fullyMeasured checks that the run that decided a step measured its whole count for real.
func (r *release) fullyMeasured(name string, count int32) {
	run := r.run(name)
	r.G.Expect(run).NotTo(BeNil(), name)
	r.G.Expect(run.Spec.Terminate).To(BeFalse(), "the deciding run was never stopped")
	r.G.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	r.G.Expect(run.Status.MetricResults).To(HaveLen(1))
	r.G.Expect(run.Status.MetricResults[0].Successful).To(Equal(count), "%d real measurements", count)
}

// TestPauseDuringAnalysisNeverPasses: pausing while a step's analysis (count 5) runs must not
// make it pass. The run goes on measuring through the pause, the step waits while paused,
// and after resume the step passes on 5 real measurements (issue 14, defect 1).
func TestPauseDuringAnalysisNeverPasses(t *testing.T) {
	tr := startTraffic(t, 0)
	t.Run("canary step analysis", func(t *testing.T) {
		r := newRelease(t)
		g := r.G
		r.errorRateTemplate(tr.prom.URL, 5)
		r.healthyWith(2, setWeight(20), analysisStep(), pause(""))
		r.setImage("web:2")
		name := r.pausedWhileRunning(func(ro *weirv1.Rollout) string { return ro.Status.Canary.StepAnalysisRun })

		// Paused: the run keeps measuring to its count, and the step still waits.
		g.Eventually(func() weirv1.AnalysisPhase { return r.runPhase(name) }, timeout, poll).Should(Equal(weirv1.AnalysisSuccessful))
		g.Consistently(func() int32 { return *r.Get().Status.CurrentStepIndex }, 2*time.Second, poll).Should(Equal(int32(1)), "no step passes while paused")
		g.Expect(r.Get().Status.Phase).To(Equal(weirv1.PhasePaused))

		r.request(weirv1.RequestResume)
		g.Eventually(func() int32 { return *r.Get().Status.CurrentStepIndex }, timeout, poll).Should(Equal(int32(2)), func() string { return describe(r.Get()) })
		r.fullyMeasured(r.Get().Status.Canary.StepAnalysisRun, 5)
	})
	t.Run("blue-green pre-promotion analysis", func(t *testing.T) {
		r := newRelease(t)
		g := r.G
		v1 := r.releasedBlueGreen(tr.prom.URL, 5, func(b *weirv1.BlueGreenStrategy) { b.PrePromotionAnalysis = analysisStep().Analysis })
		name := r.pausedWhileRunning(func(ro *weirv1.Rollout) string { return ro.Status.BlueGreen.PrePromotionAnalysisRun })

		g.Eventually(func() weirv1.AnalysisPhase { return r.runPhase(name) }, timeout, poll).Should(Equal(weirv1.AnalysisSuccessful))
		g.Consistently(func() string { return r.Selector("web-active") }, 2*time.Second, poll).Should(Equal(v1), "no promotion while paused")
		g.Expect(r.Get().Status.Phase).To(Equal(weirv1.PhasePaused))

		r.request(weirv1.RequestResume)
		done := r.waitHealthy()
		g.Expect(done.Status.StableRS).NotTo(Equal(v1))
		r.fullyMeasured(name, 5)
	})
}
