package planner

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// The random walk drives the planner through generated releases: a random Rollout, then a
// random sequence of what the world and its people do (pods becoming ready or failing, the
// gateway accepting or lagging, measurements, operator requests, new revisions, time
// passing). Each event is followed by a reconcile, as the controller would do: decide, check
// the invariants, apply the plan to the simulated world. A failing walk is shrunk to a
// minimal sequence of events and printed with its seed.
var (
	walkSeed  = flag.Uint64("walk.seed", 1, "first seed of the planner's random walk")
	walkCount = flag.Int("walk.count", 600, "number of random walks")
	walkLen   = flag.Int("walk.len", 80, "events per walk")
)

// walkRegressions are walks that once found a defect (seed and length); they run first.
var walkRegressions = []walkSeedLen{
	{4, 80, true},       // Healthy before the Services read back the stable revision
	{27, 80, true},      // the weight rose while paused as canary pods came up
	{100067, 120, true}, // promote-full while a background verdict paused: weight rose, verdict read again
	{102062, 120, true}, // a background verdict read after traffic moved
	{901078, 250, true}, // a step verdict read after traffic moved (resume)
}

type walkSeedLen struct {
	seed uint64
	len  int
	// regression walks replay exactly what they once found: without the release policies,
	// bakes and overrides added since, which draw from streams of their own.
	regression bool
}

func TestRandomWalkInvariants(t *testing.T) {
	walks := append([]walkSeedLen{}, walkRegressions...)
	for i := 0; i < *walkCount; i++ {
		walks = append(walks, walkSeedLen{*walkSeed + uint64(i), *walkLen, false})
	}
	decisions := 0
	for _, walk := range walks {
		seed := walk.seed
		spec := genSpec(rand.New(rand.NewPCG(seed, 1)))
		events := genEvents(rand.New(rand.NewPCG(seed, 2)), walk.len)
		if !walk.regression {
			genPolicies(rand.New(rand.NewPCG(seed, 3)), &spec)
			events = addOverrides(rand.New(rand.NewPCG(seed, 4)), events, spec)
			events = addBreakages(rand.New(rand.NewPCG(seed, 5)), events)
		}
		n, violation := simulate(spec, events)
		decisions += n
		if violation == "" {
			continue
		}
		events = shrink(spec, events)
		_, violation = simulate(spec, events)
		t.Fatalf("seed %d: %s\nrollout: %s\nminimal sequence (%d events):\n  %s\nreplay: go test ./internal/planner -run TestRandomWalkInvariants -walk.seed %d -walk.len %d -walk.count 1",
			seed, violation, describeSpec(spec), len(events), strings.Join(describeEvents(events), "\n  "), seed, walk.len)
	}
	t.Logf("%d random walks of %d events (seeds %d..%d, plus %d regression seeds), %d decisions: every invariant held",
		*walkCount, *walkLen, *walkSeed, *walkSeed+uint64(*walkCount)-1, len(walkRegressions), decisions)
}

// walkMetric is the one metric of every analysis in a walk; count is the spec's.
func walkMetric(count int32) weirv1.Metric {
	return weirv1.Metric{Name: "m", MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To(count)}, SuccessCondition: "result < 1", FailureCondition: "result >= 1"}
}

type walkSpec struct {
	ro    *weirv1.Rollout
	count int32 // measurements each analysis needs
	// policies select the Rollout (none in most walks).
	policies []weirv1.ReleasePolicy
}

// walkFreeze is the deny window of the walks' window policy: minutes 5 to 15 of a walk that
// starts at 12:00 (t0) and lasts about half an hour.
var walkFreeze = weirv1.ReleaseWindow{Name: "freeze", Start: "12:05", End: "12:15"}

