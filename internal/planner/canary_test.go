package planner

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// expect lists what a case checks; zero values are not checked.
type expect struct {
	phase     weirv1.RolloutPhase
	reason    string // the Ready/Progressing condition reason, or the abort reason
	step      *int32
	stable    string
	scale     map[string]int32
	weights   *weirv1.WeightPair
	selectors map[string]string
	aborted   string
	paused    string
	runs      []string
	events    []string // event reasons, in order
	message   string   // substring of status.message
	requeue   time.Duration
	// recheck: the requeue is a safety net, not a promised time (so not Punctual)
	recheck   bool
	noTraffic bool
	invalid   bool
}

func TestCanaryTransitions(t *testing.T) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	cases := []planCase{
		// Creation and idle.
		{"new Rollout: straight to stable at full size, no steps",
			world{replicas: 4, current: "v1", steps: four},
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForPods, stable: "v1", scale: map[string]int32{"v1": 4},
				selectors: map[string]string{"stable": "v1", "canary": "v1"}, weights: &weirv1.WeightPair{Stable: 100}, events: []string{"Created"}}},
		{"stable available and weights verified: Healthy",
			world{replicas: 4, current: "v1", steps: four, status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
				rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
			expect{phase: weirv1.PhaseHealthy, reason: weirv1.ReasonHealthy, scale: map[string]int32{"v1": 4}}},
		{"idle, weights not yet 100/0 on the route: waits for traffic",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
				rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(70, 30)},
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForTraffic, weights: &weirv1.WeightPair{Stable: 100}}},
		{"spec.replicas absent on a running Rollout keeps its scale",
			world{current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1", DesiredReplicas: ptr.To[int32](7)},
				rs: []ReplicaSet{rs("v1", 7)}, canarySv: "v1", weights: w(100, 0), mutate: func(ro *weirv1.Rollout) { ro.Spec.Replicas = nil }},
			expect{phase: weirv1.PhaseHealthy, scale: map[string]int32{"v1": 7}}},
		{"old revision within its scale-down delay stays up",
			world{replicas: 2, current: "v2", status: weirv1.RolloutStatus{StableRS: "v2", CurrentPodHash: "v2"},
				rs:       []ReplicaSet{rs("v2", 2), func() ReplicaSet { r := rs("v1", 2); r.ScaleDownAt = ptr.To(t0.Add(5 * time.Second)); return r }()},
				canarySv: "v2", weights: w(100, 0)},
			expect{phase: weirv1.PhaseHealthy, scale: map[string]int32{"v2": 2, "v1": 2}, requeue: 5 * time.Second}},
		{"old revision past its scale-down delay goes to zero",
			world{replicas: 2, current: "v2", status: weirv1.RolloutStatus{StableRS: "v2", CurrentPodHash: "v2"},
				rs:       []ReplicaSet{rs("v2", 2), func() ReplicaSet { r := rs("v1", 2); r.ScaleDownAt = ptr.To(t0.Add(-time.Second)); return r }()},
				canarySv: "v2", weights: w(100, 0)},
			expect{phase: weirv1.PhaseHealthy, scale: map[string]int32{"v2": 2, "v1": 0}}},

		// Starting a release.
		{"template change: release starts at step 1 with a canary ReplicaSet",
			world{replicas: 4, current: "v2", steps: four, status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1", Canary: &weirv1.CanaryStatus{}},
				rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
			expect{phase: weirv1.PhaseProgressing, reason: weirv1.ReasonWaitingForPods, step: ptr.To[int32](0),
				scale: map[string]int32{"v1": 4, "v2": 1}, weights: &weirv1.WeightPair{Stable: 100},
				selectors: map[string]string{"stable": "v1", "canary": "v2"}, events: []string{"ReleaseStarted"}}},
		{"canary pod not available: no traffic to it yet",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 1, 0)}, canarySv: "v2", weights: w(100, 0)},
			expect{reason: weirv1.ReasonWaitingForPods, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0)}},
		{"canary available: weight 20 written, waiting for it to be verified",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(100, 0)},
			expect{reason: weirv1.ReasonWaitingForTraffic, weights: &weirv1.WeightPair{Stable: 80, Canary: 20}, step: ptr.To[int32](0)}},
		{"weight 20 verified: on to the pause",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{reason: weirv1.ReasonStepPause, step: ptr.To[int32](1), requeue: 10 * time.Second, events: []string{"StepCompleted"}}},
		{"weight read back but route not accepted for its generation: not verified",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(80, 20))}},
			expect{reason: weirv1.ReasonWaitingForTraffic, step: ptr.To[int32](0), message: "not Accepted"}},
		{"a backend the gateway can't resolve: weight 0 held, the step waits and says why",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(100, 0)),
					Unresolved: "parent gw: ResolvedRefs BackendNotFound: service canary port 8080 not found"}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0),
				message: "HTTPRoute route: a backend doesn't resolve (parent gw: ResolvedRefs BackendNotFound: service canary port 8080 not found): no more traffic goes to the canary"}},
		{"unresolved mid-release: the canary keeps the weight last verified, never more",
			world{replicas: 4, current: "v2", steps: four, status: releasing(2, verifiedAt(20)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2",
				route: &Route{Kind: "GRPCRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(80, 20)), WeightsOnly: true,
					Unresolved: "parent gw: ResolvedRefs RefNotPermitted: no ReferenceGrant"}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 80, Canary: 20}, step: ptr.To[int32](2),
				message: "GRPCRoute route: a backend doesn't resolve"}},
		{"the canary Service lacks the port the route names: no weight moves, before any gateway says so",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, verifiedAt(0)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2",
				ports: map[string][]int32{"stable": {80}, "canary": {8080}},
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: true, Weights: ptr.To(w(100, 0)), BackendPorts: map[string][]int32{"stable": {80}, "canary": {80}}}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0),
				message: "HTTPRoute route: a backend doesn't resolve (Service ns/canary has no port 80): no more traffic goes to the canary"}},
		{"the Services have the ports the route names: the weight moves",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, verifiedAt(0)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2",
				ports: map[string][]int32{"stable": {80}, "canary": {8080, 80}},
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: true, Weights: ptr.To(w(100, 0)), BackendPorts: map[string][]int32{"stable": {80}, "canary": {80}}}},
			expect{reason: weirv1.ReasonWaitingForTraffic, weights: &weirv1.WeightPair{Stable: 80, Canary: 20}, step: ptr.To[int32](0)}},
		{"weight written before the gateway saw the broken backend: back to the weight last verified",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, verifiedAt(0), wanting(20)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(80, 20)),
					Unresolved: "parent gw: ResolvedRefs BackendNotFound: service canary port 8080 not found"}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0),
				message: "weight 20 held"}},
		{"routes last verified at 0, an older step's 20 in the history: back to 0",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, verifiedAt(20), wanting(10), func(s *weirv1.RolloutStatus) {
				s.Canary.Weights.LastVerified = ptr.To(w(100, 0)) // read back at 0 in the decision that asked for 10
			}), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(90, 10)),
					Unresolved: "parent gw: ResolvedRefs RefNotPermitted: no ReferenceGrant"}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0)}},
		{"unresolved and nothing verified in this release yet: no traffic to the canary",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, Weights: ptr.To(w(80, 20)),
					Unresolved: "parent gw: ResolvedRefs RefNotPermitted: no ReferenceGrant"}},
			expect{reason: weirv1.ReasonBackendNotResolved, weights: &weirv1.WeightPair{Stable: 100}, step: ptr.To[int32](0)}},
		{"old canary still behind the canary Service: weight 0 before the selector moves",
			world{replicas: 4, current: "v3", steps: four, status: releasing(0, func(s *weirv1.RolloutStatus) { s.CurrentPodHash = "v3" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 2), rs("v3", 1)}, canarySv: "v2", weights: w(50, 50)},
			expect{weights: &weirv1.WeightPair{Stable: 100}, selectors: map[string]string{"stable": "v1"},
				scale: map[string]int32{"v1": 4, "v2": 2, "v3": 1}}},
		{"old canary has no traffic any more: the selector moves to the new canary",
			world{replicas: 4, current: "v3", steps: four, status: releasing(0, func(s *weirv1.RolloutStatus) { s.CurrentPodHash = "v3" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 2), rs("v3", 1)}, canarySv: "v2", weights: w(100, 0)},
			expect{weights: &weirv1.WeightPair{Stable: 100}, selectors: map[string]string{"stable": "v1", "canary": "v3"}}},
		{"new revision mid-release restarts the steps",
			world{replicas: 4, current: "v3", steps: four, status: releasing(3), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{step: ptr.To[int32](0), events: []string{weirv1.ReasonNewRevision}, weights: &weirv1.WeightPair{Stable: 100}, scale: map[string]int32{"v1": 4, "v2": 2, "v3": 1}}},
		{"template back to stable mid-release: release dropped, canary down",
			world{replicas: 4, current: "v1", steps: four, status: releasing(3), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{events: []string{weirv1.ReasonNewRevision}, weights: &weirv1.WeightPair{Stable: 100}, scale: map[string]int32{"v1": 4, "v2": 0},
				selectors: map[string]string{"stable": "v1", "canary": "v1"}}},

		// Pauses.
		{"timed pause not over: requeue at its end",
			world{replicas: 4, current: "v2", steps: four, status: releasing(1), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{reason: weirv1.ReasonStepPause, step: ptr.To[int32](1), requeue: 9 * time.Second, weights: &weirv1.WeightPair{Stable: 80, Canary: 20}}},
		{"timed pause over: next setWeight scales the canary first",
			world{replicas: 4, current: "v2", steps: four, now: t0.Add(10 * time.Second), status: releasing(1), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{step: ptr.To[int32](2), scale: map[string]int32{"v1": 4, "v2": 2}, weights: &weirv1.WeightPair{Stable: 75, Canary: 25}, reason: weirv1.ReasonWaitingForPods,
				events: []string{}}}, // a timed pause ending is no news: no StepCompleted Event
		{"weight held to the capacity that is available",
			world{replicas: 4, current: "v2", steps: four, status: releasing(2), rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 2, 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{weights: &weirv1.WeightPair{Stable: 75, Canary: 25}, reason: weirv1.ReasonWaitingForPods, step: ptr.To[int32](2)}},
		{"pause without duration waits for promotion",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{phase: weirv1.PhasePaused, reason: weirv1.ReasonWaitingForPromotion, step: ptr.To[int32](3), message: "kubectl weir promote web"}},

		// Finishing.
		{"all steps done: canary scales to full size before it becomes stable",
			world{replicas: 4, current: "v2", steps: four, status: releasing(4), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{reason: weirv1.ReasonWaitingForPods, stable: "v1", scale: map[string]int32{"v1": 4, "v2": 4}, weights: &weirv1.WeightPair{Stable: 50, Canary: 50}}},
		{"canary at full size: it becomes stable, old stable scales down later",
			world{replicas: 4, current: "v2", steps: four, status: releasing(4), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(0, 100)},
			expect{stable: "v2", scale: map[string]int32{"v1": 4, "v2": 4}, weights: &weirv1.WeightPair{Stable: 100},
				selectors: map[string]string{"stable": "v2", "canary": "v2"}, events: []string{"ReleaseCompleted"},
				requeue: waitingRecheck, recheck: true}}, // waiting for 100/0 to be verified; the 30 s scale-down comes later

		// Operator requests.
		{"promote ends a pause",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, request(weirv1.RequestPromote)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{step: ptr.To[int32](4), events: []string{"Promoted"}, scale: map[string]int32{"v1": 4, "v2": 4}}},
		{"promote-full skips the remaining steps",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, request(weirv1.RequestPromoteFull)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{step: ptr.To[int32](4), events: []string{"Promoted"}, scale: map[string]int32{"v1": 4, "v2": 4}}},
		{"promote a Healthy Rollout is refused",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1", Request: &weirv1.OperatorRequest{Action: weirv1.RequestPromote}},
				rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
			expect{phase: weirv1.PhaseHealthy, events: []string{"RequestRefused"}}},
		{"abort: traffic back to stable first, canary kept",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, request(weirv1.RequestAbort)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonOperatorAbort, weights: &weirv1.WeightPair{Stable: 100},
				scale: map[string]int32{"v1": 4, "v2": 2}, events: []string{"RolloutAborted"}, message: "kubectl weir retry web"}},
		{"aborted, weight 0 verified: delay starts, canary still up",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, aborted(nil)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(100, 0)},
			expect{phase: weirv1.PhaseDegraded, scale: map[string]int32{"v1": 4, "v2": 2}, requeue: 30 * time.Second}},
		{"aborted, delay over: canary scaled down",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, aborted(ptr.To(t0.Add(-31*time.Second)))), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(100, 0)},
			expect{phase: weirv1.PhaseDegraded, scale: map[string]int32{"v1": 4, "v2": 0}, message: "new revision scaled down"}},
		{"aborted but weight 0 not read back: the canary is not scaled down on faith",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, aborted(nil)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{phase: weirv1.PhaseDegraded, scale: map[string]int32{"v1": 4, "v2": 2}, message: "moving all traffic back"}},
		{"retry after abort restarts at step 1",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, aborted(nil), request(weirv1.RequestRetry)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 0)}, canarySv: "v2", weights: w(100, 0)},
			expect{step: ptr.To[int32](0), events: []string{"Retried"}, scale: map[string]int32{"v1": 4, "v2": 1}}},
		{"retry when not aborted is refused",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, request(weirv1.RequestRetry)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			expect{step: ptr.To[int32](3), events: []string{"RequestRefused"}}},
		{"operator pause holds the release",
			world{replicas: 4, current: "v2", steps: four, now: t0.Add(time.Minute), status: releasing(1, request(weirv1.RequestPause)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{phase: weirv1.PhasePaused, paused: weirv1.ReasonOperatorPause, step: ptr.To[int32](1), events: []string{"Paused"}}},
		{"resume lets it go on",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0, operatorPaused, request(weirv1.RequestResume)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{step: ptr.To[int32](1), events: []string{"Resumed", "StepCompleted"}}},

		// Analysis.
		{"analysis step wants its run",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()}, status: releasing(1), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			expect{reason: weirv1.ReasonAnalysisRunning, runs: []string{"web-v2-2-1"}, step: ptr.To[int32](1)}},
		{"analysis successful: next step",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep(), pauseForever()}, status: releasing(1, stepRun("web-v2-2-1")),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisSuccessful}}},
			expect{step: ptr.To[int32](2), phase: weirv1.PhasePaused}},
		{"analysis failed: abort",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()}, status: releasing(1, stepRun("web-v2-2-1")),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisFailed, Message: "error-rate 0.3"}}},
			expect{phase: weirv1.PhaseDegraded, aborted: weirv1.ReasonAnalysisFailed, weights: &weirv1.WeightPair{Stable: 100}, message: "error-rate 0.3"}},
		{"analysis error: pause for a person, never abort a healthy release",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()}, status: releasing(1, stepRun("web-v2-2-1")),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisError, OnError: weirv1.ErrorActionPause}}},
			expect{phase: weirv1.PhasePaused, paused: weirv1.ReasonAnalysisError, weights: &weirv1.WeightPair{Stable: 80, Canary: 20}}},
		{"analysis error with onError Abort: abort",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()}, status: releasing(1, stepRun("web-v2-2-1")),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisError, OnError: weirv1.ErrorActionAbort}}},
			expect{aborted: weirv1.ReasonAnalysisError}},
		{"analysis inconclusive: pause",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()}, status: releasing(1, stepRun("web-v2-2-1")),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisInconclusive}}},
			expect{phase: weirv1.PhasePaused, paused: weirv1.ReasonAnalysisInconclusive}},
		{"resume after an analysis error runs it again under a new name",
			world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), analysisStep()},
				status: releasing(1, stepRun("web-v2-2-1"), func(s *weirv1.RolloutStatus) { s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonAnalysisError} }, request(weirv1.RequestResume)),
				rs:     []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20), runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisError}}},
			expect{runs: []string{"web-v2-2-2"}, reason: weirv1.ReasonAnalysisRunning}},
		{"background analysis runs from its starting step and aborts on failure",
			world{replicas: 4, current: "v2", steps: four, status: releasing(1, func(s *weirv1.RolloutStatus) { s.Canary.BackgroundAnalysisRun = "web-v2-background-1" }),
				rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20),
				runs: map[string]AnalysisRun{"web-v2-background-1": {Phase: weirv1.AnalysisFailed}},
				mutate: func(ro *weirv1.Rollout) {
					ro.Spec.Strategy.Canary.Analysis = &weirv1.BackgroundAnalysis{RolloutAnalysis: *analysisStep().Analysis, StartingStep: ptr.To[int32](1)}
				}},
			expect{aborted: weirv1.ReasonAnalysisFailed, runs: []string{} /* an aborted release needs no run */}},

		// References.
		{"missing canary Service: ReferenceNotFound naming it, replicas held",
			world{replicas: 4, current: "v2", steps: four, status: releasing(0), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20),
				mutate: func(ro *weirv1.Rollout) { ro.Spec.Strategy.Canary.CanaryService = "missing" }},
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonReferenceNotFound, message: "Service ns/missing not found", invalid: true, noTraffic: true,
				scale: map[string]int32{"v1": 4, "v2": 1}}},
		{"missing route: ReferenceNotFound",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"}, rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1",
				route: &Route{Kind: "HTTPRoute", Name: "route"}},
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonReferenceNotFound, message: "HTTPRoute ns/route not found", invalid: true}},
		{"route without both backends: InvalidSpec",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"}, rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1",
				route: &Route{Kind: "HTTPRoute", Name: "route", Found: true, Problem: "no rule has backendRefs to both Service stable and Service canary"}},
			expect{phase: weirv1.PhaseDegraded, reason: weirv1.ReasonInvalidSpec, message: "no rule has backendRefs", invalid: true}},
	}
	checkPlans(t, cases)
}

