package planner

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// t0 (2026-11-27 12:00 UTC) is a Friday.
var thursday = t0.Add(-24 * time.Hour)

func policy(name string, spec weirv1.ReleasePolicySpec) weirv1.ReleasePolicy {
	return weirv1.ReleasePolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: spec}
}

var (
	fridayFreeze = policy("no-fridays", weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{noFridays}}})
	noLatest     = policy("images", weirv1.ReleasePolicySpec{Images: &weirv1.ImageRules{}})
	stagingFirst = policy("staging-first", weirv1.ReleasePolicySpec{RequireUpstream: &weirv1.UpstreamRequirement{Namespace: "staging", Soak: "1h"}})
)

func image(ref string) func(*weirv1.Rollout) {
	return func(ro *weirv1.Rollout) {
		ro.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: ref}}
	}
}

// newRelease is a template change from v1 to v2 (image demoapp:v2) on a Healthy Rollout.
func newRelease(policies ...weirv1.ReleasePolicy) world {
	return world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()},
		status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1", Canary: &weirv1.CanaryStatus{}},
		rs:     []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0), mutate: image("demoapp:v2"), policies: policies}
}

func at2(w world, now time.Time) world { w.now = now; return w }

func withStatus(w world, f func(*weirv1.RolloutStatus)) world { f(&w.status); return w }

// soaked is an upstream history: demoapp:v2 Healthy from since, until until (nil: still).
func soaked(image string, since time.Time, until *time.Time) map[string]Upstream {
	h := weirv1.HealthyPeriod{Revision: "u2", Images: []string{"app=" + image}, Since: metav1.NewTime(since)}
	if until != nil {
		h.Until = ptr.To(metav1.NewTime(*until))
	}
	return map[string]Upstream{"staging/web": {History: []weirv1.HealthyPeriod{
		{Revision: "u1", Images: []string{"app=demoapp:v1"}, Since: metav1.NewTime(since.Add(-48 * time.Hour)), Until: ptr.To(metav1.NewTime(since))}, h}}}
}

