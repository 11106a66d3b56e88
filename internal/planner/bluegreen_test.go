package planner

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// blueGreen turns the fixture into a blue-green Rollout whose active Service is "stable"
// and preview Service "canary" (so the fixture's Services and route serve both).
func blueGreen(routed bool, mutate ...func(*weirv1.BlueGreenStrategy)) func(*weirv1.Rollout) {
	return func(ro *weirv1.Rollout) {
		b := &weirv1.BlueGreenStrategy{ActiveService: "stable", PreviewService: "canary",
			ScaleDownDelaySeconds: ptr.To[int32](30), AbortScaleDownDelaySeconds: ptr.To[int32](30)}
		if routed {
			b.TrafficRouting = ro.Spec.Strategy.Canary.TrafficRouting
		}
		for _, m := range mutate {
			m(b)
		}
		ro.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: b}
	}
}

// bgStatus is releasing's status for a blue-green release at stage: the strategy's own
// status is a blue-green one.
func bgStatus(stage int32, extra ...func(*weirv1.RolloutStatus)) weirv1.RolloutStatus {
	s := releasing(stage)
	s.Canary, s.BlueGreen = nil, &weirv1.BlueGreenStatus{}
	for _, f := range extra {
		f(&s)
	}
	return s
}

func previewReadyAt(ago time.Duration) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) {
		s.BlueGreen.PreviewAvailableAt = ptr.To(metav1.NewMicroTime(t0.Add(-ago)))
	}
}

func switched(s *weirv1.RolloutStatus) {
	s.BlueGreen.PreviewAvailableAt = ptr.To(metav1.NewMicroTime(t0.Add(-time.Minute)))
	s.BlueGreen.SwitchedAt = ptr.To(metav1.NewMicroTime(t0.Add(-time.Second)))
}

