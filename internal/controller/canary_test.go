package controller_test

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
)

// TestCanaryWalksEveryStep releases a new revision through
// setWeight 20 → pause 10s → setWeight 50 → pause{} → (promote) → 100, reading the route and
// the ReplicaSets back at every step.
func TestCanaryWalksEveryStep(t *testing.T) {
	r := newRelease(t)
	g := r.G
	first := r.healthyWith(5, setWeight(20), pause("10s"), setWeight(50), pause(""))
	stable := first.Status.StableRS
	g.Expect(first.Status.CurrentStepIndex).To(BeNil(), "a new Rollout goes straight to stable, no steps")
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 5}))
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	g.Expect(r.Selector("web-stable")).To(Equal(stable))
	g.Expect(r.Selector("web-canary")).To(Equal(stable))

	r.setImage("web:2")
	var canary string
	g.Eventually(func() int32 {
		ro := r.Get()
		canary = ro.Status.CurrentPodHash
		return ptr.Deref(ro.Status.CurrentStepIndex, -1)
	}, timeout, poll).Should(Equal(int32(1)), "setWeight 20 done")
	g.Expect(canary).NotTo(Equal(stable))
	g.Expect(r.Weights()).To(Equal([2]int32{80, 20}))
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 5, canary: 1}), "ceil(5×20%) = 1 canary pod, stable at full size")
	g.Expect(r.available(canary)).To(BeNumerically(">=", 1), "traffic only after the canary pod is available")
	g.Expect(r.Selector("web-canary")).To(Equal(canary))
	g.Expect(r.Selector("web-stable")).To(Equal(stable))
	ro := r.Get()
	g.Expect(ro.Status.Canary.Weights.Verified).To(Equal(&weirv1.WeightPair{Stable: 80, Canary: 20}))
	pauseStarted := ro.Status.StepStartedAt.Time

	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).
		Should(Equal(int32(3)), "pause 10s and setWeight 50 done")
	ro = r.Get()
	g.Expect(ro.Status.Phase).To(Equal(weirv1.PhasePaused))
	g.Expect(ro.Status.Message).To(ContainSubstring("until promoted"))
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 5, canary: 3}), "ceil(5×50%) = 3")
	// The pause never ends early: setWeight 50 started after it, at least 10 s later.
	g.Expect(time.Since(pauseStarted)).To(BeNumerically(">=", 10*time.Second))

	r.request(weirv1.RequestPromote)
	done := r.waitHealthy()
	g.Expect(done.Status.StableRS).To(Equal(canary))
	g.Expect(done.Status.Request).To(BeNil(), "the request was handled and cleared")
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	g.Expect(r.Selector("web-stable")).To(Equal(canary))
	// The old revision's scale-down time is in status (no write to its ReplicaSet), and it
	// is kept up until then.
	g.Expect(done.Status.ScaleDowns).To(HaveLen(1))
	g.Expect(done.Status.ScaleDowns[0].Revision).To(Equal(stable))
	keepUntil := done.Status.ScaleDowns[0].At.Time
	g.Expect(keepUntil).To(BeTemporally("~", done.Status.ProgressedAt.Add(2*time.Second), 2*time.Second))
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{stable: 0, canary: 5}),
		"the old revision scales down after scaleDownDelaySeconds")
	g.Expect(time.Now()).To(BeTemporally(">=", keepUntil), "not before its time")
	g.Eventually(func() []weirv1.ScaleDown { return r.Get().Status.ScaleDowns }, timeout, poll).Should(BeEmpty(),
		"the entry goes once the revision has no pods")
	g.Expect(r.Events()).To(And(ContainSubstring("StepCompleted"), ContainSubstring("Promoted"), ContainSubstring("ReleaseCompleted")))

	// Weir's field manager owns the route's rules and nothing else: no labels, no
	// annotations, no parentRefs.
	var route gatewayv1.HTTPRoute
	g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web"}, &route)).To(Succeed())
	owned := ""
	for _, mf := range route.ManagedFields {
		if mf.Manager == controller.FieldManager {
			g.Expect(mf.Operation).To(Equal(metav1ManagedFieldsApply))
			owned = string(mf.FieldsV1.Raw)
		}
	}
	var fields map[string]any
	g.Expect(json.Unmarshal([]byte(owned), &fields)).To(Succeed(), "weir has managed fields on the route")
	g.Expect(fields).To(Equal(map[string]any{"f:spec": map[string]any{"f:rules": map[string]any{}}}))
	g.Expect(route.Labels).To(Equal(map[string]string{"team": "blog"}))
}
