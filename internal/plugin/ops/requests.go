// Package ops carries out what the plugin's verbs ask of a Rollout: operator requests
// written into status.request, undo, set image and restart. Each operation checks first
// whether it makes sense, with the same rules as the controller, and says what happens next.
package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/state"
)

// Refused is a request the controller would refuse; the plugin refuses it first, so the
// person sees why at once instead of in a Warning Event later.
type Refused struct{ Reason string }

func (r *Refused) Error() string { return r.Reason }

func refuse(format string, args ...any) error { return &Refused{Reason: fmt.Sprintf(format, args...)} }

// conflictBackoff retries status patches that lost a race with the controller, which
// writes the same status on every reconcile.
var conflictBackoff = wait.Backoff{Steps: 12, Duration: 50 * time.Millisecond, Factor: 1.5, Jitter: 0.2}

// Request writes an operator request into status.request with an optimistic lock: the
// Rollout is read, checked and patched again after every conflict, so a check never
// approves a state that has since changed. It returns what the controller will do.
func Request(ctx context.Context, c client.Client, ns, name string, action weirv1.RequestAction, by string, now time.Time) (string, error) {
	return RequestWithReason(ctx, c, ns, name, action, by, "", now)
}

// RequestWithReason is Request with the reason the request records (an override of the
// release policies needs one).
func RequestWithReason(ctx context.Context, c client.Client, ns, name string, action weirv1.RequestAction, by, reason string, now time.Time) (string, error) {
	var next string
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		ro, err := kube.GetRollout(ctx, c, ns, name)
		if err != nil {
			return err
		}
		if err := Check(ro, action); err != nil {
			return err
		}
		next = Next(ro, action)
		orig := ro.DeepCopy()
		ro.Status.Request = &weirv1.OperatorRequest{Action: action, By: by, Reason: reason, At: metav1.NewTime(now)}
		return c.Status().Patch(ctx, ro, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	})
	if apierrors.IsConflict(err) {
		return "", fmt.Errorf("rollout %s kept changing while the %s request was written; try again: %w", name, action, err)
	}
	return next, err
}

// Check returns a *Refused error when the controller would refuse the request now (the
// rule is planner.RequestRefusal, the controller's own; this says it in a person's words,
// with what to do instead), or when no controller would act on it at all.
func Check(ro *weirv1.Rollout, action weirv1.RequestAction) error {
	st := state.Of(ro)
	s := ro.Status
	switch {
	case s.StableRS == "":
		return refuse("rollout %s has not been reconciled by the Weir controller yet (is weir-controller running?)", ro.Name)
	case s.Request != nil:
		return refuse("the %s request by %s from %s is still pending: the controller has not acted on it yet (is weir-controller running?)",
			s.Request.Action, orSomeone(s.Request.By), s.Request.At.UTC().Format(time.RFC3339))
	case st.Invalid != "":
		return refuse("the controller can't act on rollout %s until its spec or references are fixed: %s", ro.Name, st.Invalid)
	}
	verbs := map[weirv1.RequestAction]string{weirv1.RequestPromote: "promote", weirv1.RequestPromoteFull: "promote",
		weirv1.RequestAbort: "abort", weirv1.RequestPause: "pause", weirv1.RequestOverridePolicy: "let through"}
	switch planner.RequestRefusal(&s, st.CurrentHash, action) {
	case planner.RefuseNone:
		return nil
	case planner.RefuseNoRelease:
		return refuse("rollout %s has no release in progress (revision %s is %s and serves all traffic): nothing to %s",
			ro.Name, st.StableHash, stableWord(st), verbs[action])
	case planner.RefuseAborted:
		return refuse("the release of revision %s is aborted (%s); retry it first with 'kubectl weir retry %s'", st.CurrentHash, s.Aborted.Reason, ro.Name)
	case planner.RefuseAlreadyAborted:
		return refuse("the release of revision %s is already aborted (%s)", st.CurrentHash, s.Aborted.Reason)
	case planner.RefuseNotAborted:
		return refuse("the release of rollout %s is not aborted: nothing to retry", ro.Name)
	case planner.RefuseAlreadyPaused:
		return refuse("the release of revision %s is already paused (%s)", st.CurrentHash, s.Paused.Reason)
	case planner.RefuseNotPaused:
		if st.Releasing && s.Aborted == nil && s.Phase == weirv1.PhasePaused {
			// A pause step without a duration, or a blue-green preview without
			// auto-promotion: a gate that only promote opens.
			return refuse("rollout %s waits for promotion at %s: resume doesn't end that wait, promote does ('kubectl weir promote %s')",
				ro.Name, st.Describe(st.StepIndex), ro.Name)
		}
		return refuse("the release of rollout %s is not paused: nothing to resume", ro.Name)
	case planner.RefuseNoPolicy:
		return refuse("no ReleasePolicy selects rollout %s: nothing to override", ro.Name)
	case planner.RefuseAlreadyOverridden:
		o := s.Policy.Override
		return refuse("revision %s is already let through the policies (by %s: %s)", st.CurrentHash, orSomeone(o.By), o.Reason)
	}
	return refuse("unknown request %q", action)
}

