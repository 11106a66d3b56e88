package ops

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
)

// rollout is a canary of five steps whose status the cases shape.
func rollout(image string, mutate func(s *weirv1.RolloutStatus)) *weirv1.Rollout {
	ro := &weirv1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 1}}
	ro.Spec.Template = corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}}}
	ro.Spec.Strategy.Canary = &weirv1.CanaryStrategy{StableService: "s", CanaryService: "c", Steps: []weirv1.CanaryStep{
		{SetWeight: ptr.To[int32](20)}, {Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.PauseDuration("1m"))}},
		{Pause: &weirv1.RolloutPause{}}, {SetWeight: ptr.To[int32](50)}, {Pause: &weirv1.RolloutPause{}},
	}}
	current := revision.Hash(&ro.Spec.Template, nil)
	ro.Status = weirv1.RolloutStatus{ObservedGeneration: 1, StableRS: "stable1", CurrentPodHash: current, CurrentStepIndex: ptr.To[int32](2)}
	if mutate != nil {
		mutate(&ro.Status)
	}
	return ro
}

func healthy(s *weirv1.RolloutStatus) { s.StableRS = s.CurrentPodHash }
func heldByPolicy(s *weirv1.RolloutStatus) {
	s.Policy = &weirv1.PolicyStatus{Policies: []string{"no-fridays"}}
}
func aborted(s *weirv1.RolloutStatus) {
	s.Aborted = &weirv1.AbortInfo{Reason: weirv1.ReasonAnalysisFailed}
}
func operatorPaused(s *weirv1.RolloutStatus) {
	s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonOperatorPause}
}
func analysisPaused(s *weirv1.RolloutStatus) {
	s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonAnalysisInconclusive}
	s.Canary = &weirv1.CanaryStatus{StepAnalysisRun: "web-x-3-1"}
}

// TestCheckAndNext mirrors internal/planner/requests.go: what the controller refuses is
// refused, and what it accepts is described as it will happen.
func TestCheckAndNext(t *testing.T) {
	tests := []struct {
		name   string
		status func(*weirv1.RolloutStatus)
		action weirv1.RequestAction
		refuse string // substring of the refusal; "" when accepted
		next   string // substring of what happens next
	}{
		{"promote at a pause", nil, weirv1.RequestPromote, "", "step 3/5 (pause until promoted) → step 4/5 (setWeight 50)"},
		{"promote at the last step", func(s *weirv1.RolloutStatus) { s.CurrentStepIndex = ptr.To[int32](4) }, weirv1.RequestPromote, "", "step 5/5 (pause until promoted) → done"},
		{"promote clears an analysis pause", analysisPaused, weirv1.RequestPromote, "", "the pause (AnalysisInconclusive) is cleared; step 3/5"},
		{"promote full", nil, weirv1.RequestPromoteFull, "", "step 3/5 (pause until promoted) → every remaining step skipped"},
		{"promote healthy", healthy, weirv1.RequestPromote, "no release in progress", ""},
		{"promote aborted", aborted, weirv1.RequestPromoteFull, "retry it first", ""},
		{"abort", nil, weirv1.RequestAbort, "", "all traffic goes back to stable revision stable1"},
		{"abort healthy", healthy, weirv1.RequestAbort, "nothing to abort", ""},
		{"override a held release", heldByPolicy, weirv1.RequestOverridePolicy, "",
			"goes through policies no-fridays (a Warning Event records who and why); its release goes on from step 3/5"},
		{"override without a policy", nil, weirv1.RequestOverridePolicy, "no ReleasePolicy selects rollout web: nothing to override", ""},
		{"override healthy", func(s *weirv1.RolloutStatus) { heldByPolicy(s); healthy(s) }, weirv1.RequestOverridePolicy, "nothing to let through", ""},
		{"override twice", func(s *weirv1.RolloutStatus) {
			heldByPolicy(s)
			s.Policy.Override = &weirv1.PolicyOverride{Revision: s.CurrentPodHash, By: "alice", Reason: "INC-42"}
		}, weirv1.RequestOverridePolicy, "already let through the policies (by alice: INC-42)", ""},
		{"abort twice", aborted, weirv1.RequestAbort, "already aborted", ""},
		{"retry", aborted, weirv1.RequestRetry, "", "starts again from step 1/5 (setWeight 20)"},
		{"retry not aborted", nil, weirv1.RequestRetry, "not aborted", ""},
		{"pause", nil, weirv1.RequestPause, "", "holds at step 3/5 (pause until promoted) with canary weight 20"},
		{"pause twice", operatorPaused, weirv1.RequestPause, "already paused (OperatorPause)", ""},
		{"pause healthy", healthy, weirv1.RequestPause, "nothing to pause", ""},
		{"resume operator pause", operatorPaused, weirv1.RequestResume, "", "goes on from step 3/5"},
		{"resume analysis pause", analysisPaused, weirv1.RequestResume, "", "the analysis of step 3/5 (pause until promoted) runs again"},
		{"resume at a pause step", func(s *weirv1.RolloutStatus) { s.Phase = weirv1.PhasePaused }, weirv1.RequestResume,
			"waits for promotion at step 3/5 (pause until promoted): resume doesn't end that wait", ""},
		{"resume not paused", func(s *weirv1.RolloutStatus) { s.CurrentStepIndex = ptr.To[int32](0) }, weirv1.RequestResume, "not paused", ""},
		{"pending request", func(s *weirv1.RolloutStatus) {
			s.Request = &weirv1.OperatorRequest{Action: weirv1.RequestAbort, By: "bob"}
		}, weirv1.RequestPromote, "the Abort request by bob", ""},
		{"not reconciled", func(s *weirv1.RolloutStatus) { s.StableRS = "" }, weirv1.RequestAbort, "not been reconciled", ""},
		{"invalid spec", func(s *weirv1.RolloutStatus) {
			s.Conditions = []metav1.Condition{{Type: weirv1.ConditionInvalidSpec, Status: metav1.ConditionTrue, Message: "Service x not found"}}
		}, weirv1.RequestPromote, "until its spec or references are fixed: Service x not found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := rollout("web:2", tt.status)
			if tt.refuse == "" {
				accepted(t, ro, tt.action, tt.next)
				return
			}
			if err := Check(ro, tt.action); err == nil || !strings.Contains(err.Error(), tt.refuse) {
				t.Fatalf("Check = %v, want a refusal containing %q", err, tt.refuse)
			}
		})
	}
}

