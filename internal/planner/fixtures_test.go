package planner

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// world is a compact description of what was observed, turned into an Input.
type world struct {
	steps    []weirv1.CanaryStep
	replicas int32
	status   weirv1.RolloutStatus
	current  string
	rs       []ReplicaSet
	canarySv string // hash the canary Service selects
	stableSv string // hash the stable Service selects (default: status.stableRS)
	route    *Route // nil: a route accepted with weights equal to weights
	weights  weirv1.WeightPair
	injected []string
	// ports are the ports of the stable and canary Services (by name); none when unset.
	ports  map[string][]int32
	runs   map[string]AnalysisRun
	now    time.Time
	mutate func(*weirv1.Rollout)
	// policies select the Rollout; upstreams are what their requireUpstream reads.
	policies  []weirv1.ReleasePolicy
	upstreams map[string]Upstream
}

func (w world) input() Input {
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Generation: 1},
		Spec: weirv1.RolloutSpec{
			Replicas: ptr.To(w.replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{},
			Strategy: weirv1.RolloutStrategy{Canary: &weirv1.CanaryStrategy{
				StableService: "stable", CanaryService: "canary",
				TrafficRouting: &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{
					HTTPRoutes: []weirv1.RouteRef{{Name: "route"}}}},
				Steps: w.steps,
			}},
		},
		Status: w.status,
	}
	if w.mutate != nil {
		w.mutate(ro)
	}
	now := w.now
	if now.IsZero() {
		now = t0
	}
	route := Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: true, Weights: ptr.To(w.weights), InjectedRules: w.injected}
	if w.route != nil {
		route = *w.route
	}
	stableSv := w.stableSv
	if stableSv == "" {
		stableSv = w.status.StableRS
	}
	runs := w.runs
	if runs == nil {
		runs = map[string]AnalysisRun{}
	}
	return Input{
		Rollout:      ro,
		CurrentHash:  w.current,
		ReplicaSets:  w.rs,
		Services:     map[string]Service{"stable": {Hash: stableSv, Ports: w.ports["stable"]}, "canary": {Hash: w.canarySv, Ports: w.ports["canary"]}},
		Routes:       []Route{route},
		AnalysisRuns: runs,
		Policies:     w.policies,
		Upstreams:    w.upstreams,
		Now:          now,
	}
}

// planCase is one case of a table test of Decide: what was observed and what the plan must
// hold.
type planCase struct {
	name string
	w    world
	want expect
}

// checkPlans runs each case as a subtest that checks Decide's plan for its world.
func checkPlans(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { check(t, Decide(tc.w.input()), tc.want) })
	}
}

// rs is a ReplicaSet of a revision with all its pods available.
func rs(hash string, replicas int32) ReplicaSet {
	return ReplicaSet{Name: "web-" + hash, Hash: hash, Replicas: replicas, Available: replicas, Ready: replicas, Total: replicas, Created: t0.Add(-time.Hour)}
}

// rsAvail is a ReplicaSet with some pods not yet available.
func rsAvail(hash string, replicas, available int32) ReplicaSet {
	r := rs(hash, replicas)
	r.Available, r.Ready = available, available
	return r
}

// releasing is the status of a canary release of v2 over stable v1 at step, started and
// last progressed a second ago.
func releasing(step int32, extra ...func(*weirv1.RolloutStatus)) weirv1.RolloutStatus {
	s := weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v2", CurrentStepIndex: ptr.To(step),
		StepStartedAt: ptr.To(metav1.NewMicroTime(t0.Add(-time.Second))), ProgressedAt: ptr.To(metav1.NewTime(t0.Add(-time.Second))),
		Canary: &weirv1.CanaryStatus{}}
	for _, f := range extra {
		f(&s)
	}
	return s
}

// verifiedAt records canary weight c as verified on the routes, as an earlier decision of the
// release did.
func verifiedAt(c int32) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) {
		s.Canary.Weights = &weirv1.Weights{Desired: w(100-c, c), Verified: ptr.To(w(100-c, c)), LastVerified: ptr.To(w(100-c, c)),
			History: []weirv1.WeightRecord{{At: metav1.NewTime(t0.Add(-time.Second)), Desired: c, Verified: ptr.To(c)}}}
	}
}

// wanting records canary weight c as written and not yet verified (after verifiedAt).
func wanting(c int32) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) {
		s.Canary.Weights.Desired = w(100-c, c)
		s.Canary.Weights.Verified = nil
		s.Canary.Weights.History = append(s.Canary.Weights.History, weirv1.WeightRecord{At: metav1.NewTime(t0), Desired: c})
	}
}

func w(stable, canary int32) weirv1.WeightPair {
	return weirv1.WeightPair{Stable: stable, Canary: canary}
}

func setWeight(v int32) weirv1.CanaryStep { return weirv1.CanaryStep{SetWeight: ptr.To(v)} }

func pauseFor(d string) weirv1.CanaryStep {
	return weirv1.CanaryStep{Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.PauseDuration(d))}}
}

func pauseForever() weirv1.CanaryStep { return weirv1.CanaryStep{Pause: &weirv1.RolloutPause{}} }

func analysisStep() weirv1.CanaryStep {
	return weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "t"}}}}
}
