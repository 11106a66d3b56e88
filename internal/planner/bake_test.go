package planner

import (
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestBake: a canary's post-promotion analysis runs with all traffic on the new revision and
// the stable one still up at full size; passed, the release finishes; failed, all traffic
// goes straight back to stable before anything scales.
func TestBake(t *testing.T) {
	bake := func(ro *weirv1.Rollout) {
		ro.Spec.Strategy.Canary.PostPromotionAnalysis = &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "t"}}}
	}
	afterLastStep := func(weights weirv1.WeightPair, canary int32, runs map[string]AnalysisRun, extra ...func(*weirv1.RolloutStatus)) world {
		return world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20)}, status: releasing(1, extra...),
			rs: []ReplicaSet{rs("v1", 4), rs("v2", canary)}, canarySv: "v2", weights: weights, runs: runs, mutate: bake}
	}
	run := func(phase weirv1.AnalysisPhase) map[string]AnalysisRun {
		return map[string]AnalysisRun{"web-v2-post-1": {Phase: phase, Message: "metric error-rate " + string(phase)}}
	}
	baking := func(s *weirv1.RolloutStatus) { s.Canary.PostPromotionAnalysisRun = "web-v2-post-1" }
	checkPlans(t, []planCase{
		{"last step done: the new revision grows to full size, its traffic with its available pods; stable kept at full size",
			afterLastStep(w(80, 20), 1, nil),
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForPods, stable: "v1", scale: map[string]int32{"v1": 4, "v2": 4},
				weights: &weirv1.WeightPair{Stable: 75, Canary: 25}, runs: []string{}}},
		{"all traffic verified on it: the bake runs",
			afterLastStep(w(0, 100), 4, nil),
			expect{phase: weirv1.PhaseProgressing, stable: "v1", scale: map[string]int32{"v1": 4, "v2": 4},
				weights: &weirv1.WeightPair{Stable: 0, Canary: 100}, runs: []string{"web-v2-post-1"}}},
		{"the bake passed: the new revision is stable, the old one goes after its delay",
			afterLastStep(w(0, 100), 4, run(weirv1.AnalysisSuccessful), baking),
			expect{stable: "v2", weights: &weirv1.WeightPair{Stable: 100}, events: []string{"ReleaseCompleted"}}},
		{"the bake failed: all traffic back to stable, the new revision kept until that is verified",
			afterLastStep(w(0, 100), 4, run(weirv1.AnalysisFailed), baking),
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonAnalysisFailed, stable: "v1", scale: map[string]int32{"v1": 4, "v2": 4},
				weights: &weirv1.WeightPair{Stable: 100}, message: "failed its bake with all traffic: revert its change in Git ('kubectl weir undo web' prints it)",
				events: []string{"RolloutAborted"}}},
	})
}