// accepted checks that Check lets action through and that Next says what happens: want.
func accepted(t *testing.T, ro *weirv1.Rollout, action weirv1.RequestAction, want string) {
	t.Helper()
	if err := Check(ro, action); err != nil {
		t.Fatalf("Check refused: %v", err)
	}
	if next := Next(ro, action); !strings.Contains(next, want) {
		t.Errorf("Next = %q, want it to contain %q", next, want)
	}
}

// TestNextForANewTemplate: before the controller saw a new template, promote acts on its
// first step (the controller restarts the steps for it).
func TestNextForANewTemplate(t *testing.T) {
	ro := rollout("web:3", func(s *weirv1.RolloutStatus) { s.CurrentPodHash = "old" })
	if next := Next(ro, weirv1.RequestPromote); !strings.Contains(next, "step 1/5 (setWeight 20) → step 2/5 (pause 1m)") {
		t.Errorf("Next = %q", next)
	}
}

// blueGreen is a blue-green Rollout at stage (0 preview, 1 switched).
func blueGreen(stage int32, post bool, mutate func(s *weirv1.RolloutStatus)) *weirv1.Rollout {
	ro := rollout("web:2", mutate)
	ro.Spec.Strategy.Canary = nil
	ro.Spec.Strategy.BlueGreen = &weirv1.BlueGreenStrategy{ActiveService: "a", PreviewService: "p",
		AutoPromotionEnabled: ptr.To(false), ScaleDownDelaySeconds: ptr.To[int32](60)}
	if post {
		ro.Spec.Strategy.BlueGreen.PostPromotionAnalysis = &weirv1.RolloutAnalysis{}
	}
	ro.Status.CurrentStepIndex = ptr.To(stage)
	return ro
}

// TestBlueGreenRequests: promote moves a blue-green release one stage on, and says how.
func TestBlueGreenRequests(t *testing.T) {
	tests := []struct {
		name   string
		ro     *weirv1.Rollout
		action weirv1.RequestAction
		want   string
	}{
		{"promote the preview", blueGreen(0, false, nil), weirv1.RequestPromote,
			"the preview stage → done: traffic switches to revision"},
		{"promote the preview before a post-promotion analysis", blueGreen(0, true, nil), weirv1.RequestPromote,
			"the preview stage → the switched stage: traffic switches to revision"},
		{"promote during the post-promotion analysis", blueGreen(1, true, nil), weirv1.RequestPromote,
			"the switched stage → done: revision"},
		{"promote full", blueGreen(0, true, nil), weirv1.RequestPromoteFull, "skipping any pre- or post-promotion analysis; revision stable1 stays up 60s"},
		{"abort", blueGreen(0, false, nil), weirv1.RequestAbort, "all traffic goes back to active revision stable1; preview"},
		{"retry", blueGreen(1, false, aborted), weirv1.RequestRetry, "starts again from the preview stage"},
		{"pause", blueGreen(0, false, nil), weirv1.RequestPause, "holds at the preview stage until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { accepted(t, tt.ro, tt.action, tt.want) })
	}
	gate := blueGreen(0, false, func(s *weirv1.RolloutStatus) { s.Phase = weirv1.PhasePaused })
	if err := Check(gate, weirv1.RequestResume); err == nil || !strings.Contains(err.Error(), "waits for promotion at the preview stage") {
		t.Errorf("resume at the promotion gate: %v", err)
	}
	idle := blueGreen(2, false, healthy)
	if err := Check(idle, weirv1.RequestAbort); err == nil || !strings.Contains(err.Error(), "is active and serves all traffic") {
		t.Errorf("abort with no release: %v", err)
	}
}
