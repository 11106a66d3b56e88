package cli_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestStatusExitCodes: Progressing is 4 without --watch and a timeout (3) with it; a Rollout
// that can't be read is 5, not 1 (Degraded); Healthy, Paused and Degraded are covered by
// the release tests, which wait with status --watch.
func TestStatusExitCodes(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	ro, _ := r.unmanagedRollout("web:2", 2, setWeight(50))
	res := weir("-n", r.NS, "status", "web")
	g.Expect(res.code).To(Equal(4), res.String())
	g.Expect(res.out).To(Equal("web  Progressing: the controller has not observed the current spec yet\n"))

	r.setStatus(ro, weirv1.RolloutStatus{Phase: weirv1.PhaseProgressing, Message: "step 1/1: 0 of 1 canary pods available for weight 50",
		StableRS: hashOf("web:1"), CurrentPodHash: hashOf("web:2"), CurrentStepIndex: ptr.To[int32](0), Canary: weights(50, nil)})
	res = weir("-n", r.NS, "status", "web", "--watch", "--timeout", "2s")
	g.Expect(res.code).To(Equal(3), res.String())
	g.Expect(res.out).To(Equal("web  Progressing  step 1/1  weight 50/-: step 1/1: 0 of 1 canary pods available for weight 50\n"))
	g.Expect(res.err).To(ContainSubstring("error: rollout web: still progressing after 2s"))

	// A Degraded phase counts even before the controller saw a new spec when it's an abort.
	r.setStatus(ro, weirv1.RolloutStatus{Phase: weirv1.PhaseDegraded, Message: "aborted: aborted by bob",
		StableRS: hashOf("web:1"), CurrentPodHash: hashOf("web:2"), CurrentStepIndex: ptr.To[int32](0),
		Aborted: &weirv1.AbortInfo{Reason: weirv1.ReasonOperatorAbort, At: ro.CreationTimestamp}})
	res = weir("-n", r.NS, "status", "web", "--watch")
	g.Expect(res.code).To(Equal(1), res.String())
	g.Expect(res.out).To(ContainSubstring("web  Degraded  step 1/1"))

	res = weir("-n", r.NS, "status", "nope")
	g.Expect(res.code).To(Equal(5), res.String())
	g.Expect(res.err).To(ContainSubstring(`rollout "nope" not found`))
	res = weir("-n", r.NS, "status", "nope", "--watch", "--timeout", "5s")
	g.Expect(res.code).To(Equal(5), res.String())
	g.Expect(res.err).To(ContainSubstring("the rollout was deleted"))
}
