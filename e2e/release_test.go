package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

// steps: at each weight an analysis, then a pause for the test to sample real traffic.
func analysedSteps(app stack.App) []weirv1.CanaryStep {
	var steps []weirv1.CanaryStep
	for _, w := range []int32{10, 30, 60} {
		steps = append(steps, setWeight(w), app.AnalysisStep(), pauseUntilPromoted())
	}
	return steps
}

var _ = Describe("a good release", func() {
	It("sends each step's share of real requests to the canary and ends on the new version", func() {
		app := deploy(analysedSteps)
		load := env.StartLoad(app, 40)
		DeferCleanup(load.Stop)
		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		for i, w := range []int{10, 30, 60} {
			waitPausedAt(app, int32(3*i+2))
			waitGateway(app, w)
			sample := env.Send(app, 400, 8)
			GinkgoWriter.Printf("step weight %d%%: %.1f%% of %d requests reached v2\n", w, sample.Share("v2"), sample.Requests)
			Expect(sample.Errors).To(BeZero())
			Expect(sample.Failed).To(BeEmpty())
			Expect(sample.Share("v2")).To(BeNumerically("~", float64(w), 5))
			request(app, weirv1.RequestPromote)
		}
		done := waitHealthy(app)
		Expect(done.Status.StableRS).To(Equal(done.Status.CurrentPodHash))
		waitGateway(app, 0)
		Eventually(func() float64 { return env.Send(app, 400, 8).Share("v2") }, timeout, poll).Should(Equal(100.0))
	})
})
