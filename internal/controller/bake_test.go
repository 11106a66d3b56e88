package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// bakingRelease is a Healthy canary of one step and a bake on the error rate, whose canary
// answers errorRatePerMille 5xx; it returns the stable revision.
func bakingRelease(t *testing.T, errorRatePerMille int64) (*release, string) {
	r, _ := analysedRelease(t, errorRatePerMille, 3)
	ro := r.Rollout(2, setWeight(50))
	ro.Spec.Strategy.Canary.PostPromotionAnalysis = analysisStep().Analysis
	return r, r.healthy(ro).Status.StableRS
}

// TestFailedBakeSendsTrafficBack: after the last step the new revision takes all traffic
// for its bake, fails it, and all traffic goes back to the stable revision, which was kept
// up at full size; the Rollout is Degraded with the reason.
func TestFailedBakeSendsTrafficBack(t *testing.T) {
	r, stable := bakingRelease(t, 300)
	g := r.G

	r.setImage("web:2")
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{0, 100}), "the bake has all traffic")
	g.Expect(r.replicas()[stable]).To(Equal(int32(2)), "stable kept at full size during the bake")
	g.Eventually(r.abortedReason, timeout, poll).Should(Equal(weirv1.ReasonAnalysisFailed), func() string { return describe(r.Get()) })
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{100, 0}), "all traffic back on stable")
	ro := r.Get()
	g.Expect(ro.Status.StableRS).To(Equal(stable))
	g.Expect(ro.Status.Phase).To(Equal(weirv1.PhaseDegraded))
	g.Expect(ro.Status.Aborted.Message).To(ContainSubstring("post-promotion"))
	g.Eventually(func() string { return r.Get().Status.Message }, timeout, poll).Should(ContainSubstring("failed its bake with all traffic: revert its change in Git"))
	run := r.run(ro.Status.Canary.PostPromotionAnalysisRun)
	g.Expect(run).NotTo(BeNil())
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisFailed))
}

// TestPassedBakeFinishesTheRelease: a bake without errors makes the new revision stable.
func TestPassedBakeFinishesTheRelease(t *testing.T) {
	r, stable := bakingRelease(t, 0)
	g := r.G

	r.setImage("web:2")
	done := r.waitHealthy()
	g.Expect(done.Status.StableRS).NotTo(Equal(stable))
	// A finished release's status no longer names its runs: by name, then.
	run := r.run("web-" + done.Status.StableRS + "-post-1")
	g.Expect(run).NotTo(BeNil())
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
}