// genPolicies gives some walks a release policy (a freeze, or images that are refused) and
// some canaries a bake.
func genPolicies(r *rand.Rand, spec *walkSpec) {
	ro := spec.ro
	image := "app:v1"
	switch k := r.IntN(10); {
	case k < 4:
		spec.policies = []weirv1.ReleasePolicy{{ObjectMeta: metav1.ObjectMeta{Name: "freeze"},
			Spec: weirv1.ReleasePolicySpec{Windows: &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{walkFreeze}}}}}
	case k < 5:
		image = "app:latest"
		spec.policies = []weirv1.ReleasePolicy{{ObjectMeta: metav1.ObjectMeta{Name: "images"}, Spec: weirv1.ReleasePolicySpec{Images: &weirv1.ImageRules{}}}}
	}
	ro.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: image}}
	if c := ro.Spec.Strategy.Canary; c != nil && r.IntN(10) < 4 {
		c.PostPromotionAnalysis = &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "t"}}}
	}
}

// addOverrides inserts, in walks with a policy, a few requests to let the release through.
func addOverrides(r *rand.Rand, events []walkEvent, spec walkSpec) []walkEvent {
	if len(spec.policies) == 0 {
		return events
	}
	out := make([]walkEvent, 0, len(events))
	for _, e := range events {
		if r.IntN(100) < 3 {
			out = append(out, walkEvent{kind: evOverride})
		}
		out = append(out, e)
	}
	return out
}

// addBreakages makes a backend stop resolving in some walks, and resolve again later: half
// the times only the gateway can tell (a ReferenceGrant gone), half the times the canary
// Service loses the route's port, which Weir sees itself.
func addBreakages(r *rand.Rand, events []walkEvent) []walkEvent {
	if r.IntN(10) >= 4 {
		return events
	}
	out := make([]walkEvent, 0, len(events)+4)
	for _, e := range events {
		switch k := r.IntN(100); {
		case k < 2:
			out = append(out, walkEvent{kind: evBackendBreaks, n: r.IntN(1000)})
		case k < 4:
			out = append(out, walkEvent{kind: evBackendFixed})
		}
		out = append(out, e)
	}
	return out
}

func genSpec(r *rand.Rand) walkSpec {
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Generation: 1},
		Spec:       weirv1.RolloutSpec{Replicas: ptr.To(1 + r.Int32N(5)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}
	var routing *weirv1.TrafficRouting
	if r.IntN(10) < 7 {
		routing = &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{HTTPRoutes: []weirv1.RouteRef{{Name: "route"}}}}
	}
	an := &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "t"}}}
	delay := func() *int32 { return ptr.To(r.Int32N(4) * 10) }
	if r.IntN(10) < 7 {
		c := &weirv1.CanaryStrategy{StableService: "stable", CanaryService: "canary", TrafficRouting: routing,
			ScaleDownDelaySeconds: delay(), AbortScaleDownDelaySeconds: delay()}
		for range 1 + r.IntN(6) {
			switch k := r.IntN(10); {
			case k < 4:
				c.Steps = append(c.Steps, setWeight(5*(1+r.Int32N(20))))
			case k < 5:
				c.Steps = append(c.Steps, pauseFor(fmt.Sprintf("%ds", 1+r.IntN(30))))
			case k < 6:
				c.Steps = append(c.Steps, pauseForever())
			case k < 9:
				c.Steps = append(c.Steps, weirv1.CanaryStep{Analysis: an.DeepCopy()})
			case routing != nil && k == 9:
				c.Steps = append(c.Steps, weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta",
					Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}})
			default:
				c.Steps = append(c.Steps, setWeight(50))
			}
		}
		if r.IntN(10) < 3 {
			c.Analysis = &weirv1.BackgroundAnalysis{RolloutAnalysis: *an.DeepCopy(), StartingStep: ptr.To(r.Int32N(int32(len(c.Steps))))}
		}
		ro.Spec.Strategy.Canary = c
	} else {
		b := &weirv1.BlueGreenStrategy{ActiveService: "stable", PreviewService: "canary", TrafficRouting: routing,
			AutoPromotionEnabled: ptr.To(r.IntN(2) == 0), AutoPromotionSeconds: r.Int32N(3) * 10,
			ScaleDownDelaySeconds: delay(), AbortScaleDownDelaySeconds: delay()}
		if r.IntN(2) == 0 {
			b.PrePromotionAnalysis = an.DeepCopy()
		}
		if r.IntN(2) == 0 {
			b.PostPromotionAnalysis = an.DeepCopy()
		}
		if r.IntN(3) == 0 {
			b.PreviewReplicaCount = ptr.To(1 + r.Int32N(*ro.Spec.Replicas))
		}
		ro.Spec.Strategy.BlueGreen = b
	}
	if r.IntN(2) == 0 {
		ro.Spec.AnalysisRunHistoryLimit = ptr.To(r.Int32N(3))
	}
	return walkSpec{ro: ro, count: 1 + r.Int32N(5)}
}