func TestPolicyHoldsANewRelease(t *testing.T) {
	held := func(reason string) expect {
		return expect{phase: weirv1.PhasePaused, reason: reason, scale: map[string]int32{"v1": 4}, weights: &weirv1.WeightPair{Stable: 100},
			selectors: map[string]string{"stable": "v1", "canary": "v1"}}
	}
	started := expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForPods, step: ptr.To[int32](0),
		scale: map[string]int32{"v1": 4, "v2": 1}, events: []string{"ReleaseStarted", "ReleaseAdmitted"}}
	withUpstream := func(u map[string]Upstream) world { w := newRelease(stagingFirst); w.upstreams = u; return w }

	for _, tc := range []struct {
		name     string
		w        world
		want     expect
		evidence []string
	}{
		{"a closed window holds it on stable, and wakes at the window's end",
			newRelease(fridayFreeze),
			func() expect {
				e := held(weirv1.ReasonReleaseWindowClosed)
				e.message = `release of v2 held, all traffic on stable v1: policy no-fridays: release window closed (deny window "no-friday-releases"); opens 2026-11-28T00:00:00Z`
				e.requeue, e.events = 12*time.Hour, []string{"ReleaseStarted", weirv1.ReasonReleaseWindowClosed}
				return e
			}(),
			[]string{`policy no-fridays: release window closed (deny window "no-friday-releases"); opens 2026-11-28T00:00:00Z`}},
		{"an open window lets it start, and says so",
			at2(newRelease(fridayFreeze), thursday), started,
			[]string{`policy no-fridays: release window open (no deny window in force) until 2026-11-27T00:00:00Z`}},
		{"the window opening: it starts by itself",
			at2(newRelease(fridayFreeze), at("2026-11-28T00:00:00Z")), started, nil},
		{"an image tagged latest never starts: Degraded, naming the container",
			func() world { w := at2(newRelease(noLatest), thursday); w.mutate = image("demoapp:latest"); return w }(),
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonImageRefused, scale: map[string]int32{"v1": 4},
				message: `policy images refuses container "app": image "demoapp:latest" is tagged latest; change the image in Git`},
			[]string{`policy images refuses container "app": image "demoapp:latest" is tagged latest`}},
		{"an image without a tag means latest",
			func() world { w := newRelease(noLatest); w.mutate = image("registry.local:5000/demoapp"); return w }(),
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonImageRefused, message: `image "registry.local:5000/demoapp" has no tag`}, nil},
		{"an image by digest is allowed without a tag",
			func() world { w := newRelease(noLatest); w.mutate = image("demoapp@sha256:abc"); return w }(), started,
			[]string{"policy images: every image is allowed"}},
		{"no upstream Rollout: held",
			withUpstream(nil),
			func() expect {
				e := held(weirv1.ReasonUpstreamNotSoaked)
				e.message = "policy staging-first: upstream Rollout staging/web not found"
				return e
			}(), nil},
		{"upstream never ran the image",
			withUpstream(map[string]Upstream{"staging/web": {}}),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonUpstreamNotSoaked,
				message: "staging/web has not run demoapp:v2 Healthy yet (soak 1h0m0s)"}, nil},
		{"upstream soaking: held, waking when the soak ends",
			withUpstream(soaked("demoapp:v2", t0.Add(-20*time.Minute), nil)),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonUpstreamNotSoaked, requeue: 40 * time.Minute,
				message: "staging/web has run demoapp:v2 Healthy since 2026-11-27T11:40:00Z; its 1h0m0s soak ends at 2026-11-27T12:40:00Z"}, nil},
		{"upstream soaked: starts, with the evidence",
			withUpstream(soaked("demoapp:v2", t0.Add(-72*time.Minute), nil)), started,
			[]string{"policy staging-first: staging/web has run demoapp:v2 Healthy for 1h12m0s (soak 1h0m0s)"}},
		{"upstream soaked and since re-released: its history still counts",
			withUpstream(soaked("demoapp:v2", t0.Add(-3*time.Hour), ptr.To(t0.Add(-time.Hour)))), started,
			[]string{"policy staging-first: staging/web has run demoapp:v2 Healthy for 2h0m0s (soak 1h0m0s)"}},
		{"upstream re-released during the soak: held, it ran too short",
			withUpstream(soaked("demoapp:v2", t0.Add(-50*time.Minute), ptr.To(t0.Add(-30*time.Minute)))),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonUpstreamNotSoaked,
				message: "staging/web ran demoapp:v2 Healthy for only 20m0s (until 2026-11-27T11:30:00Z), short of its 1h0m0s soak"}, nil},
		{"upstream ran another digest of the same tag: not the same image",
			func() world {
				w := withUpstream(soaked("demoapp:v2@sha256:aaa", t0.Add(-2*time.Hour), nil))
				w.mutate = image("demoapp:v2@sha256:bbb")
				return w
			}(),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonUpstreamNotSoaked, message: "has not run demoapp:v2@sha256:bbb Healthy yet"}, nil},
		{"the same digest under another tag is the same image",
			func() world {
				w := withUpstream(soaked("demoapp:rc1@sha256:aaa", t0.Add(-2*time.Hour), nil))
				w.mutate = image("demoapp:v2@sha256:aaa")
				return w
			}(), started, nil},
		{"a policy with an unknown time zone holds, naming the field",
			newRelease(policy("broken", weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Allow: []weirv1.ReleaseWindow{{TimeZone: "Mars/Olympus"}}}})),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonPolicyInvalid,
				message: `policy broken can't be evaluated: spec.windows.allow[0].timeZone: unknown time zone "Mars/Olympus"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(tc.w.input())
			check(t, p, tc.want)
			if tc.want.phase == weirv1.PhasePaused || tc.want.phase == weirv1.PhaseDegraded {
				if _, scaled := p.Scale["v2"]; scaled {
					t.Errorf("held, yet v2 is scaled to %d", p.Scale["v2"])
				}
				if p.Status.Policy.Admitted != "" {
					t.Errorf("held, yet admitted %q", p.Status.Policy.Admitted)
				}
			}
			if tc.want.phase == weirv1.PhaseProgressing {
				NewWithT(t).Expect(p.Status.Policy.Admitted).To(Equal("v2"))
			}
			if tc.evidence != nil {
				NewWithT(t).Expect(p.Status.Policy.Evidence).To(Equal(tc.evidence))
			}
		})
	}
}

func TestPolicyEvidenceOfEveryRule(t *testing.T) {
	w := newRelease(noLatest, stagingFirst, fridayFreeze)
	w.upstreams = soaked("demoapp:v2", t0.Add(-2*time.Hour), nil)
	p := Decide(w.input())
	NewWithT(t).Expect(p.Status.Policy).To(Equal(&weirv1.PolicyStatus{
		Policies: []string{"images", "staging-first", "no-fridays"},
		Evidence: []string{
			"policy images: every image is allowed",
			"policy staging-first: staging/web has run demoapp:v2 Healthy for 2h0m0s (soak 1h0m0s)",
			`policy no-fridays: release window closed (deny window "no-friday-releases"); opens 2026-11-28T00:00:00Z`,
		},
	}))
	NewWithT(t).Expect(reasonOf(p.Status, weirv1.ConditionReady)).To(Equal(weirv1.ReasonReleaseWindowClosed))
}

// An admitted release under way when the window closes finishes its step and waits at the
// next step boundary; it goes on by itself when the window opens.
func TestWindowClosingMidRelease(t *testing.T) {
	admitted := func(s *weirv1.RolloutStatus) {
		s.Policy = &weirv1.PolicyStatus{Policies: []string{"no-fridays"}, Admitted: "v2"}
	}
	// Step 1/4 (weight 20) verified at the route: done.
	stepOneDone := world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()},
		status: releasing(0, admitted), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20),
		mutate: image("demoapp:v2"), policies: []weirv1.ReleasePolicy{fridayFreeze}}
	cases := []planCase{
		{"closed: step 1 done, step 2 waits at weight 20",
			stepOneDone,
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonReleaseWindowClosed, step: ptr.To[int32](0), weights: &weirv1.WeightPair{Stable: 80, Canary: 20},
				scale:   map[string]int32{"v1": 4, "v2": 1},
				message: `step 1/4 done; step 2/4 waits for the release window (policy no-fridays: deny window "no-friday-releases"; opens 2026-11-28T00:00:00Z)`,
				requeue: 12 * time.Hour, events: []string{weirv1.ReasonReleaseWindowClosed}}},
		{"closed, the step not done yet: it goes on with its step",
			withStatus(stepOneDone, func(s *weirv1.RolloutStatus) { s.CurrentStepIndex = ptr.To[int32](1) }),
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonStepPause, step: ptr.To[int32](1)}},
		{"open again: step 2 starts by itself",
			at2(stepOneDone, at("2026-11-28T00:00:00Z")),
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonStepPause, step: ptr.To[int32](1), events: []string{"StepCompleted"}}},
		{"closed at the last step: the full promotion waits too",
			func() world { x := stepOneDone; x.steps = []weirv1.CanaryStep{setWeight(20)}; return x }(),
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonReleaseWindowClosed, stable: "v1", weights: &weirv1.WeightPair{Stable: 80, Canary: 20},
				message: "step 1/1 done; the full promotion waits for the release window"}},
	}
	checkPlans(t, cases)
}

// An override lets one revision through every rule, mid-release windows included; the next
// revision is held again.
func TestPolicyOverride(t *testing.T) {
	g := NewWithT(t)
	base := newRelease(fridayFreeze)
	base.status.Request = &weirv1.OperatorRequest{Action: weirv1.RequestOverridePolicy, By: "alice", Reason: "hotfix INC-42", At: metav1.NewTime(t0)}
	p := Decide(base.input())
	check(t, p, expect{phase: weirv1.PhaseProgressing, scale: map[string]int32{"v1": 4, "v2": 1},
		events: []string{"ReleaseStarted", weirv1.ReasonPolicyOverridden}})
	g.Expect(p.Status.Policy.Override).To(Equal(&weirv1.PolicyOverride{Revision: "v2", By: "alice", Reason: "hotfix INC-42", At: metav1.NewTime(t0)}))
	g.Expect(p.Events[1]).To(Equal(Event{Warning: true, Reason: weirv1.ReasonPolicyOverridden,
		Message: "revision v2 let through policies no-fridays by alice: hotfix INC-42"}))

	// At a step boundary inside the closed window, it goes on.
	mid := world{replicas: 4, current: "v2", steps: base.steps, status: releasing(0, func(s *weirv1.RolloutStatus) { s.Policy = p.Status.Policy }),
		rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), mutate: image("demoapp:v2"), policies: base.policies}
	check(t, Decide(mid.input()), expect{step: ptr.To[int32](1), reason: weirv1.ReasonStepPause})

	// The next revision is held again, and the override is gone.
	next := newRelease(fridayFreeze)
	next.current = "v3"
	next.status = releasing(1, func(s *weirv1.RolloutStatus) { s.Policy = p.Status.Policy })
	next.rs, next.canarySv, next.weights = []ReplicaSet{rs("v1", 4), rs("v2", 1)}, "v2", w(80, 20)
	p3 := Decide(next.input())
	check(t, p3, expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForTraffic, scale: map[string]int32{"v1": 4, "v2": 0},
		weights: &weirv1.WeightPair{Stable: 100}, message: `release of v3 held: policy no-fridays: release window closed (deny window "no-friday-releases"); ` +
			"opens 2026-11-28T00:00:00Z; meanwhile: HTTPRoute route has weights 80/20, want 100/0"})
	g.Expect(p3.Status.Policy.Override).To(BeNil())
	g.Expect(p3.Status.Policy.Admitted).To(BeEmpty(), "v3 is not admitted")

	// Once all traffic is back on stable: held, Paused.
	next.status, next.weights, next.canarySv, next.rs = p3.Status, w(100, 0), "v1", []ReplicaSet{rs("v1", 4)}
	check(t, Decide(next.input()), expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonReleaseWindowClosed})

	// Refused where it makes no sense.
	for _, tc := range []struct {
		name string
		w    world
		why  string
	}{
		{"no release", func() world {
			x := newRelease(fridayFreeze)
			x.current, x.status.Request = "v1", base.status.Request
			return x
		}(), "no release in progress"},
		{"no policy", func() world { x := newRelease(); x.status.Request = base.status.Request; return x }(), "no ReleasePolicy selects this Rollout"},
	} {
		p := Decide(tc.w.input())
		g.Expect(p.Events).To(ContainElement(Event{Warning: true, Reason: "RequestRefused",
			Message: fmt.Sprintf("OverridePolicy by alice refused: %s", tc.why)}), tc.name)
	}
}

func TestHealthyHistory(t *testing.T) {
	g := NewWithT(t)
	healthy := world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
		rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0), mutate: image("demoapp:v1")}
	p := Decide(healthy.input())
	g.Expect(p.Status.Phase).To(Equal(weirv1.PhaseHealthy))
	g.Expect(p.Status.HealthyHistory).To(Equal([]weirv1.HealthyPeriod{{Revision: "v1", Images: []string{"app=demoapp:v1"}, Since: metav1.NewTime(t0)}}))

	// Still Healthy later: the same period.
	healthy.status, healthy.now = p.Status, t0.Add(time.Hour)
	g.Expect(Decide(healthy.input()).Status.HealthyHistory).To(Equal(p.Status.HealthyHistory))

	// A release starts: the period closes, and is kept.
	release := newRelease()
	release.status = p.Status
	release.now = t0.Add(2 * time.Hour)
	g.Expect(Decide(release.input()).Status.HealthyHistory).To(Equal([]weirv1.HealthyPeriod{
		{Revision: "v1", Images: []string{"app=demoapp:v1"}, Since: metav1.NewTime(t0), Until: ptr.To(metav1.NewTime(t0.Add(2 * time.Hour)))}}))

	// Bounded: the oldest go.
	for i := 0; i < 12; i++ {
		healthy.status.HealthyHistory = append(healthy.status.HealthyHistory, weirv1.HealthyPeriod{Revision: fmt.Sprint("old", i),
			Images: []string{"app=x"}, Since: metav1.NewTime(t0), Until: ptr.To(metav1.NewTime(t0))})
	}
	h := Decide(healthy.input()).Status.HealthyHistory
	g.Expect(h).To(HaveLen(10))
	g.Expect(h[9].Revision).To(Equal("v1"))
	g.Expect(h[9].Until).To(BeNil())
}

// TestUnprovenRevisionsAreNoEvidence: a revision whose analysis never passed (created as
// stable, or promoted past an analysis) is recorded as such, and a downstream's soak doesn't
// count it.
func TestUnprovenRevisionsAreNoEvidence(t *testing.T) {
	g := NewWithT(t)
	created := Decide(world{replicas: 2, current: "v1", mutate: image("demoapp:v1")}.input())
	g.Expect(created.Status.Unproven).To(Equal("created as stable: no release ran"))

	steps := []weirv1.CanaryStep{setWeight(20), analysisStep(), pauseForever(), setWeight(50)}
	at := func(step int32, action weirv1.RequestAction) string {
		x := world{replicas: 4, current: "v2", steps: steps, status: releasing(step, request(action)),
			rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)}
		return Decide(x.input()).Status.Unproven
	}
	g.Expect(at(2, weirv1.RequestPromote)).To(BeEmpty(), "promoting past a pause gate skips no analysis")
	g.Expect(at(1, weirv1.RequestPromote)).To(Equal("Promote by alice skipped the analysis of step 2/4"))
	g.Expect(at(0, weirv1.RequestPromoteFull)).To(Equal("PromoteFull by alice skipped the analysis of step 2/4"))
	g.Expect(at(2, weirv1.RequestPromoteFull)).To(BeEmpty(), "no analysis left")

	w := newRelease(stagingFirst)
	w.upstreams = soaked("demoapp:v2", t0.Add(-3*time.Hour), nil)
	h := w.upstreams["staging/web"].History
	h[1].Unproven = "PromoteFull by alice skipped the analysis of step 2/4"
	check(t, Decide(w.input()), expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonUpstreamNotSoaked,
		message: "staging/web ran demoapp:v2 Healthy, but that is no evidence (PromoteFull by alice skipped the analysis of step 2/4)"})
}

// A blue-green release admitted before a window closed keeps its preview and waits to switch
// until the window opens.
func TestWindowHoldsTheBlueGreenSwitch(t *testing.T) {
	admitted := func(s *weirv1.RolloutStatus) {
		s.Policy = &weirv1.PolicyStatus{Policies: []string{"no-fridays"}, Admitted: "v2"}
	}
	ready := world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(time.Minute), admitted),
		rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(100, 0),
		mutate: func(ro *weirv1.Rollout) { blueGreen(true)(ro); image("demoapp:v2")(ro) }, policies: []weirv1.ReleasePolicy{fridayFreeze}}
	check(t, Decide(ready.input()), expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonReleaseWindowClosed, step: ptr.To[int32](0),
		weights: &weirv1.WeightPair{Stable: 100}, scale: map[string]int32{"v1": 4, "v2": 4},
		message: "preview ready; the switch of traffic to it waits for the release window", events: []string{weirv1.ReasonReleaseWindowClosed}})
	check(t, Decide(at2(ready, at("2026-11-28T00:00:00Z")).input()), expect{step: ptr.To[int32](1), weights: &weirv1.WeightPair{Canary: 100},
		events: []string{"Promoting"}})
}
