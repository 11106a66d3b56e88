package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// policyTimeout covers a window edge up to 75 s away on a loaded machine.
const policyTimeout = 3 * time.Minute

// policy creates a ReleasePolicy and waits until the Rollout's status names it: the
// controller has seen it, so the next template change is decided under it.
func (r *release) policy(name string, spec weirv1.ReleasePolicySpec) {
	r.G.Expect(k8s.Create(r.Ctx, &weirv1.ReleasePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: r.NS, Name: name}, Spec: spec})).To(Succeed())
	r.G.Eventually(func() []string {
		if p := r.Get().Status.Policy; p != nil {
			return p.Policies
		}
		return nil
	}, timeout, poll).Should(ContainElement(name), "the Rollout's status names the policy")
}

// healthyCanary is a Healthy Rollout of replicas pods with one step (setWeight 50).
func (r *release) healthyCanary(replicas int32) *weirv1.Rollout {
	return r.healthyWith(replicas, setWeight(50))
}

// heldOnStable checks a held release: the reason, all traffic and every pod on stable.
func (r *release) heldOnStable(reason string) *weirv1.Rollout {
	var ro *weirv1.Rollout
	r.G.Eventually(func() string {
		ro = r.Get()
		return string(ro.Status.Phase) + "/" + condition(ro, weirv1.ConditionReady).Reason
	}, timeout, poll).Should(Equal("Paused/"+reason), func() string { return describe(ro) })
	r.G.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	// (an older revision may still be within its scale-down delay)
	replicas := r.replicas()
	r.G.Expect(replicas[ro.Status.StableRS]).To(Equal(int32(2)), "stable at full size")
	r.G.Expect(replicas[ro.Status.CurrentPodHash]).To(BeZero(), "nothing of the new revision runs: %s", describe(ro))
	r.G.Expect(r.Selector("web-canary")).To(Equal(ro.Status.StableRS))
	return ro
}

// TestReleaseWindowHoldsUntilItsEdge: a deny window closing within 15-75 s holds a new
// release on stable; the release starts by itself at the edge, not before.
func TestReleaseWindowHoldsUntilItsEdge(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyCanary(2)

	now := time.Now().UTC()
	edge := now.Add(75 * time.Second).Truncate(time.Minute)
	r.policy("freeze", weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{
		{Name: "test-freeze", Start: now.Format("15:04"), End: edge.Format("15:04")}}}})
	r.setImage("web:2")
	ro := r.heldOnStable(weirv1.ReasonReleaseWindowClosed)
	g.Expect(ro.Status.Message).To(ContainSubstring(`deny window "test-freeze"); opens ` + edge.Format(time.RFC3339)))
	g.Expect(ro.Status.Policy.Policies).To(Equal([]string{"freeze"}))
	g.Expect(r.Events()).To(ContainSubstring(weirv1.ReasonReleaseWindowClosed))

	done := r.waitHealthyWithin(policyTimeout)
	g.Expect(time.Now()).To(BeTemporally(">=", edge), "not before the window's edge")
	g.Expect(done.Status.Policy.Admitted).To(Equal(done.Status.StableRS))
	g.Expect(r.Events()).To(ContainSubstring("ReleaseAdmitted"))
}

// TestUpstreamSoak: production waits for staging to run the same image Healthy for its
// soak, then starts by itself; its status names the evidence.
func TestUpstreamSoak(t *testing.T) {
	prod := newRelease(t)
	g := prod.G
	staging := &release{prod.Sibling("s")}
	for _, r := range []*release{staging, prod} {
		r.healthyCanary(2)
	}
	prod.policy("staging-first", weirv1.ReleasePolicySpec{RequireUpstream: &weirv1.UpstreamRequirement{Namespace: staging.NS, Soak: "5s"}})

	prod.setImage("web:2")
	ro := prod.heldOnStable(weirv1.ReasonUpstreamNotSoaked)
	g.Expect(ro.Status.Message).To(ContainSubstring(staging.NS + "/web has not run web:2 Healthy yet (soak 5s)"))

	staging.setImage("web:2")
	healthy := staging.waitHealthy()
	since := healthy.Status.HealthyHistory[len(healthy.Status.HealthyHistory)-1].Since.Time
	g.Expect(healthy.Status.HealthyHistory[len(healthy.Status.HealthyHistory)-1].Images).To(Equal([]string{"web=web:2"}))

	done := prod.waitHealthyWithin(policyTimeout)
	g.Expect(time.Now()).To(BeTemporally(">=", since.Add(5*time.Second)), "not before the soak ended")
	g.Expect(done.Status.Policy.Evidence).To(ConsistOf(MatchRegexp(`^policy staging-first: ` + staging.NS + `/web has run web:2 Healthy for [0-9]+s \(soak 5s\)$`)))
}

