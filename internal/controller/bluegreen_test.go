package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// blueGreenRelease is a release fixture with web-active / web-preview Services.
func (r *release) blueGreenServices() {
	r.ServicesNamed("web-active", "web-preview")
}

func (r *release) blueGreen(replicas int32, mutate func(*weirv1.BlueGreenStrategy)) *weirv1.Rollout {
	ro := r.Rollout(replicas)
	b := &weirv1.BlueGreenStrategy{ActiveService: "web-active", PreviewService: "web-preview",
		ScaleDownDelaySeconds: ptr.To[int32](3), AbortScaleDownDelaySeconds: ptr.To[int32](2)}
	if mutate != nil {
		mutate(b)
	}
	ro.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: b}
	return ro
}

func (r *release) phaseIs(p weirv1.RolloutPhase) {
	r.G.Eventually(func() weirv1.RolloutPhase { return r.Get().Status.Phase }, timeout, poll).Should(Equal(p), func() string { return describe(r.Get()) })
}

// TestBlueGreenManualPromotion: the preview comes up beside the active revision behind the
// preview Service only; promote switches the active Service; the old revision scales down
// after scaleDownDelaySeconds; a new revision during preview replaces the preview.
func TestBlueGreenManualPromotion(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.blueGreenServices()
	v1 := r.healthy(r.blueGreen(3, func(b *weirv1.BlueGreenStrategy) {
		b.AutoPromotionEnabled = ptr.To(false)
		b.PreviewReplicaCount = ptr.To[int32](1)
	})).Status.StableRS
	g.Expect(r.Selector("web-active")).To(Equal(v1))
	g.Expect(r.Selector("web-preview")).To(Equal(v1))

	r.setImage("web:2")
	r.phaseIs(weirv1.PhasePaused)
	v2 := r.Get().Status.CurrentPodHash
	g.Expect(r.Get().Status.Message).To(ContainSubstring("kubectl weir promote web"))
	g.Expect(r.replicas()).To(Equal(map[string]int32{v1: 3, v2: 1}), "previewReplicaCount")
	g.Expect(r.Selector("web-preview")).To(Equal(v2))
	g.Expect(r.Selector("web-active")).To(Equal(v1), "users stay on the active revision")

	// A new revision during preview replaces the preview.
	r.setImage("web:3")
	g.Eventually(func() string { return r.Get().Status.CurrentPodHash }, timeout, poll).ShouldNot(Equal(v2))
	r.phaseIs(weirv1.PhasePaused)
	v3 := r.Get().Status.CurrentPodHash
	g.Expect(r.Selector("web-preview")).To(Equal(v3))
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{v1: 3, v2: 0, v3: 1}))

	r.request(weirv1.RequestPromote)
	done := r.waitHealthy()
	g.Expect(done.Status.StableRS).To(Equal(v3))
	g.Expect(r.Selector("web-active")).To(Equal(v3))
	g.Expect(r.Events()).To(And(ContainSubstring("Switched"), ContainSubstring("ReleaseCompleted")))
	// The old revision stays up for scaleDownDelaySeconds (3 s), then goes.
	g.Expect(r.replicas()[v1]).To(Equal(int32(3)), "old revision still up right after the switch")
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{v1: 0, v2: 0, v3: 3}))
}

// TestBlueGreenAutoPromotion switches by itself autoPromotionSeconds after the preview is
// ready, and only once every replica of the new revision is available.
func TestBlueGreenAutoPromotion(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.blueGreenServices()
	v1 := r.healthy(r.blueGreen(2, func(b *weirv1.BlueGreenStrategy) { b.AutoPromotionSeconds = 4 })).Status.StableRS
	r.setImage("web:2")
	g.Eventually(func() *weirv1.BlueGreenStatus { return r.Get().Status.BlueGreen }, timeout, poll).
		Should(HaveField("PreviewAvailableAt", Not(BeNil())))
	ready := r.Get().Status.BlueGreen.PreviewAvailableAt.Time
	done := r.waitHealthy()
	switched := done.Status.BlueGreen.SwitchedAt.Time
	g.Expect(done.Status.StableRS).NotTo(Equal(v1))
	g.Expect(switched.Sub(ready)).To(BeNumerically(">=", 4*time.Second), "switched %s after the preview was ready", switched.Sub(ready))
	g.Expect(r.Selector("web-active")).To(Equal(done.Status.StableRS))
}

// releasedBlueGreen is a Healthy blue-green Rollout of two pods with an error-rate analysis
// (set by analysed) measuring count times, released to web:2; it returns the first revision.
func (r *release) releasedBlueGreen(promURL string, count int32, analysed func(*weirv1.BlueGreenStrategy)) string {
	r.blueGreenServices()
	r.errorRateTemplate(promURL, count)
	v1 := r.healthy(r.blueGreen(2, analysed)).Status.StableRS
	r.setImage("web:2")
	return v1
}

// TestBlueGreenAnalysis: a failing pre-promotion analysis aborts before any user traffic
// moves; a failing post-promotion analysis switches traffic straight back.
func TestBlueGreenAnalysis(t *testing.T) {
	tr := startTraffic(t, 300) // the measured app answers 30% errors
	t.Run("pre-promotion failure aborts, active untouched", func(t *testing.T) {
		r := newRelease(t)
		g := r.G
		v1 := r.releasedBlueGreen(tr.prom.URL, 3, func(b *weirv1.BlueGreenStrategy) { b.PrePromotionAnalysis = analysisStep().Analysis })
		r.phaseIs(weirv1.PhaseDegraded)
		ro := r.Get()
		g.Expect(ro.Status.Aborted.Reason).To(Equal(weirv1.ReasonAnalysisFailed))
		g.Expect(ro.Status.Aborted.Message).To(ContainSubstring("pre-promotion"))
		g.Expect(r.Selector("web-active")).To(Equal(v1))
		g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{v1: 2, ro.Status.CurrentPodHash: 0}), "preview scaled down")
	})
	t.Run("post-promotion failure switches back", func(t *testing.T) {
		r := newRelease(t)
		g := r.G
		v1 := r.releasedBlueGreen(tr.prom.URL, 3, func(b *weirv1.BlueGreenStrategy) { b.PostPromotionAnalysis = analysisStep().Analysis })
		g.Eventually(func() *weirv1.BlueGreenStatus { return r.Get().Status.BlueGreen }, timeout, poll).
			Should(HaveField("SwitchedAt", Not(BeNil())))
		r.phaseIs(weirv1.PhaseDegraded)
		ro := r.Get()
		g.Expect(ro.Status.Aborted.Reason).To(Equal(weirv1.ReasonAnalysisFailed))
		g.Expect(ro.Status.Message).To(ContainSubstring("post-promotion"))
		g.Eventually(func() string { return r.Selector("web-active") }, timeout, poll).Should(Equal(v1), "switched back to the old revision")
		g.Expect(ro.Status.StableRS).To(Equal(v1))
	})
}