type eventKind int

const (
	evTick eventKind = iota
	evPodsReady
	evPodFails
	evGatewayAccepts
	evGatewayRejects
	evMeasure
	evRequest
	evNewRevision
	evReconcile
	evOverride      // a person lets the release through the policies
	evBackendBreaks // a backend stops resolving (n: whether Weir can see it)
	evBackendFixed  // and resolves again
)

type walkEvent struct {
	kind eventKind
	n    int // a parameter: seconds, which object, which verdict, which request
}

var walkRequests = []weirv1.RequestAction{weirv1.RequestPromote, weirv1.RequestPromoteFull, weirv1.RequestAbort,
	weirv1.RequestRetry, weirv1.RequestPause, weirv1.RequestResume}

func genEvents(r *rand.Rand, n int) []walkEvent {
	weights := []struct {
		kind eventKind
		w    int
	}{{evTick, 20}, {evPodsReady, 20}, {evPodFails, 3}, {evGatewayAccepts, 20}, {evGatewayRejects, 3},
		{evMeasure, 20}, {evRequest, 8}, {evNewRevision, 2}, {evReconcile, 4}}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	events := make([]walkEvent, 0, n)
	for range n {
		k := r.IntN(total)
		for _, w := range weights {
			if k < w.w {
				events = append(events, walkEvent{kind: w.kind, n: r.IntN(1000)})
				break
			}
			k -= w.w
		}
	}
	return events
}

// simRun is an AnalysisRun as the AnalysisRun reconciler keeps it, judged by the analysis
// package's own functions.
type simRun struct {
	metric     weirv1.Metric
	result     weirv1.MetricResult
	phase      weirv1.AnalysisPhase
	terminated bool
}

func (s *simRun) judge() {
	s.result.Phase, s.result.Message = analysis.MetricPhase(s.result, s.metric, analysis.Rules{Terminated: s.terminated})
	s.phase, _ = analysis.RunPhase([]weirv1.MetricResult{s.result})
}

// sim is the world one walk runs in.
type sim struct {
	spec     walkSpec
	ro       *weirv1.Rollout
	template int // the pod template's version; its hash is "v<template>"
	rs       map[string]*ReplicaSet
	services map[string]string
	route    Route
	runs     map[string]*simRun
	onError  weirv1.ErrorAction
	now      time.Time
	// broken: a backend doesn't resolve; portGone: because the canary Service lost the
	// route's port (Weir sees that itself; otherwise only the gateway's report tells).
	broken, portGone bool
	// lastAccepted is the canary weight a decision last read from the route with the
	// gateway accepting it.
	lastAccepted int32
	// last decision, for invariants that compare with it
	last *Plan
}

func newSim(spec walkSpec) *sim {
	s := &sim{spec: spec, ro: spec.ro.DeepCopy(), template: 1, rs: map[string]*ReplicaSet{},
		services: map[string]string{"stable": "", "canary": ""}, runs: map[string]*simRun{}, now: t0,
		route: Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: true, Weights: &weirv1.WeightPair{Stable: 100}}}
	return s
}