// TestOverrideLetsOneRevisionThrough: an override releases the current revision through a
// closed window and records who and why; the next revision is held again.
func TestOverrideLetsOneRevisionThrough(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyCanary(2)
	r.policy("always-closed", weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{{Name: "closed"}}}})

	r.setImage("web:2")
	r.heldOnStable(weirv1.ReasonReleaseWindowClosed)
	g.Eventually(func() error {
		ro := r.Get()
		patch := client.MergeFromWithOptions(ro.DeepCopy(), client.MergeFromWithOptimisticLock{})
		ro.Status.Request = &weirv1.OperatorRequest{Action: weirv1.RequestOverridePolicy, By: "alice", Reason: "hotfix INC-42", At: metav1.Now()}
		return k8s.Status().Patch(r.Ctx, ro, patch)
	}, timeout, poll).Should(Succeed())
	done := r.waitHealthyWithin(policyTimeout)
	g.Expect(done.Status.Policy.Override).NotTo(BeNil())
	g.Expect(*done.Status.Policy.Override).To(MatchFields(done.Status.StableRS, "alice", "hotfix INC-42"))
	g.Expect(r.Events()).To(ContainSubstring("let through policies always-closed by alice: hotfix INC-42"))

	r.setImage("web:3")
	held := r.heldOnStable(weirv1.ReasonReleaseWindowClosed)
	g.Expect(held.Status.Policy.Override).To(BeNil(), "it let one revision through, and only that one")
	g.Expect(held.Status.StableRS).To(Equal(done.Status.StableRS))
}

// MatchFields compares an override's revision, by and reason.
func MatchFields(revision, by, reason string) OmegaMatcher {
	return WithTransform(func(o weirv1.PolicyOverride) [3]string { return [3]string{o.Revision, o.By, o.Reason} },
		Equal([3]string{revision, by, reason}))
}

// TestPolicyAdmission: the API server refuses a window or request written wrong, naming
// the field.
func TestPolicyAdmission(t *testing.T) {
	r := newRelease(t)
	g := r.G
	for _, tc := range []struct {
		window weirv1.ReleaseWindow
		want   string
	}{
		{weirv1.ReleaseWindow{Start: "9:00"}, "spec.windows.deny[0].start: Invalid value"},
		{weirv1.ReleaseWindow{End: "24:01"}, "spec.windows.deny[0].end: Invalid value"},
		{weirv1.ReleaseWindow{Days: []weirv1.Weekday{"Fri"}}, `spec.windows.deny[0].days[0]: Unsupported value: "Fri"`},
		{weirv1.ReleaseWindow{From: "2026-12-24", Until: "2026-12-20"}, "from must not be after until"},
		{weirv1.ReleaseWindow{From: "24.12.2026"}, "spec.windows.deny[0].from: Invalid value"},
	} {
		err := k8s.Create(r.Ctx, &weirv1.ReleasePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: r.NS, GenerateName: "p-"},
			Spec: weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{tc.window}}}})
		g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "%+v", tc.window)
	}

	ro := r.healthyCanary(2)
	patch := client.MergeFrom(ro.DeepCopy())
	ro.Status.Request = &weirv1.OperatorRequest{Action: weirv1.RequestOverridePolicy, By: "alice", At: metav1.Now()}
	g.Expect(k8s.Status().Patch(r.Ctx, ro, patch)).To(MatchError(ContainSubstring("status.request.reason: Invalid value: an OverridePolicy request needs a reason")))
}
