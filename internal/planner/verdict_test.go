package planner

import (
	"testing"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestNoVerdictWithoutMeasurements: a pause, a stopped run or a retry never turns into a
// passed analysis (issue 14, defects 1 and 2).
func TestNoVerdictWithoutMeasurements(t *testing.T) {
	steps := []weirv1.CanaryStep{setWeight(20), analysisStep(), pauseForever()}
	atStep2 := func(extra ...func(*weirv1.RolloutStatus)) weirv1.RolloutStatus {
		return releasing(1, append([]func(*weirv1.RolloutStatus){stepRun("web-v2-2-1")}, extra...)...)
	}
	pods := []ReplicaSet{rs("v1", 4), rs("v2", 1)}
	background := func(start int32) func(*weirv1.Rollout) {
		return func(ro *weirv1.Rollout) {
			ro.Spec.Strategy.Canary.Analysis = &weirv1.BackgroundAnalysis{RolloutAnalysis: *analysisStep().Analysis, StartingStep: ptr.To(start)}
		}
	}
	bgRun := func(name string) func(*weirv1.RolloutStatus) {
		return func(s *weirv1.RolloutStatus) { s.Canary.BackgroundAnalysisRun = name }
	}
	cases := []planCase{
		{"operator pause during a step analysis: its run keeps measuring, the step waits",
			world{replicas: 4, current: "v2", steps: steps, status: atStep2(operatorPaused), rs: pods, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisRunning}}},
			expect{phase: weirv1.PhasePaused, paused: weirv1.ReasonOperatorPause, runs: []string{"web-v2-2-1"}, step: ptr.To[int32](1)}},
		{"paused while the run succeeds: still paused, still at the analysis step",
			world{replicas: 4, current: "v2", steps: steps, status: atStep2(operatorPaused), rs: pods, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisSuccessful}}},
			expect{phase: weirv1.PhasePaused, step: ptr.To[int32](1)}},
		{"paused while the run fails: a pause never shields users from a failing canary",
			world{replicas: 4, current: "v2", steps: steps, status: atStep2(operatorPaused), rs: pods, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisFailed, Message: "error-rate 0.3"}}},
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonAnalysisFailed, weights: &weirv1.WeightPair{Stable: 100}}},
		{"a stopped run is never the step's verdict, whatever its phase: a new attempt starts",
			world{replicas: 4, current: "v2", steps: steps, status: atStep2(), rs: pods, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisSuccessful, Terminated: true}}},
			expect{reason: weirv1.ReasonAnalysisRunning, runs: []string{"web-v2-2-2"}, step: ptr.To[int32](1), events: []string{}}},
		{"a stopped run that ended Inconclusive doesn't pause either: a new attempt starts",
			world{replicas: 4, current: "v2", steps: steps, status: atStep2(), rs: pods, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisInconclusive, Terminated: true}}},
			expect{reason: weirv1.ReasonAnalysisRunning, runs: []string{"web-v2-2-2"}, step: ptr.To[int32](1), events: []string{}}},

		// Background analysis.
		{"background run waits until its starting step's weight is verified",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(0), rs: pods, canarySv: "v2", weights: w(100, 0), mutate: background(0)},
			expect{reason: weirv1.ReasonWaitingForTraffic, runs: []string{}, step: ptr.To[int32](0)}},
		{"background run starts once its starting step's weight is verified",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseForever()}, status: releasing(0), rs: pods, canarySv: "v2",
				weights: w(80, 20), mutate: background(0)},
			expect{runs: []string{"web-v2-background-1"}, step: ptr.To[int32](1)}},
		{"background run keeps measuring while paused",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseForever()}, status: releasing(1, bgRun("web-v2-background-1"), operatorPaused),
				rs: pods, canarySv: "v2", weights: w(80, 20), mutate: background(0),
				runs: map[string]AnalysisRun{"web-v2-background-1": {Phase: weirv1.AnalysisRunning}}},
			expect{phase: weirv1.PhasePaused, runs: []string{"web-v2-background-1"}}},
		{"background run failing while paused aborts",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseForever()}, status: releasing(1, bgRun("web-v2-background-1"), operatorPaused),
				rs: pods, canarySv: "v2", weights: w(80, 20), mutate: background(0),
				runs: map[string]AnalysisRun{"web-v2-background-1": {Phase: weirv1.AnalysisFailed}}},
			expect{aborted: weirv1.ReasonAnalysisFailed, weights: &weirv1.WeightPair{Stable: 100}}},
		{"a stopped background run is replaced by a new attempt",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseForever()}, status: releasing(1, bgRun("web-v2-background-1")),
				rs: pods, canarySv: "v2", weights: w(80, 20), mutate: background(0),
				runs: map[string]AnalysisRun{"web-v2-background-1": {Phase: weirv1.AnalysisSuccessful, Terminated: true}}},
			expect{runs: []string{"web-v2-background-2"}, phase: weirv1.PhasePaused, reason: weirv1.ReasonWaitingForPromotion}},
		{"resume after a background Error runs the background analysis again (and only it)",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(2, stepRun("web-v2-2-1"), bgRun("web-v2-background-1"),
				func(s *weirv1.RolloutStatus) { s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonAnalysisError} }, request(weirv1.RequestResume)),
				rs: pods, canarySv: "v2", weights: w(80, 20), mutate: background(0),
				runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisSuccessful}, "web-v2-background-1": {Phase: weirv1.AnalysisError}}},
			expect{runs: []string{"web-v2-background-2"}, phase: weirv1.PhasePaused, reason: weirv1.ReasonWaitingForPromotion, events: []string{"Resumed"}}},
	}
	checkPlans(t, cases)
}