func check(t *testing.T, p Plan, want expect) {
	t.Helper()
	s := p.Status
	ctx := "phase=" + string(s.Phase) + " message=" + s.Message
	if want.phase != "" && s.Phase != want.phase {
		t.Errorf("phase %s, want %s (%s)", s.Phase, want.phase, ctx)
	}
	if want.reason != "" && reasonOf(s, weirv1.ConditionReady) != want.reason && reasonOf(s, weirv1.ConditionProgressing) != want.reason {
		t.Errorf("reason %s, want %s (%s)", reasonOf(s, weirv1.ConditionReady), want.reason, ctx)
	}
	if want.step != nil && (s.CurrentStepIndex == nil || *s.CurrentStepIndex != *want.step) {
		t.Errorf("step %v, want %d (%s)", ptr.Deref(s.CurrentStepIndex, -1), *want.step, ctx)
	}
	if want.stable != "" && s.StableRS != want.stable {
		t.Errorf("stable %s, want %s", s.StableRS, want.stable)
	}
	for hash, n := range want.scale {
		if got, ok := p.Scale[hash]; !ok || got != n {
			t.Errorf("scale[%s] = %d (set %v), want %d (%s)", hash, got, ok, n, ctx)
		}
	}
	if want.weights != nil {
		if p.Traffic == nil || p.Traffic.Weights != *want.weights {
			t.Errorf("traffic %+v, want weights %+v (%s)", p.Traffic, *want.weights, ctx)
		}
	}
	if want.noTraffic && p.Traffic != nil {
		t.Errorf("traffic %+v, want none", p.Traffic)
	}
	for svc, hash := range want.selectors {
		if p.Selectors[svc] != hash {
			t.Errorf("selector[%s] = %q, want %q", svc, p.Selectors[svc], hash)
		}
	}
	if len(want.selectors) > 0 && len(p.Selectors) != len(want.selectors) {
		t.Errorf("selectors %v, want exactly %v", p.Selectors, want.selectors)
	}
	if want.aborted != "" && (s.Aborted == nil || s.Aborted.Reason != want.aborted) {
		t.Errorf("aborted %+v, want reason %s (%s)", s.Aborted, want.aborted, ctx)
	}
	if want.paused != "" && (s.Paused == nil || s.Paused.Reason != want.paused) {
		t.Errorf("paused %+v, want %s (%s)", s.Paused, want.paused, ctx)
	}
	if want.runs != nil {
		var names []string
		for _, r := range p.AnalysisRuns {
			names = append(names, r.Name)
		}
		if strings.Join(names, ",") != strings.Join(want.runs, ",") {
			t.Errorf("runs %v, want %v", names, want.runs)
		}
	}
	if want.events != nil {
		var reasons []string
		for _, e := range p.Events {
			reasons = append(reasons, e.Reason)
		}
		if strings.Join(reasons, ",") != strings.Join(want.events, ",") {
			t.Errorf("events %v, want %v (%v)", reasons, want.events, p.Events)
		}
	}
	if want.message != "" && !strings.Contains(s.Message, want.message) {
		t.Errorf("message %q does not contain %q", s.Message, want.message)
	}
	if want.requeue != 0 && p.RequeueAfter != want.requeue {
		t.Errorf("requeue %s, want %s", p.RequeueAfter, want.requeue)
	}
	if want.requeue != 0 && p.Punctual == want.recheck {
		t.Errorf("requeue punctual = %v, want %v (a pause or delay ends on time; safety rechecks don't jump the queue)", p.Punctual, !want.recheck)
	}
	if want.invalid != (reasonOf(s, weirv1.ConditionInvalidSpec) != weirv1.ReasonAsExpected) {
		t.Errorf("InvalidSpec condition reason %q, want invalid=%v", reasonOf(s, weirv1.ConditionInvalidSpec), want.invalid)
	}
	if s.ObservedGeneration != 1 {
		t.Errorf("observedGeneration %d", s.ObservedGeneration)
	}
}

func request(a weirv1.RequestAction) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) { s.Request = &weirv1.OperatorRequest{Action: a, By: "alice"} }
}

func aborted(verifiedAt *time.Time) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) {
		s.Aborted = &weirv1.AbortInfo{Reason: weirv1.ReasonOperatorAbort, Message: "aborted by alice", At: metav1.NewTime(t0.Add(-time.Minute))}
		if verifiedAt != nil {
			s.Aborted.WeightVerifiedAt = ptr.To(metav1.NewMicroTime(*verifiedAt))
		}
	}
}

func operatorPaused(s *weirv1.RolloutStatus) {
	s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonOperatorPause, By: "alice"}
}

func stepRun(name string) func(*weirv1.RolloutStatus) {
	return func(s *weirv1.RolloutStatus) { s.Canary.StepAnalysisRun = name }
}
