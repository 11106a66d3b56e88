// Package state reads what a Rollout's status means for a person: is a release in progress,
// which step (canary) or stage (blue-green) it is at, and whether it is healthy, waiting for
// someone, or stuck. The plugin's views, its exit codes and its request checks all take the
// answer from here, so they agree with each other and with the controller's planner.
package state

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/revision"
)

// Blue-green stages as step indexes (weirv1.StagePreview…).
const (
	StagePreview  = int(weirv1.StagePreview)
	StageSwitched = int(weirv1.StageSwitched)
	blueGreenDone = int(weirv1.StagesDone)
)

// State is what a Rollout's spec and status say, in the planner's terms.
type State struct {
	Rollout *weirv1.Rollout
	// CurrentHash is the pod-template hash of spec.template, computed as the controller does.
	CurrentHash string
	// StableHash is status.stableRS: the stable (canary) or active (blue-green) revision.
	StableHash string
	// Reconciled is true when the controller has seen the current spec (generation and
	// template hash) at least once.
	Reconciled bool
	// Releasing is true while a revision other than the stable one is being released.
	Releasing bool
	// BlueGreen is true for the blue-green strategy.
	BlueGreen bool
	// Steps is the number of canary steps (2 stages for blue-green); StepIndex the 0-based
	// current step (Steps when every step is done).
	Steps, StepIndex int
	// HasStep is false when status records no step yet.
	HasStep bool
	// Invalid is the InvalidSpec condition's message when the controller can't act.
	Invalid string
}

// Of assesses a Rollout.
func Of(ro *weirv1.Rollout) State {
	s := State{
		Rollout:     ro,
		CurrentHash: revision.Hash(&ro.Spec.Template, ro.Status.CollisionCount),
		StableHash:  ro.Status.StableRS,
		BlueGreen:   ro.Spec.Strategy.BlueGreen != nil && ro.Spec.Strategy.Canary == nil,
	}
	s.Reconciled = ro.Status.ObservedGeneration == ro.Generation && ro.Status.CurrentPodHash == s.CurrentHash
	s.Releasing = s.StableHash != "" && s.CurrentHash != s.StableHash
	s.Steps = stepCount(ro)
	if ro.Status.CurrentStepIndex != nil {
		s.HasStep = true
		s.StepIndex = min(max(int(*ro.Status.CurrentStepIndex), 0), s.Steps)
	}
	if c := meta.FindStatusCondition(ro.Status.Conditions, weirv1.ConditionInvalidSpec); c != nil && c.Status == metav1.ConditionTrue {
		s.Invalid = c.Message
	}
	return s
}

func stepCount(ro *weirv1.Rollout) int {
	if c := ro.Spec.Strategy.Canary; c != nil {
		return len(c.Steps)
	}
	return blueGreenDone
}

// Verdict is the one-word outcome scripts act on.
type Verdict int

// Verdicts, in the order status reports them.
const (
	// Progressing: a release (or scaling) is moving; wait.
	Progressing Verdict = iota
	// Healthy: no release in progress, the stable revision serves all traffic.
	Healthy
	// Paused: the release waits for a person (promote, resume).
	Paused
	// Degraded: aborted, invalid, or the progress deadline passed.
	Degraded
)

func (v Verdict) String() string {
	return [...]string{"Progressing", "Healthy", "Paused", "Degraded"}[v]
}

// Verdict is Healthy only when the controller has observed the current spec; a phase from
// an older generation says nothing about the new template. While an operator request is
// pending the phase is about to change, so the verdict waits too: 'kubectl weir promote
// --full web && kubectl weir status --watch web' must not report the pause just ended.
func (s State) Verdict() Verdict {
	st := s.Rollout.Status
	switch {
	case st.Request != nil:
	case st.Aborted != nil || st.Phase == weirv1.PhaseDegraded:
		if s.Reconciled || st.Aborted != nil {
			return Degraded
		}
	case !s.Reconciled:
	case st.Phase == weirv1.PhasePaused:
		return Paused
	case st.Phase == weirv1.PhaseHealthy && !s.Releasing:
		return Healthy
	}
	return Progressing
}

