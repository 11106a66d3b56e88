package cli_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// refused runs a verb that must be refused and checks that nothing was written.
func (r *release) refused(why string, args ...string) {
	r.T.Helper()
	res := weir(append([]string{"-n", r.NS}, args...)...)
	r.G.Expect(res.code).To(Equal(1), res.String())
	r.G.Expect(res.err).To(ContainSubstring("refused: "+why), res.String())
	r.G.Expect(res.out).To(BeEmpty())
	r.G.Expect(r.Get().Status.Request).To(BeNil(), "a refused request must not be written")
}

// request runs a verb that must be accepted and returns what it printed.
func (r *release) request(args ...string) string {
	r.T.Helper()
	res := weir(append([]string{"-n", r.NS}, args...)...)
	r.G.Expect(res.code).To(Equal(0), res.String())
	return res.out
}

// requestCleared waits until the controller acted on the pending request.
func (r *release) requestCleared() {
	r.G.Eventually(func() *weirv1.OperatorRequest { return r.Get().Status.Request }, timeout, poll).Should(BeNil())
}

// TestPromotePauseResume walks a release with the plugin: refusals on a Healthy Rollout,
// set image, promote from a pause to the next step, operator pause and resume, then
// promote --full; the controller carries out each request.
func TestPromotePauseResume(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.managed(4, setWeight(20), pause(""), setWeight(60), pause(""))
	stable := r.Get().Status.StableRS

	for _, verb := range []string{"promote", "abort", "pause"} {
		r.refused("rollout web has no release in progress (revision "+stable+" is stable and serves all traffic)", verb, "web")
	}
	r.refused("the release of rollout web is not aborted: nothing to retry", "retry", "web")
	r.refused("the release of rollout web is not paused: nothing to resume", "resume", "web")

	res := r.setImage("web:2")
	g.Expect(res.out).To(ContainSubstring("container web: web:1 → web:2"))
	g.Expect(res.err).To(ContainSubstring("GitOps tool"))
	g.Expect(r.Get().Spec.Template.Spec.Containers[0].Image).To(Equal("web:2"))

	st := r.waitVerdict("Paused", 2)
	g.Expect(st.out).To(ContainSubstring("step 2/4  weight 20/20: step 2/4: paused at weight 20 until promoted"))
	r.refused("rollout web waits for promotion at step 2/4 (pause until promoted): resume doesn't end that wait, promote does ('kubectl weir promote web')", "resume", "web")

	out := r.request("promote", "web")
	g.Expect(out).To(Equal("rollout web: Promote requested by weir-admin\n" +
		"next: step 2/4 (pause until promoted) → step 3/4 (setWeight 60)\n"))
	r.requestCleared()
	r.waitVerdict("Paused", 2)
	g.Expect(*r.Get().Status.CurrentStepIndex).To(Equal(int32(3)))
	g.Expect(r.Weights()).To(Equal([2]int32{40, 60}))
	g.Expect(r.Events()).To(ContainSubstring("Promote by weir-admin: now at step 2/4"))

	// An operator pause holds the release at a setWeight step too.
	out = r.request("pause", "web")
	g.Expect(out).To(ContainSubstring("next: the release of revision " + hashOf("web:2") + " holds at step 4/4 (pause until promoted) with canary weight 60 until 'kubectl weir resume web'"))
	r.requestCleared()
	g.Expect(r.Get().Status.Paused).NotTo(BeNil())
	g.Expect(r.Get().Status.Paused.Reason).To(Equal(weirv1.ReasonOperatorPause))
	g.Expect(r.Get().Status.Paused.By).To(Equal("weir-admin"))
	r.refused("the release of revision "+hashOf("web:2")+" is already paused (OperatorPause)", "pause", "web")
	out = r.request("resume", "web")
	g.Expect(out).To(ContainSubstring("next: the pause (OperatorPause) is cleared and the release goes on from step 4/4 (pause until promoted)"))
	r.requestCleared()
	g.Expect(r.Get().Status.Paused).To(BeNil())

	out = r.request("promote", "web", "--full")
	g.Expect(out).To(ContainSubstring("rollout web: PromoteFull requested by weir-admin"))
	g.Expect(out).To(ContainSubstring("every remaining step skipped: revision " + hashOf("web:2") + " takes all traffic and becomes stable"))
	r.waitVerdict("Healthy", 0)
	g.Expect(r.Get().Status.StableRS).To(Equal(hashOf("web:2")))
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
}

// TestAbortRetry: abort moves traffic back to stable and the Rollout is Degraded (exit 1);
// promote and a second abort are refused; retry starts the release again.
func TestAbortRetry(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.pausedAtHalf()
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))

	out := r.request("abort", "web")
	g.Expect(out).To(Equal("rollout web: Abort requested by weir-admin\n" +
		"next: all traffic goes back to stable revision " + hashOf("web:1") + "; canary " + hashOf("web:2") +
		" scales down 3s after that is verified. Retry later with 'kubectl weir retry web'\n"))
	st := r.waitVerdict("Degraded", 1)
	g.Expect(st.out).To(ContainSubstring("aborted by weir-admin"))
	g.Expect(r.Get().Status.Aborted.Reason).To(Equal(weirv1.ReasonOperatorAbort))
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{100, 0}))

	r.refused("the release of revision "+hashOf("web:2")+" is already aborted (OperatorAbort)", "abort", "web")
	r.refused("the release of revision "+hashOf("web:2")+" is aborted (OperatorAbort); retry it first with 'kubectl weir retry web'", "promote", "web")
	r.refused("the release of revision "+hashOf("web:2")+" is aborted (OperatorAbort); retry it first with 'kubectl weir retry web'", "promote", "web", "--full")

	out = r.request("retry", "web")
	g.Expect(out).To(ContainSubstring("next: the release of revision " + hashOf("web:2") + " starts again from step 1/2 (setWeight 50)"))
	r.requestCleared()
	r.waitVerdict("Paused", 2)
	ro := r.Get()
	g.Expect(ro.Status.Aborted).To(BeNil())
	g.Expect(ptr.Deref(ro.Status.CurrentStepIndex, -1)).To(Equal(int32(1)))
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))
	g.Expect(r.Events()).To(ContainSubstring("retried by weir-admin"))
}

// TestRequestsRefusedWithoutController: a Rollout no controller has reconciled, and one
// whose earlier request is still pending, get a clear refusal instead of a silent wait.
func TestRequestsRefusedWithoutController(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	ro, _ := r.unmanagedRollout("web:2", 1, pause(""))
	r.refused("rollout web has not been reconciled by the Weir controller yet (is weir-controller running?)", "promote", "web")
	r.setStatus(ro, weirv1.RolloutStatus{Phase: weirv1.PhasePaused, StableRS: hashOf("web:1"), CurrentPodHash: hashOf("web:2"),
		CurrentStepIndex: ptr.To[int32](0), Request: &weirv1.OperatorRequest{Action: weirv1.RequestAbort, By: "alice", At: metav1.Now()}})
	res := weir("-n", r.NS, "promote", "web")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("promote web refused: the Abort request by alice from"))
	g.Expect(res.err).To(ContainSubstring("is still pending"))
	res = weir("-n", r.NS, "promote", "nope")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring(`rollout "nope" not found in namespace "` + r.NS + `"`))
}
