package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/rand"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

var _ = Describe("a gRPC service behind a GRPCRoute", func() {
	It("sends each step's share of real gRPC calls to the canary through Traefik and ends on the new version", func() {
		app := stack.NewApp("e2e-" + rand.String(5))
		steps := []weirv1.CanaryStep{setWeight(30), pauseUntilPromoted()}
		for _, obj := range app.WithGRPC(app.Objects(env.Prometheus.URL, steps)) {
			Expect(env.Client.Create(ctx, obj)).To(Succeed())
		}
		waitHealthy(app)
		Eventually(func() float64 { return env.SendGRPC(app, 50, 5).Share("v1") }, timeout, poll).Should(Equal(100.0))

		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		started := time.Now()
		waitPausedAt(app, 1)
		EventuallyWithOffset(0, func() (int, error) {
			_, c, err := env.GRPCGatewayWeights(app)
			return c, err
		}, timeout, poll).Should(Equal(30))
		GinkgoWriter.Printf("gRPC: weight 30%% verified on the GRPCRoute and live in Traefik %s after the release\n", time.Since(started).Round(time.Millisecond))
		sample := env.SendGRPC(app, 400, 8)
		GinkgoWriter.Printf("gRPC step weight 30%%: %.1f%% of %d calls reached v2\n", sample.Share("v2"), sample.Requests)
		Expect(sample.Errors).To(BeZero())
		Expect(sample.Failed).To(BeEmpty())
		Expect(sample.Share("v2")).To(BeNumerically("~", 30, 7))
		w := rollout(app).Status.Canary.Weights
		Expect(w.Verified).To(Equal(&weirv1.WeightPair{Stable: 70, Canary: 30}))

		request(app, weirv1.RequestPromote)
		waitHealthy(app)
		Eventually(func() float64 { return env.SendGRPC(app, 200, 8).Share("v2") }, timeout, poll).Should(Equal(100.0))
	})
})