// StepLabel is "3/5" for the 1-based current step, "5/5" when every step is done, "-"
// without steps or before the first release; for blue-green the stage's name.
func (s State) StepLabel() string { return StepLabel(s.Rollout) }

// StepLabel is State.StepLabel without computing the template hash: list calls it for
// every Rollout of the cluster.
func StepLabel(ro *weirv1.Rollout) string {
	i := ro.Status.CurrentStepIndex
	if i == nil {
		return "-"
	}
	if ro.Spec.Strategy.Canary == nil {
		return [...]string{"preview", "switched", "done"}[min(max(int(*i), 0), blueGreenDone)]
	}
	n := len(ro.Spec.Strategy.Canary.Steps)
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", min(max(int(*i), 0)+1, n), n)
}

// Step returns the current canary step, nil when all are done, there are none, or the
// strategy is blue-green.
func (s State) Step() *weirv1.CanaryStep {
	c := s.Rollout.Spec.Strategy.Canary
	if c == nil || s.StepIndex >= len(c.Steps) {
		return nil
	}
	return &c.Steps[s.StepIndex]
}

// Describe names step (or stage) i the way the plugin's messages do:
// "step 3/5 (pause until promoted)", "the preview stage".
func (s State) Describe(i int) string {
	if s.BlueGreen {
		switch {
		case i <= StagePreview:
			return "the preview stage"
		case i == StageSwitched:
			return "the switched stage"
		}
		return "the end of the release"
	}
	if s.Steps == 0 {
		return "the final step"
	}
	i = min(max(i, 0), s.Steps-1)
	return fmt.Sprintf("step %d/%d (%s)", i+1, s.Steps, s.Rollout.Spec.Strategy.Canary.Steps[i].Describe())
}

// Weight is the canary weight the planner wants at step i.
func (s State) Weight(i int) int32 {
	c := s.Rollout.Spec.Strategy.Canary
	if c == nil {
		return 0
	}
	return planner.WeightAt(c.Steps, int32(i))
}

// TimedPause is a wait with a known end: a canary pause step with a duration, or a
// blue-green preview's auto-promotion delay.
type TimedPause struct {
	Duration time.Duration
	Started  time.Time
}

// Pause returns the timed wait in progress, if the release is at one.
func (s State) Pause() *TimedPause {
	st := s.Rollout.Status
	if !s.Releasing || st.Aborted != nil || st.Paused != nil {
		return nil
	}
	if b := s.Rollout.Spec.Strategy.BlueGreen; s.BlueGreen && b != nil {
		if s.StepIndex != StagePreview || st.BlueGreen == nil || st.BlueGreen.PreviewAvailableAt == nil ||
			!ptr.Deref(b.AutoPromotionEnabled, true) || b.AutoPromotionSeconds == 0 {
			return nil
		}
		return &TimedPause{Duration: time.Duration(b.AutoPromotionSeconds) * time.Second, Started: st.BlueGreen.PreviewAvailableAt.Time}
	}
	step := s.Step()
	if step == nil || step.Pause == nil || step.Pause.Duration == nil || st.StepStartedAt == nil {
		return nil
	}
	d, err := step.Pause.Duration.Duration().Parse()
	if err != nil {
		return nil
	}
	return &TimedPause{Duration: d, Started: st.StepStartedAt.Time}
}

// CanaryWeights returns the desired and verified weights of the new revision's Service
// (canary, or blue-green preview) on the routes; verified is nil until read back from
// every route, both are nil without traffic routing state.
func CanaryWeights(ro *weirv1.Rollout) (desired *int32, verified *int32) {
	var w *weirv1.Weights
	switch {
	case ro.Status.Canary != nil:
		w = ro.Status.Canary.Weights
	case ro.Status.BlueGreen != nil:
		w = ro.Status.BlueGreen.Weights
	}
	if w == nil {
		return nil, nil
	}
	desired = ptr.To(w.Desired.Canary)
	if v := w.Verified; v != nil {
		verified = ptr.To(v.Canary)
	}
	return desired, verified
}
