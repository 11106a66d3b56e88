package planner

import (
	"fmt"
	"strconv"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// stepAnalysis runs an analysis step: it wants its AnalysisRun and reads its verdict.
func (d *decision) stepAnalysis(a *weirv1.RolloutAnalysis, i int32, steps int, weight int32) bool {
	base := fmt.Sprintf("%s-%s-%d", d.r.Name, d.in.CurrentHash, i+1)
	name := d.s.Canary.StepAnalysisRun
	if !strings.HasPrefix(name, base+"-") {
		name = nextRunName(base, name)
		d.s.Canary.StepAnalysisRun = name
	}
	d.plan.AnalysisRuns = append(d.plan.AnalysisRuns, AnalysisRunPlan{Name: name, Analysis: *a,
		Where: fmt.Sprintf("step %d/%d (weight %d)", i+1, steps, weight)})
	run, ok := d.in.AnalysisRuns[name]
	where := fmt.Sprintf("step %d/%d: analysis %s", i+1, steps, name)
	switch {
	case !ok || !run.Phase.Completed():
		d.phase, d.reason = weirv1.PhaseProgressing, weirv1.ReasonAnalysisRunning
		d.message = fmt.Sprintf("%s running at weight %d", where, weight)
		return false
	case run.Phase == weirv1.AnalysisSuccessful:
		d.s.Canary.StepAnalysisRun = ""
		return true
	default:
		d.analysisVerdict(where, run)
		return false
	}
}

// backgroundAnalysis keeps the background run going from its starting step to the end.
func (d *decision) backgroundAnalysis(c *weirv1.CanaryStrategy, i int32) {
	bg := c.Analysis
	if bg == nil || (bg.StartingStep != nil && i < *bg.StartingStep) || d.s.Paused != nil {
		return
	}
	base := fmt.Sprintf("%s-%s-background", d.r.Name, d.in.CurrentHash)
	name := d.s.Canary.BackgroundAnalysisRun
	if !strings.HasPrefix(name, base+"-") {
		name = nextRunName(base, name)
		d.s.Canary.BackgroundAnalysisRun = name
	}
	d.plan.AnalysisRuns = append(d.plan.AnalysisRuns, AnalysisRunPlan{Name: name, Analysis: bg.RolloutAnalysis, Background: true,
		Where: fmt.Sprintf("background analysis from step %d", i+1)})
	if run, ok := d.in.AnalysisRuns[name]; ok && run.Phase.Completed() && run.Phase != weirv1.AnalysisSuccessful {
		d.analysisVerdict("background analysis "+name, run)
	}
}

// analysisVerdict turns a finished, unsuccessful run into an abort or a pause: Failed aborts;
// Error pauses for an operator (a Prometheus outage must not abort a healthy release) unless
// the template says onError: Abort; Inconclusive pauses.
func (d *decision) analysisVerdict(where string, run AnalysisRun) {
	msg := fmt.Sprintf("%s ended %s: %s", where, run.Phase, run.Message)
	switch {
	case run.Phase == weirv1.AnalysisFailed:
		d.abort(weirv1.ReasonAnalysisFailed, msg)
	case run.Phase == weirv1.AnalysisError && run.OnError == weirv1.ErrorActionAbort:
		d.abort(weirv1.ReasonAnalysisError, msg)
	default:
		reason := weirv1.ReasonAnalysisInconclusive
		if run.Phase == weirv1.AnalysisError {
			reason = weirv1.ReasonAnalysisError
		}
		d.s.Paused = &weirv1.PauseInfo{Reason: reason, At: *d.now(),
			Message: msg + fmt.Sprintf("; 'kubectl weir resume %s' runs it again, 'kubectl weir promote %s' skips it", d.r.Name, d.r.Name)}
		d.phase, d.reason, d.message = weirv1.PhasePaused, reason, d.s.Paused.Message
		d.plan.warning(reason, msg)
	}
}

// nextRunName numbers attempts: base-1, base-2, … after each resume.
func nextRunName(base, previous string) string {
	n := 1
	if rest, ok := strings.CutPrefix(previous, base+"-"); ok {
		if k, err := strconv.Atoi(rest); err == nil {
			n = k + 1
		}
	}
	return fmt.Sprintf("%s-%d", base, n)
}

// nextAttempt turns base-N into base-(N+1).
func nextAttempt(name string) string {
	i := strings.LastIndex(name, "-")
	if i < 0 {
		return name + "-2"
	}
	return nextRunName(name[:i], name)
}