func TestBlueGreenTransitions(t *testing.T) {
	pre := func(b *weirv1.BlueGreenStrategy) { b.PrePromotionAnalysis = analysisStep().Analysis }
	post := func(b *weirv1.BlueGreenStrategy) { b.PostPromotionAnalysis = analysisStep().Analysis }
	manual := func(b *weirv1.BlueGreenStrategy) { b.AutoPromotionEnabled = ptr.To(false) }
	cases := []planCase{
		{"new revision: preview comes up beside the active one, preview Service selects it",
			world{replicas: 4, current: "v2", status: bgStatus(0), rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0),
				mutate: blueGreen(false)},
			expect{reason: weirv1.ReasonWaitingForPods, scale: map[string]int32{"v1": 4, "v2": 4},
				selectors: map[string]string{"stable": "v1", "canary": "v2"}, noTraffic: true}},
		{"previewReplicaCount sizes the preview",
			world{replicas: 4, current: "v2", status: bgStatus(0), rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1",
				mutate: blueGreen(false, func(b *weirv1.BlueGreenStrategy) { b.PreviewReplicaCount = ptr.To[int32](1) })},
			expect{scale: map[string]int32{"v1": 4, "v2": 1}}},
		{"pre-promotion analysis runs against the preview, no traffic moves",
			world{replicas: 4, current: "v2", status: bgStatus(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(100, 0),
				mutate: blueGreen(true, pre)},
			expect{reason: weirv1.ReasonAnalysisRunning, runs: []string{"web-v2-pre-1"}, weights: &weirv1.WeightPair{Stable: 100}, events: []string{"PreviewReady"}}},
		{"pre-promotion analysis failed: abort, active untouched",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(time.Minute), func(s *weirv1.RolloutStatus) { s.BlueGreen.PrePromotionAnalysisRun = "web-v2-pre-1" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(100, 0), mutate: blueGreen(true, pre),
				runs: map[string]AnalysisRun{"web-v2-pre-1": {Phase: weirv1.AnalysisFailed}}},
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonAnalysisFailed, weights: &weirv1.WeightPair{Stable: 100},
				selectors: map[string]string{"stable": "v1", "canary": "v2"}, scale: map[string]int32{"v1": 4, "v2": 4}}},
		{"manual promotion: waits for the operator",
			world{replicas: 4, current: "v2", status: bgStatus(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", mutate: blueGreen(false, manual)},
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonWaitingForPromotion, message: "kubectl weir promote web"}},
		{"auto-promotion waits autoPromotionSeconds after the preview is ready",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(3*time.Second)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2",
				mutate: blueGreen(false, func(b *weirv1.BlueGreenStrategy) { b.AutoPromotionSeconds = 10 })},
			expect{step: ptr.To[int32](0), requeue: 7 * time.Second, selectors: map[string]string{"stable": "v1", "canary": "v2"}}},
		{"auto-promotion due: the active Service switches to the new revision",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(11*time.Second)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2",
				mutate: blueGreen(false, func(b *weirv1.BlueGreenStrategy) { b.AutoPromotionSeconds = 10 })},
			expect{step: ptr.To[int32](1), selectors: map[string]string{"stable": "v2", "canary": "v2"}, reason: weirv1.ReasonWaitingForTraffic, events: []string{"Promoting"}}},
		{"switch only when the new revision has all its replicas",
			world{replicas: 4, current: "v2", status: bgStatus(1, previewReadyAt(time.Minute)), rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 4, 1)}, canarySv: "v2",
				mutate: blueGreen(false, func(b *weirv1.BlueGreenStrategy) { b.PreviewReplicaCount = ptr.To[int32](1) })},
			expect{reason: weirv1.ReasonWaitingForPods, scale: map[string]int32{"v2": 4}, selectors: map[string]string{"stable": "v1", "canary": "v2"}}},
		{"with routes: the switch is weights 0/100 between active and preview",
			world{replicas: 4, current: "v2", status: bgStatus(1, previewReadyAt(time.Minute)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(100, 0),
				mutate: blueGreen(true)},
			expect{weights: &weirv1.WeightPair{Canary: 100}, selectors: map[string]string{"stable": "v1", "canary": "v2"}, reason: weirv1.ReasonWaitingForTraffic}},
		{"switched and verified, no post analysis: done, old revision scales down later",
			world{replicas: 4, current: "v2", status: bgStatus(1, switched), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(0, 100),
				mutate: blueGreen(true)},
			expect{stable: "v2", events: []string{"ReleaseCompleted"}, scale: map[string]int32{"v1": 4, "v2": 4}, requeue: waitingRecheck, recheck: true,
				selectors: map[string]string{"stable": "v2", "canary": "v2"}, weights: &weirv1.WeightPair{Stable: 100}}},
		{"post-promotion analysis runs while the old revision is up",
			world{replicas: 4, current: "v2", status: bgStatus(1, switched), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(0, 100),
				mutate: blueGreen(true, post)},
			expect{runs: []string{"web-v2-post-1"}, scale: map[string]int32{"v1": 4, "v2": 4}, weights: &weirv1.WeightPair{Canary: 100}}},
		{"post-promotion analysis failed: straight back to the old revision",
			world{replicas: 4, current: "v2", status: bgStatus(1, switched, func(s *weirv1.RolloutStatus) { s.BlueGreen.PostPromotionAnalysisRun = "web-v2-post-1" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(0, 100), mutate: blueGreen(true, post),
				runs: map[string]AnalysisRun{"web-v2-post-1": {Phase: weirv1.AnalysisFailed, Message: "latency"}}},
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonAnalysisFailed, weights: &weirv1.WeightPair{Stable: 100},
				scale: map[string]int32{"v1": 4, "v2": 4}, message: "post-promotion"}},
		{"post-promotion failure without routes: the active Service switches back",
			world{replicas: 4, current: "v2", status: bgStatus(1, switched, func(s *weirv1.RolloutStatus) { s.BlueGreen.PostPromotionAnalysisRun = "web-v2-post-1" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", stableSv: "v2", mutate: blueGreen(false, post),
				runs: map[string]AnalysisRun{"web-v2-post-1": {Phase: weirv1.AnalysisFailed}}},
			expect{aborted: weirv1.ReasonAnalysisFailed, selectors: map[string]string{"stable": "v1", "canary": "v2"}}},
		{"manual promote request switches",
			world{replicas: 4, current: "v2", status: bgStatus(0, request(weirv1.RequestPromote)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2",
				mutate: blueGreen(false, manual)},
			expect{step: ptr.To[int32](1), events: []string{"Promoted"}, selectors: map[string]string{"stable": "v2", "canary": "v2"}}},
		{"new revision during preview replaces the preview",
			world{replicas: 4, current: "v3", status: bgStatus(0, previewReadyAt(time.Minute)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2",
				mutate: blueGreen(false, manual)},
			expect{step: ptr.To[int32](0), events: []string{weirv1.ReasonNewRevision}, scale: map[string]int32{"v1": 4, "v2": 0, "v3": 4},
				selectors: map[string]string{"stable": "v1", "canary": "v3"}}},
		{"idle: both Services on the active revision",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"}, rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1",
				mutate: blueGreen(false)},
			expect{phase: weirv1.PhaseHealthy, selectors: map[string]string{"stable": "v1", "canary": "v1"}}},
		{"retry after an analysis abort names new runs",
			world{replicas: 4, current: "v2", status: bgStatus(0, previewReadyAt(time.Minute), aborted(nil), request(weirv1.RequestRetry),
				func(s *weirv1.RolloutStatus) { s.BlueGreen.PrePromotionAnalysisRun = "web-v2-pre-1" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", mutate: blueGreen(false, pre),
				runs: map[string]AnalysisRun{"web-v2-pre-1": {Phase: weirv1.AnalysisFailed}}},
			expect{runs: []string{"web-v2-r1-pre-1"}, reason: weirv1.ReasonAnalysisRunning}},
	}
	checkPlans(t, cases)
}
