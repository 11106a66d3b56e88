package e2e

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

// Loaded 2-core machines: generous deadlines, polled often.
const (
	timeout = 3 * time.Minute
	poll    = 200 * time.Millisecond
)

var ctx = context.Background()

func setWeight(w int32) weirv1.CanaryStep { return weirv1.CanaryStep{SetWeight: ptr.To(w)} }
func pauseUntilPromoted() weirv1.CanaryStep {
	return weirv1.CanaryStep{Pause: &weirv1.RolloutPause{}}
}

// deploy installs the app in a fresh namespace and waits until v1 serves all traffic.
func deploy(steps func(stack.App) []weirv1.CanaryStep) stack.App {
	app := stack.NewApp("e2e-" + rand.String(5))
	for _, obj := range app.Objects(env.Prometheus.URL, steps(app)) {
		Expect(env.Client.Create(ctx, obj)).To(Succeed())
	}
	waitHealthy(app)
	Eventually(func() float64 { return env.Send(app, 50, 5).Share("v1") }, timeout, poll).Should(Equal(100.0))
	return app
}

func rollout(app stack.App) *weirv1.Rollout {
	var ro weirv1.Rollout
	Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, &ro)).To(Succeed())
	return &ro
}

func describe(app stack.App) string {
	ro := rollout(app)
	return fmt.Sprintf("phase=%s step=%v message=%q", ro.Status.Phase, ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.Message)
}

func waitHealthy(app stack.App) *weirv1.Rollout {
	var ro *weirv1.Rollout
	EventuallyWithOffset(1, func() weirv1.RolloutPhase {
		ro = rollout(app)
		if ro.Status.ObservedGeneration != ro.Generation || ro.Status.StableRS != ro.Status.CurrentPodHash {
			return ""
		}
		return ro.Status.Phase
	}, timeout, poll).Should(Equal(weirv1.PhaseHealthy), func() string { return describe(app) })
	return ro
}

// waitPausedAt waits for the release to wait for promotion at step index i.
func waitPausedAt(app stack.App, i int32) {
	EventuallyWithOffset(1, func() string {
		ro := rollout(app)
		return fmt.Sprintf("%s/%d", ro.Status.Phase, ptr.Deref(ro.Status.CurrentStepIndex, -1))
	}, timeout, poll).Should(Equal(fmt.Sprintf("Paused/%d", i)), func() string { return describe(app) })
}

// waitGateway waits until Traefik's data plane applies the canary weight.
func waitGateway(app stack.App, canary int) {
	EventuallyWithOffset(1, func() (int, error) {
		_, c, err := env.GatewayWeights(app)
		return c, err
	}, timeout, poll).Should(Equal(canary))
}

func request(app stack.App, action weirv1.RequestAction) {
	EventuallyWithOffset(1, func() error {
		ro := rollout(app)
		patch := client.MergeFromWithOptions(ro.DeepCopy(), client.MergeFromWithOptimisticLock{})
		ro.Status.Request = &weirv1.OperatorRequest{Action: action, By: "e2e", At: metav1.Now()}
		return env.Client.Status().Patch(ctx, ro, patch)
	}, timeout, poll).Should(Succeed())
}

var _ = GinkgoWriter