// TestBlueGreenPauseNeverPasses: pre- and post-promotion analysis keep measuring through an
// operator pause, and a stopped run is never their verdict.
func TestBlueGreenPauseNeverPasses(t *testing.T) {
	pre := func(b *weirv1.BlueGreenStrategy) { b.PrePromotionAnalysis = analysisStep().Analysis }
	post := func(b *weirv1.BlueGreenStrategy) { b.PostPromotionAnalysis = analysisStep().Analysis }
	preRun := func(s *weirv1.RolloutStatus) { s.BlueGreen.PrePromotionAnalysisRun = "web-v2-pre-1" }
	postRun := func(s *weirv1.RolloutStatus) { s.BlueGreen.PostPromotionAnalysisRun = "web-v2-post-1" }
	pods := []ReplicaSet{rs("v1", 4), rs("v2", 4)}
	cases := []planCase{
		{"paused during pre-promotion analysis: the run keeps measuring, no promotion",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(0), preRun, operatorPaused), rs: pods, canarySv: "v2", weights: w(100, 0),
				runs: map[string]AnalysisRun{"web-v2-pre-1": {Phase: weirv1.AnalysisRunning}}, mutate: blueGreen(true, pre)},
			expect{phase: weirv1.PhasePaused, runs: []string{"web-v2-pre-1"}, step: ptr.To[int32](0), weights: &weirv1.WeightPair{Stable: 100}}},
		{"a stopped pre-promotion run is never the verdict: a new attempt starts",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(0), preRun), rs: pods, canarySv: "v2", weights: w(100, 0),
				runs: map[string]AnalysisRun{"web-v2-pre-1": {Phase: weirv1.AnalysisSuccessful, Terminated: true}}, mutate: blueGreen(true, pre)},
			expect{reason: weirv1.ReasonAnalysisRunning, runs: []string{"web-v2-pre-2"}, step: ptr.To[int32](0), weights: &weirv1.WeightPair{Stable: 100}}},
		{"paused during post-promotion analysis: the run keeps measuring, not done",
			world{replicas: 4, current: "v2", status: bgStatus(1, switched, postRun, operatorPaused), rs: pods, canarySv: "v2", weights: w(0, 100),
				runs: map[string]AnalysisRun{"web-v2-post-1": {Phase: weirv1.AnalysisSuccessful}}, mutate: blueGreen(true, post)},
			expect{phase: weirv1.PhasePaused, runs: []string{"web-v2-post-1"}, step: ptr.To[int32](1), stable: "v1"}},
	}
	checkPlans(t, cases)
}

// TestInjectedRulesVerifiedByContent: a header step counts as applied only when the route's
// rule does what the step says, not merely carries its name (issue 14, defect 4).
func TestInjectedRulesVerifiedByContent(t *testing.T) {
	header := func(value string) weirv1.SetHeaderRoute {
		return weirv1.SetHeaderRoute{Name: "beta", Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: value}}}
	}
	steps := []weirv1.CanaryStep{setWeight(10), {SetHeaderRoute: ptr.To(header("2"))}, pauseForever()}
	pods := []ReplicaSet{rs("v1", 4), rs("v2", 1)}
	cases := []planCase{
		{"the rule matches the old value under the same name: not applied yet",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, canarySv: "v2", weights: w(90, 10),
				injected: []string{HeaderRuleKey(header("1"))}},
			expect{reason: weirv1.ReasonWaitingForTraffic, step: ptr.To[int32](1), message: `want [header beta [x-beta Exact "2"]]`}},
		{"the rule does what the step says: applied",
			world{replicas: 4, current: "v2", steps: steps, status: releasing(1), rs: pods, canarySv: "v2", weights: w(90, 10),
				injected: []string{HeaderRuleKey(header("2"))}},
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonWaitingForPromotion, step: ptr.To[int32](2)}},
	}
	checkPlans(t, cases)
}
