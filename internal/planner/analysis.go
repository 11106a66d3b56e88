package planner

import (
	"fmt"
	"strconv"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// stepAnalysis runs an analysis step: it wants its AnalysisRun and reads its verdict.
func (d *decision) stepAnalysis(a *weirv1.RolloutAnalysis, i int32, steps int, weight int32) bool {
	base := d.runBase(fmt.Sprint(i + 1))
	where := fmt.Sprintf("step %d/%d", i+1, steps)
	return d.runAnalysis(a, base, &d.s.Canary.StepAnalysisRun, where, fmt.Sprintf("%s (weight %d)", where, weight))
}

// runBase names the runs of this release: <rollout>-<hash>[-r<retries>]-<what>.
func (d *decision) runBase(what string) string {
	if d.s.Retries > 0 {
		return fmt.Sprintf("%s-%s-r%d-%s", d.r.Name, d.in.CurrentHash, d.s.Retries, what)
	}
	return fmt.Sprintf("%s-%s-%s", d.r.Name, d.in.CurrentHash, what)
}

// runAnalysis wants the run of an analysis (named base-N, N counting attempts, recorded in
// *field) and reports whether it succeeded; a failed, errored or inconclusive run aborts or
// pauses the release.
func (d *decision) runAnalysis(a *weirv1.RolloutAnalysis, base string, field *string, where, detail string) bool {
	name := *field
	if !strings.HasPrefix(name, base+"-") {
		name = nextRunName(base, name)
		*field = name
	}
	d.plan.AnalysisRuns = append(d.plan.AnalysisRuns, AnalysisRunPlan{Name: name, Analysis: *a, Where: detail})
	run, ok := d.in.AnalysisRuns[name]
	where = fmt.Sprintf("%s: analysis %s", where, name)
	switch {
	case !ok || !run.Phase.Completed():
		d.phase, d.reason = weirv1.PhaseProgressing, weirv1.ReasonAnalysisRunning
		d.message = fmt.Sprintf("%s running (%s)", where, detail)
		return false
	case run.Phase == weirv1.AnalysisSuccessful:
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
	base := d.runBase("background")
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
