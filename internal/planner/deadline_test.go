package planner

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func TestProgressDeadline(t *testing.T) {
	notAccepted := &Route{Kind: "HTTPRoute", Name: "route", Found: true, Accepted: false, AcceptanceMessage: "no gateway has reported on the route yet"}
	idleSince := func(ago time.Duration) weirv1.RolloutStatus {
		return weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1", Canary: &weirv1.CanaryStatus{},
			ProgressedAt: ptr.To(metav1.NewTime(t0.Add(-ago))), AvailableReplicas: 2, ReadyReplicas: 2, Replicas: 2, UpdatedReplicas: 2}
	}
	withDeadline := func(ro *weirv1.Rollout) {
		ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
		ro.Spec.ProgressDeadlineAbort = true
	}
	cases := []struct {
		name        string
		world       world
		wantPhase   weirv1.RolloutPhase
		wantReason  string
		wantAborted bool
		wantRequeue time.Duration
	}{
		{"route not accepted, within the deadline", world{replicas: 2, current: "v1", status: idleSince(2 * time.Second),
			rs: []ReplicaSet{rs("v1", 2)}, canarySv: "v1", route: notAccepted, mutate: withDeadline},
			weirv1.PhaseProgressing, weirv1.ReasonWaitingForTraffic, false, 3 * time.Second},
		{"route not accepted past the deadline: reported, nothing to abort", world{replicas: 2, current: "v1", status: idleSince(6 * time.Second),
			rs: []ReplicaSet{rs("v1", 2)}, canarySv: "v1", route: notAccepted, mutate: withDeadline},
			weirv1.PhaseDegraded, weirv1.ReasonProgressDeadlineExceeded, false, 0},
		{"canary weight never verified past the deadline: aborts", world{replicas: 2, current: "v2",
			status: releasing(0, func(s *weirv1.RolloutStatus) {
				s.ProgressedAt = ptr.To(metav1.NewTime(t0.Add(-6 * time.Second)))
				s.AvailableReplicas, s.UpdatedReplicas = 3, 1
			}),
			rs: []ReplicaSet{rs("v1", 2), rs("v2", 1)}, canarySv: "v2", route: notAccepted, steps: []weirv1.CanaryStep{setWeight(50)}, mutate: withDeadline},
			weirv1.PhaseDegraded, weirv1.ReasonProgressDeadlineExceeded, true, time.Second},
		{"a pause is not a waiting state", world{replicas: 2, current: "v2", weights: w(50, 50),
			status: releasing(1, func(s *weirv1.RolloutStatus) {
				s.ProgressedAt = ptr.To(metav1.NewTime(t0.Add(-time.Hour)))
				s.AvailableReplicas, s.UpdatedReplicas = 3, 1
			}),
			rs: []ReplicaSet{rs("v1", 2), rs("v2", 1)}, canarySv: "v2", steps: []weirv1.CanaryStep{setWeight(50), pauseForever()}, mutate: withDeadline},
			weirv1.PhasePaused, weirv1.ReasonWaitingForPromotion, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(tc.world.input())
			if p.Status.Phase != tc.wantPhase || p.Status.Conditions == nil {
				t.Fatalf("phase %s (%s), want %s", p.Status.Phase, p.Status.Message, tc.wantPhase)
			}
			if got := reasonOf(p.Status, weirv1.ConditionReady); got != tc.wantReason && reasonOf(p.Status, weirv1.ConditionProgressing) != tc.wantReason {
				t.Errorf("reason %s / %s, want %s", got, reasonOf(p.Status, weirv1.ConditionProgressing), tc.wantReason)
			}
			if (p.Status.Aborted != nil) != tc.wantAborted {
				t.Errorf("aborted = %v, want %v", p.Status.Aborted, tc.wantAborted)
			}
			if tc.wantRequeue != 0 && p.RequeueAfter != tc.wantRequeue {
				t.Errorf("requeue after %s, want %s", p.RequeueAfter, tc.wantRequeue)
			}
			// Only the abort's follow-up is punctual; waiting within the deadline is a recheck.
			if tc.wantRequeue != 0 && p.Punctual != tc.wantAborted {
				t.Errorf("punctual = %v, want %v", p.Punctual, tc.wantAborted)
			}
		})
	}
}

func reasonOf(s weirv1.RolloutStatus, condition string) string {
	for _, c := range s.Conditions {
		if c.Type == condition {
			return c.Reason
		}
	}
	return ""
}
