package planner

import (
	"fmt"
	"strings"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// handleRequest acts on an operator's request written into status, then clears it. A
// request that makes no sense in the current state is refused with a Warning Event.
func (d *decision) handleRequest(steps int) {
	req := d.s.Request
	if req == nil {
		return
	}
	d.s.Request = nil
	who := req.By
	if who == "" {
		who = "an operator"
	}
	if why := RequestRefusal(&d.s, d.in.CurrentHash, req.Action); why != RefuseNone {
		d.plan.warning("RequestRefused", fmt.Sprintf("%s by %s refused: %s", req.Action, who, why))
		return
	}
	i := ptr.Deref(d.s.CurrentStepIndex, 0)

	switch req.Action {
	case weirv1.RequestPromote, weirv1.RequestPromoteFull:
		if why := d.skipsAnalysis(req.Action, i, steps); why != "" {
			d.s.Unproven = fmt.Sprintf("%s by %s skipped %s", req.Action, who, why)
		}
		if req.Action == weirv1.RequestPromoteFull {
			i = int32(steps)
		} else if i < int32(steps) {
			i++
		}
		if d.s.Paused != nil && d.s.Paused.Reason != weirv1.ReasonOperatorPause {
			d.retryAnalysis() // the verdict that paused is skipped, not read again at once
		}
		d.s.Paused = nil
		d.s.CurrentStepIndex = ptr.To(i)
		d.s.StepStartedAt = d.nowMicro()
		d.s.ProgressedAt = d.now()
		d.plan.event("Promoted", fmt.Sprintf("%s by %s: now at step %d/%d", req.Action, who, i, steps))
	case weirv1.RequestAbort:
		d.abort(weirv1.ReasonOperatorAbort, fmt.Sprintf("aborted by %s", who))
	case weirv1.RequestRetry:
		d.s.Aborted = nil
		d.s.Retries++
		d.s.Unproven = "" // every analysis runs again
		d.s.CurrentStepIndex = ptr.To[int32](0)
		d.s.StepStartedAt = d.nowMicro()
		d.s.ProgressedAt = d.now()
		if d.s.Canary != nil {
			d.s.Canary.StepAnalysisRun, d.s.Canary.BackgroundAnalysisRun, d.s.Canary.PostPromotionAnalysisRun = "", "", ""
		}
		if bg := d.s.BlueGreen; bg != nil {
			bg.PreviewAvailableAt, bg.SwitchedAt, bg.PrePromotionAnalysisRun, bg.PostPromotionAnalysisRun = nil, nil, "", ""
		}
		d.plan.event("Retried", fmt.Sprintf("release of %s retried by %s from step 1", d.in.CurrentHash, who))
	case weirv1.RequestPause:
		d.s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonOperatorPause, By: who, At: *d.now(),
			Message: fmt.Sprintf("paused by %s; resume with 'kubectl weir resume %s'", who, d.r.Name)}
		d.plan.event("Paused", fmt.Sprintf("release paused by %s", who))
	case weirv1.RequestOverridePolicy:
		d.s.Policy.Override = &weirv1.PolicyOverride{Revision: d.in.CurrentHash, By: who, Reason: req.Reason, At: *d.now()}
		// A Warning: rules a platform team set were set aside, and that should stand out.
		d.plan.warning(weirv1.ReasonPolicyOverridden, fmt.Sprintf("revision %s let through policies %s by %s: %s",
			d.in.CurrentHash, strings.Join(d.s.Policy.Policies, ", "), who, req.Reason))
	case weirv1.RequestResume:
		if d.s.Paused.Reason != weirv1.ReasonOperatorPause {
			d.retryAnalysis() // run the analysis that paused the release again
		}
		d.s.Paused = nil
		d.s.StepStartedAt = d.nowMicro()
		d.s.ProgressedAt = d.now()
		d.plan.event("Resumed", fmt.Sprintf("release resumed by %s", who))
	}
}

// retryAnalysis names a new attempt for every analysis of the release whose run ended
// without success: the one that paused it, step, background, pre- or post-promotion alike.
// A run still going, or one that passed, is left alone.
func (d *decision) retryAnalysis() {
	var fields []*string
	if c := d.s.Canary; c != nil {
		fields = append(fields, &c.StepAnalysisRun, &c.BackgroundAnalysisRun, &c.PostPromotionAnalysisRun)
	}
	if b := d.s.BlueGreen; b != nil {
		fields = append(fields, &b.PrePromotionAnalysisRun, &b.PostPromotionAnalysisRun)
	}
	for _, field := range fields {
		if _, bad := d.endedBadly(*field); bad {
			*field = nextAttempt(*field)
		}
	}
}

// skipsAnalysis says which analysis a promotion at stage or step i skips, "" when none: a
// promotion past a pause gate skips nothing, one during an analysis (or over the steps left,
// with --full) does.
func (d *decision) skipsAnalysis(action weirv1.RequestAction, i int32, stages int) string {
	if d.s.Paused != nil && d.s.Paused.Reason != weirv1.ReasonOperatorPause {
		return "the analysis that paused the release"
	}
	if b := d.r.Spec.Strategy.BlueGreen; b != nil {
		switch {
		case action == weirv1.RequestPromoteFull && (b.PrePromotionAnalysis != nil && i == stagePreview || b.PostPromotionAnalysis != nil):
			return "the promotion analyses"
		case action == weirv1.RequestPromote && i == stageSwitched && b.PostPromotionAnalysis != nil:
			return "the post-promotion analysis"
		case action == weirv1.RequestPromote && i == stagePreview && b.PrePromotionAnalysis != nil && !d.passed(d.s.BlueGreen.PrePromotionAnalysisRun):
			return "the pre-promotion analysis"
		}
		return ""
	}
	c := d.r.Spec.Strategy.Canary
	last := i + 1
	if action == weirv1.RequestPromoteFull {
		last = int32(stages)
		if c.PostPromotionAnalysis != nil {
			return "the bake and any analysis left"
		}
	}
	for j := i; j < last && int(j) < len(c.Steps); j++ {
		if c.Steps[j].Analysis != nil && !(j == i && d.passed(d.s.Canary.StepAnalysisRun)) {
			return fmt.Sprintf("the analysis of step %d/%d", j+1, len(c.Steps))
		}
	}
	if c.Analysis != nil && action == weirv1.RequestPromoteFull {
		return "the background analysis"
	}
	if int(i) >= len(c.Steps) && c.PostPromotionAnalysis != nil {
		return "the bake"
	}
	return ""
}

// passed says whether the named run ended Successful.
func (d *decision) passed(name string) bool {
	run, ok := d.in.AnalysisRuns[name]
	return ok && name != "" && run.Phase == weirv1.AnalysisSuccessful
}