func (s *sim) hash() string { return fmt.Sprintf("v%d", s.template) }

func (s *sim) routed() bool { return trafficRoutingOf(s.ro) != nil }

func trafficRoutingOf(ro *weirv1.Rollout) *weirv1.TrafficRouting {
	if c := ro.Spec.Strategy.Canary; c != nil {
		return c.TrafficRouting
	}
	return ro.Spec.Strategy.BlueGreen.TrafficRouting
}

func (s *sim) input() Input {
	in := Input{Rollout: s.ro.DeepCopy(), CurrentHash: s.hash(), Services: map[string]Service{},
		AnalysisRuns: map[string]AnalysisRun{}, Now: s.now}
	hashes := make([]string, 0, len(s.rs))
	for h := range s.rs {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		in.ReplicaSets = append(in.ReplicaSets, *s.rs[h])
	}
	for name, h := range s.services {
		in.Services[name] = Service{Hash: h, Ports: []int32{80}}
		if name == "canary" && s.portGone {
			in.Services[name] = Service{Hash: h, Ports: []int32{8080}}
		}
	}
	if s.routed() {
		r := s.route
		r.BackendPorts = map[string][]int32{"stable": {80}, "canary": {80}}
		r.Weights = ptr.To(*s.route.Weights)
		r.InjectedRules = append([]string(nil), s.route.InjectedRules...)
		in.Routes = []Route{r}
	}
	for name, run := range s.runs {
		in.AnalysisRuns[name] = AnalysisRun{Phase: run.phase, OnError: s.onError, Terminated: run.terminated}
	}
	in.Policies = s.spec.policies
	return in
}

// apply carries a plan out as the reconciler does: status written, ReplicaSets sized,
// selectors and routes written (the gateway has yet to accept a changed route), runs
// created or stopped.
func (s *sim) apply(p Plan) {
	s.ro.Status = *p.Status.DeepCopy()
	for hash, n := range p.Scale {
		if rs, ok := s.rs[hash]; ok {
			rs.Replicas = n
			rs.Available, rs.Ready, rs.Total = min(rs.Available, n), min(rs.Ready, n), min(rs.Total, n)
		} else if hash == s.hash() {
			s.rs[hash] = &ReplicaSet{Name: "web-" + hash, Hash: hash, Replicas: n, Created: s.now}
		}
	}
	for _, name := range p.Delete {
		for h, rs := range s.rs {
			if rs.Name == name {
				delete(s.rs, h)
			}
		}
	}
	for name, h := range p.Selectors {
		s.services[name] = h
	}
	if t := p.Traffic; t != nil && s.routed() {
		injected := injectedKeys(t.HeaderRoutes, t.MirrorRoutes)
		if *s.route.Weights != t.Weights || !sameSet(s.route.InjectedRules, injected) {
			s.route.Weights, s.route.InjectedRules, s.route.Accepted = ptr.To(t.Weights), injected, false
		}
	}
	for _, name := range p.DeleteAnalysisRuns {
		delete(s.runs, name)
	}
	wanted := map[string]bool{}
	for _, r := range p.AnalysisRuns {
		wanted[r.Name] = true
		if _, ok := s.runs[r.Name]; !ok {
			s.runs[r.Name] = &simRun{metric: walkMetric(s.spec.count), phase: weirv1.AnalysisRunning}
		}
	}
	for name, run := range s.runs {
		if !wanted[name] && !run.terminated && !run.phase.Completed() {
			run.terminated = true
			run.judge()
		}
	}
}

