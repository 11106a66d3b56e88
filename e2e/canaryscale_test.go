package e2e

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

var _ = Describe("canary pods without traffic", func() {
	It("runs canary pods with setCanaryScale so that header-matching requests reach them at weight 0", func() {
		app := deploy(func(stack.App) []weirv1.CanaryStep {
			return []weirv1.CanaryStep{
				{SetCanaryScale: &weirv1.SetCanaryScale{Replicas: ptr.To[int32](1)}},
				{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta", Match: []weirv1.HeaderMatch{{Name: "X-Beta", Value: "yes"}}}},
				pauseUntilPromoted(),
			}
		})
		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		waitPausedAt(app, 2)
		ro := rollout(app)
		Expect(ro.Status.Canary.Weights.Verified).To(Equal(&weirv1.WeightPair{Stable: 100, Canary: 0}), "no weight: the header rule alone reaches the canary")

		// Traefik reports the route Accepted before its data plane has the rule (as with
		// weights: waitGateway): wait until it routes the header, then sample.
		Eventually(func() float64 { return env.SendWith(app, http.Header{"X-Beta": {"yes"}}, 20, 4).Share("v2") }, timeout, poll).Should(Equal(100.0))
		beta := env.SendWith(app, http.Header{"X-Beta": {"yes"}}, 200, 8)
		GinkgoWriter.Printf("setCanaryScale 1 + header rule at weight 0: %.1f%% of %d requests with X-Beta reached v2\n", beta.Share("v2"), beta.Requests)
		Expect(beta.Errors).To(BeZero())
		Expect(beta.Failed).To(BeEmpty(), "a header rule with no canary pods behind it answers 503")
		Expect(beta.Share("v2")).To(Equal(100.0))
		Expect(env.Send(app, 200, 8).Share("v1")).To(Equal(100.0), "everyone else stays on stable")

		request(app, weirv1.RequestPromote)
		waitHealthy(app)
		Eventually(func() float64 { return env.Send(app, 200, 8).Share("v2") }, timeout, poll).Should(Equal(100.0))
	})
})