// Next says what the controller will do with an accepted request.
func Next(ro *weirv1.Rollout, action weirv1.RequestAction) string {
	st := state.Of(ro)
	s := ro.Status
	i := st.StepIndex
	if !st.Reconciled {
		i = 0 // the controller restarts the steps for a template it has not seen yet
	}
	switch action {
	case weirv1.RequestPromote, weirv1.RequestPromoteFull:
		if st.BlueGreen {
			return unpause(s.Paused) + blueGreenPromotion(st, i, action == weirv1.RequestPromoteFull)
		}
		return unpause(s.Paused) + canaryPromotion(st, i, action == weirv1.RequestPromoteFull)
	case weirv1.RequestAbort:
		return fmt.Sprintf("all traffic goes back to %s revision %s; %s %s scales down %ds after that is verified. Retry later with 'kubectl weir retry %s'",
			stableWord(st), st.StableHash, newWord(st), st.CurrentHash, ro.Spec.Strategy.AbortScaleDownDelaySeconds(), ro.Name)
	case weirv1.RequestRetry:
		return fmt.Sprintf("the release of revision %s starts again from %s", st.CurrentHash, st.Describe(0))
	case weirv1.RequestPause:
		if st.BlueGreen {
			return fmt.Sprintf("the release of revision %s holds at %s until 'kubectl weir resume %s'", st.CurrentHash, st.Describe(i), ro.Name)
		}
		return fmt.Sprintf("the release of revision %s holds at %s with canary weight %d until 'kubectl weir resume %s'",
			st.CurrentHash, st.Describe(i), st.Weight(i), ro.Name)
	case weirv1.RequestResume:
		if s.Paused.Reason != weirv1.ReasonOperatorPause && waitingAnalysis(s) {
			return fmt.Sprintf("the pause (%s) is cleared and the analysis of %s runs again in a new AnalysisRun", s.Paused.Reason, st.Describe(i))
		}
		return fmt.Sprintf("the pause (%s) is cleared and the release goes on from %s", s.Paused.Reason, st.Describe(i))
	case weirv1.RequestOverridePolicy:
		return fmt.Sprintf("revision %s goes through policies %s (a Warning Event records who and why); its release goes on from %s; the next revision is held by them again",
			st.CurrentHash, strings.Join(s.Policy.Policies, ", "), st.Describe(i))
	}
	return ""
}

func canaryPromotion(st state.State, i int, full bool) string {
	switch {
	case full:
		return fmt.Sprintf("%s → every remaining step skipped: revision %s takes all traffic and becomes stable",
			st.Describe(min(i, st.Steps-1)), st.CurrentHash)
	case i >= st.Steps:
		return fmt.Sprintf("every step is done: revision %s becomes stable once its pods are available", st.CurrentHash)
	case i+1 >= st.Steps:
		return fmt.Sprintf("%s → done: revision %s takes all traffic and becomes stable", st.Describe(i), st.CurrentHash)
	}
	return fmt.Sprintf("%s → %s", st.Describe(i), st.Describe(i+1))
}

func blueGreenPromotion(st state.State, i int, full bool) string {
	b := st.Rollout.Spec.Strategy.BlueGreen
	after := fmt.Sprintf("revision %s stays up %ds, then scales down", st.StableHash, st.Rollout.Spec.Strategy.ScaleDownDelaySeconds())
	switch {
	case full:
		return fmt.Sprintf("%s → done: traffic switches to revision %s once all its pods are available, skipping any pre- or post-promotion analysis; %s",
			st.Describe(i), st.CurrentHash, after)
	case i <= state.StagePreview && b.PostPromotionAnalysis != nil:
		return fmt.Sprintf("the preview stage → the switched stage: traffic switches to revision %s once all its pods are available, then the post-promotion analysis runs", st.CurrentHash)
	case i <= state.StagePreview:
		return fmt.Sprintf("the preview stage → done: traffic switches to revision %s once all its pods are available; %s", st.CurrentHash, after)
	}
	return fmt.Sprintf("%s → done: revision %s becomes active without waiting for the post-promotion analysis; %s", st.Describe(i), st.CurrentHash, after)
}

// waitingAnalysis reports whether the release waits on an analysis run that resume re-runs.
func waitingAnalysis(s weirv1.RolloutStatus) bool {
	if c := s.Canary; c != nil && c.StepAnalysisRun != "" {
		return true
	}
	b := s.BlueGreen
	return b != nil && (b.PrePromotionAnalysisRun != "" || b.PostPromotionAnalysisRun != "")
}

// stableWord and newWord name the two revisions as the strategy does.
func stableWord(st state.State) string {
	if st.BlueGreen {
		return "active"
	}
	return "stable"
}

func newWord(st state.State) string {
	if st.BlueGreen {
		return "preview"
	}
	return "canary"
}

func unpause(p *weirv1.PauseInfo) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("the pause (%s) is cleared; ", p.Reason)
}

func orSomeone(by string) string {
	if by == "" {
		return "an operator"
	}
	return by
}