// happen makes one event happen in the world.
func (s *sim) happen(e walkEvent) {
	switch e.kind {
	case evTick:
		s.now = s.now.Add(time.Duration(1+e.n%40) * time.Second)
	case evPodsReady:
		for _, rs := range s.sortedRS() {
			if rs.Available < rs.Replicas {
				rs.Available, rs.Ready, rs.Total = rs.Replicas, rs.Replicas, rs.Replicas
				return
			}
		}
	case evPodFails:
		if list := s.sortedRS(); len(list) > 0 {
			if rs := list[e.n%len(list)]; rs.Available > 0 {
				rs.Available, rs.Ready = rs.Available-1, rs.Ready-1
			}
		}
	case evGatewayAccepts:
		s.route.Accepted, s.route.Unresolved = !s.broken, ""
		if s.broken {
			s.route.Unresolved = "parent gw: ResolvedRefs BackendNotFound"
		}
	case evBackendBreaks:
		s.broken, s.portGone = true, e.n%2 == 0
	case evBackendFixed:
		s.broken, s.portGone = false, false
	case evGatewayRejects:
		s.route.Accepted = false
	case evMeasure:
		names := s.liveRuns()
		if len(names) == 0 {
			return
		}
		run := s.runs[names[e.n%len(names)]]
		verdicts := []weirv1.AnalysisPhase{weirv1.AnalysisSuccessful, weirv1.AnalysisSuccessful, weirv1.AnalysisSuccessful,
			weirv1.AnalysisFailed, weirv1.AnalysisError, weirv1.AnalysisInconclusive, weirv1.AnalysisPending}
		analysis.Record(&run.result, run.metric, weirv1.Measurement{Phase: verdicts[(e.n/7)%len(verdicts)], StartedAt: metav1.NewMicroTime(s.now)})
		run.judge()
	case evRequest:
		s.ro.Status.Request = &weirv1.OperatorRequest{Action: walkRequests[e.n%len(walkRequests)], By: "walker", At: metav1.NewTime(s.now)}
	case evNewRevision:
		s.template++
		s.ro.Generation++
	case evOverride:
		s.ro.Status.Request = &weirv1.OperatorRequest{Action: weirv1.RequestOverridePolicy, By: "walker", Reason: "hotfix", At: metav1.NewTime(s.now)}
	case evReconcile:
	}
}

func (s *sim) sortedRS() []*ReplicaSet {
	var list []*ReplicaSet
	for _, rs := range s.rs {
		list = append(list, rs)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Hash < list[j].Hash })
	return list
}

func (s *sim) liveRuns() []string {
	var names []string
	for name, run := range s.runs {
		if !run.terminated && !run.phase.Completed() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// simulate runs a walk and returns how many decisions it made and the first invariant that
// broke ("" when none did).
func simulate(spec walkSpec, events []walkEvent) (int, string) {
	s := newSim(spec)
	n := 0
	step := func(what string) string {
		in := s.input()
		before := s.input()
		plan := Decide(in)
		again := Decide(s.input())
		n += 2
		if !reflect.DeepEqual(plan, again) {
			return fmt.Sprintf("after %s: deciding twice on the same input gave two plans:\n%+v\n%+v", what, plan, again)
		}
		if !reflect.DeepEqual(in, before) {
			return fmt.Sprintf("after %s: Decide changed its input", what)
		}
		if v := s.check(in, plan); v != "" {
			return fmt.Sprintf("after %s: %s\n  status: %s", what, v, describeStatus(plan.Status))
		}
		s.apply(plan)
		s.last = &plan
		if r := in.Routes; len(r) > 0 && r[0].Accepted {
			s.lastAccepted = r[0].Weights.Canary
		}
		return ""
	}
	if v := step("creation"); v != "" {
		return n, v
	}
	for i, e := range events {
		s.happen(e)
		if v := step(fmt.Sprintf("event %d (%s)", i+1, describeEvent(e))); v != "" {
			return n, v
		}
	}
	return n, ""
}

// check asserts the invariants of one decision.
func (s *sim) check(in Input, p Plan) string {
	prev := in.Rollout.Status
	now := p.Status
	hash := in.CurrentHash
	req := prev.Request
	promoted := req != nil && (req.Action == weirv1.RequestPromote || req.Action == weirv1.RequestPromoteFull)
	sameRelease := prev.CurrentPodHash == hash && prev.Retries == now.Retries && prev.StableRS == now.StableRS
	prevIdx, idx := ptr.Deref(prev.CurrentStepIndex, 0), ptr.Deref(now.CurrentStepIndex, 0)
	var observed *weirv1.WeightPair
	if len(in.Routes) > 0 && in.Routes[0].Accepted {
		observed = in.Routes[0].Weights
	}

	// The step index never goes backwards within one release of one revision.
	if sameRelease && prev.CurrentStepIndex != nil && hash != now.StableRS && idx < prevIdx {
		return fmt.Sprintf("step index went back from %d to %d", prevIdx, idx)
	}

	if c := in.Rollout.Spec.Strategy.Canary; c != nil && p.Traffic != nil {
		releasing := hash != now.StableRS
		reached := WeightAt(c.Steps, idx)
		if !releasing {
			reached = 0
		}
		// The canary weight never exceeds the weight of the step reached.
		if p.Traffic.Weights.Canary > reached {
			return fmt.Sprintf("canary weight %d above the weight %d of step %d", p.Traffic.Weights.Canary, reached, idx)
		}
		// Never rises while aborted or paused.
		if s.last != nil && s.last.Traffic != nil && sameRelease && (now.Aborted != nil || now.Paused != nil && prev.Paused != nil) &&
			p.Traffic.Weights.Canary > s.last.Traffic.Weights.Canary {
			return fmt.Sprintf("canary weight rose from %d to %d while aborted or paused", s.last.Traffic.Weights.Canary, p.Traffic.Weights.Canary)
		}
	}
	// A backend that doesn't resolve, as far as Weir can know (the gateway said so, or the
	// Service lacks the port): the canary gets no more than the gateways last carried.
	if p.Traffic != nil && len(in.Routes) > 0 && (in.Routes[0].Unresolved != "" || s.portGone) && p.Traffic.Weights.Canary > s.lastAccepted {
		return fmt.Sprintf("canary weight %d while a backend doesn't resolve, above the %d the gateway last accepted", p.Traffic.Weights.Canary, s.lastAccepted)
	}
	if now.Aborted != nil && p.Traffic != nil && p.Traffic.Weights.Canary != 0 {
		return fmt.Sprintf("aborted, yet the routes are to send %d%% to the new revision", p.Traffic.Weights.Canary)
	}

	// Abort: the new revision keeps its pods until weight 0 is verified off it.
	if now.Aborted != nil && s.routed() && hash != now.StableRS {
		off := observed != nil && observed.Canary == 0 && sameSet(in.Routes[0].InjectedRules, nil)
		if rs := s.rs[hash]; rs != nil && !off {
			if want, ok := p.Scale[hash]; !ok || want < rs.Replicas {
				return fmt.Sprintf("aborted revision scaled from %d to %d before weight 0 was verified (route reads %v)", rs.Replicas, p.Scale[hash], observed)
			}
		}
	}

	// An analysis gate passes only on a run that measured its whole count, never stopped,
	// unless a person promoted past it.
	if !promoted && sameRelease {
		if c := in.Rollout.Spec.Strategy.Canary; c != nil && prev.CurrentStepIndex != nil {
			for j := prevIdx; j < min(idx, int32(len(c.Steps))); j++ {
				if c.Steps[j].Analysis != nil && !s.passedRun(prev, fmt.Sprint(j+1)) {
					return fmt.Sprintf("analysis step %d passed (index %d -> %d) without a run that measured its count of %d", j+1, prevIdx, idx, s.spec.count)
				}
			}
		}
		if b := in.Rollout.Spec.Strategy.BlueGreen; b != nil && prev.CurrentStepIndex != nil {
			stageNow := idx
			if now.StableRS == hash && prev.StableRS != hash {
				stageNow = stagesDone
			}
			if b.PrePromotionAnalysis != nil && prevIdx == stagePreview && stageNow > stagePreview && !s.passedRun(prev, "pre") {
				return "promoted past pre-promotion analysis without a run that measured its count"
			}
			if b.PostPromotionAnalysis != nil && prevIdx <= stageSwitched && stageNow == stagesDone && !s.passedRun(prev, "post") {
				return "completed past post-promotion analysis without a run that measured its count"
			}
		}
	}
	if c := in.Rollout.Spec.Strategy.Canary; c != nil && !promoted && prev.StableRS != hash && now.StableRS == hash && prev.CurrentPodHash == hash {
		for j, step := range c.Steps {
			if step.Analysis != nil && int32(j) >= prevIdx && !s.passedRun(prev, fmt.Sprint(j+1)) {
				return fmt.Sprintf("release completed past analysis step %d without a run that measured its count", j+1)
			}
		}
	}

	if v := s.checkPolicies(in, p, promoted, sameRelease, prevIdx, idx); v != "" {
		return v
	}

	// Healthy: all traffic on one revision, and it is the stable one.
	if now.Phase == weirv1.PhaseHealthy {
		if now.StableRS != hash {
			return fmt.Sprintf("Healthy while revision %s is current and %s stable", hash, now.StableRS)
		}
		if s.routed() && (observed == nil || *observed != weirv1.WeightPair{Stable: 100}) {
			return fmt.Sprintf("Healthy while the route reads %v", observed)
		}
		for name, h := range in.Services {
			if h.Hash != hash {
				return fmt.Sprintf("Healthy while Service %s selects %q, not %s", name, h.Hash, hash)
			}
		}
		if rs := s.rs[hash]; rs == nil || rs.Available < DesiredReplicas(in.Rollout) {
			return "Healthy without every pod of the stable revision available"
		}
	}
	return ""
}

// checkPolicies asserts what release policies and a bake promise: a release they haven't
// let start (and nobody let through) has no pods and no traffic; an admitted one doesn't
// advance a step or finish while a window is closed; a canary finishes past its bake only
// on a run that measured its count, unless a person promoted past it.
func (s *sim) checkPolicies(in Input, p Plan, promoted, sameRelease bool, prevIdx, idx int32) string {
	prev, now, hash := in.Rollout.Status, p.Status, in.CurrentHash
	if c := in.Rollout.Spec.Strategy.Canary; c != nil && c.PostPromotionAnalysis != nil && !promoted &&
		prev.StableRS != hash && now.StableRS == hash && prev.CurrentPodHash == hash && !s.passedRun(prev, "post") {
		return "release completed past its bake without a run that measured its count"
	}
	if len(s.spec.policies) == 0 || hash == now.StableRS || now.Aborted != nil {
		return ""
	}
	ps := now.Policy
	overridden := ps != nil && ps.Override != nil && ps.Override.Revision == hash
	if ps == nil || ps.Admitted != hash && !overridden {
		if p.Traffic != nil && p.Traffic.Weights.Canary != 0 {
			return fmt.Sprintf("release not admitted by the policies, yet %d%% of traffic to it", p.Traffic.Weights.Canary)
		}
		if n := p.Scale[hash]; n != 0 {
			return fmt.Sprintf("release not admitted by the policies, yet its revision scaled to %d", n)
		}
		return ""
	}
	closed, _ := Windows(s.spec.policies[0].Spec.Windows, s.now)
	if !closed.Open && !overridden && !promoted && sameRelease && prev.Policy != nil && prev.Policy.Admitted == hash && idx > prevIdx {
		return fmt.Sprintf("step index moved from %d to %d while the release window was closed", prevIdx, idx)
	}
	return ""
}

// passedRun reports whether some attempt of the analysis "what" of the release recorded in
// status ended Successful on its full count without being stopped.
func (s *sim) passedRun(st weirv1.RolloutStatus, what string) bool {
	base := fmt.Sprintf("web-%s-%s-", st.CurrentPodHash, what)
	if st.Retries > 0 {
		base = fmt.Sprintf("web-%s-r%d-%s-", st.CurrentPodHash, st.Retries, what)
	}
	for name, run := range s.runs {
		if strings.HasPrefix(name, base) && run.phase == weirv1.AnalysisSuccessful && !run.terminated && run.result.Count >= s.spec.count {
			return true
		}
	}
	return false
}

// shrink removes events while the walk still fails, until no single removal keeps it failing.
func shrink(spec walkSpec, events []walkEvent) []walkEvent {
	for removed := true; removed; {
		removed = false
		for i := 0; i < len(events); i++ {
			shorter := append(append([]walkEvent{}, events[:i]...), events[i+1:]...)
			if _, v := simulate(spec, shorter); v != "" {
				events, removed = shorter, true
				i--
			}
		}
	}
	return events
}

func describeEvent(e walkEvent) string {
	switch e.kind {
	case evTick:
		return fmt.Sprintf("%ds pass", 1+e.n%40)
	case evPodsReady:
		return "the pods of a revision become available"
	case evPodFails:
		return fmt.Sprintf("a pod fails (revision #%d)", e.n)
	case evGatewayAccepts:
		return "the gateway accepts the route"
	case evGatewayRejects:
		return "the gateway stops accepting the route"
	case evMeasure:
		verdicts := []string{"Successful", "Successful", "Successful", "Failed", "Error", "Inconclusive", "no data (Wait)"}
		return fmt.Sprintf("a running analysis (#%d) measures: %s", e.n, verdicts[(e.n/7)%len(verdicts)])
	case evRequest:
		return "request " + string(walkRequests[e.n%len(walkRequests)])
	case evNewRevision:
		return "a new pod template"
	case evOverride:
		return "request OverridePolicy"
	case evBackendBreaks:
		if e.n%2 == 0 {
			return "the canary Service loses the route's port"
		}
		return "a backend stops resolving (only the gateway can tell)"
	case evBackendFixed:
		return "the backend resolves again"
	}
	return "a reconcile"
}

func describeEvents(events []walkEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fmt.Sprintf("%d. %s", i+1, describeEvent(e))
	}
	return out
}

func describeSpec(spec walkSpec) string {
	ro := spec.ro
	var b strings.Builder
	fmt.Fprintf(&b, "replicas %d, each analysis measures %d times; ", *ro.Spec.Replicas, spec.count)
	routing := "no routing"
	if trafficRoutingOf(ro) != nil {
		routing = "HTTPRoute"
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		var steps []string
		for _, st := range c.Steps {
			steps = append(steps, st.Describe())
		}
		fmt.Fprintf(&b, "canary (%s): [%s]", routing, strings.Join(steps, ", "))
		if c.Analysis != nil {
			fmt.Fprintf(&b, ", background analysis from step %d", *c.Analysis.StartingStep)
		}
		return b.String()
	}
	bg := ro.Spec.Strategy.BlueGreen
	fmt.Fprintf(&b, "blue-green (%s), autoPromotion %v after %ds, pre-promotion analysis %v, post-promotion analysis %v",
		routing, *bg.AutoPromotionEnabled, bg.AutoPromotionSeconds, bg.PrePromotionAnalysis != nil, bg.PostPromotionAnalysis != nil)
	return b.String()
}

func describeStatus(st weirv1.RolloutStatus) string {
	return fmt.Sprintf("phase=%s step=%d stable=%s current=%s paused=%v aborted=%v message=%q",
		st.Phase, ptr.Deref(st.CurrentStepIndex, -1), st.StableRS, st.CurrentPodHash, st.Paused != nil, st.Aborted != nil, st.Message)
}
