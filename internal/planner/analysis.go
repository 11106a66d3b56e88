package planner

import (
	"fmt"
	"strconv"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// stepAnalysis runs an analysis step: it wants its AnalysisRun and reads its verdict.
func (d *decision) stepAnalysis(a *weirv1.RolloutAnalysis, i int32, steps int, weight int32) bool {
	base, where, detail := d.stepRun(i, steps, weight)
	return d.runAnalysis(a, base, &d.s.Canary.StepAnalysisRun, where, detail)
}

// stepVerdict reads, before any traffic moves, the verdict of step i's run when it ended
// without success: the release aborts or pauses where it is, at the weight the run measured.
func (d *decision) stepVerdict(c *weirv1.CanaryStrategy, i int32, weight int32) {
	if stepAnalysisAt(c.Steps, i) == nil || d.s.Paused != nil {
		return
	}
	base, where, _ := d.stepRun(i, len(c.Steps), weight)
	name := d.s.Canary.StepAnalysisRun
	if run, bad := d.endedBadly(name); bad && strings.HasPrefix(name, base+"-") {
		d.analysisVerdict(fmt.Sprintf("%s: analysis %s", where, name), run)
	}
}

// endedBadly returns the run of that name when it ended without success. A run Weir stopped
// never counts: whatever it shows is no verdict.
func (d *decision) endedBadly(name string) (AnalysisRun, bool) {
	run, ok := d.in.AnalysisRuns[name]
	return run, ok && name != "" && !run.Terminated && run.Phase.Completed() && run.Phase != weirv1.AnalysisSuccessful
}

// stepRun names the runs of canary step i and says where they run.
func (d *decision) stepRun(i int32, steps int, weight int32) (base, where, detail string) {
	where = fmt.Sprintf("step %d/%d", i+1, steps)
	return d.runBase(fmt.Sprint(i + 1)), where, fmt.Sprintf("%s (weight %d)", where, weight)
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
	name, run, ok := d.wantRun(a, base, field, detail, false)
	where = fmt.Sprintf("%s: analysis %s", where, name)
	switch {
	case ok && !run.Phase.Completed() && run.Waiting != "":
		d.phase, d.reason, d.blocked = weirv1.PhaseProgressing, weirv1.ReasonWaitingForProvider, true
		d.message = fmt.Sprintf("%s (%s) can't measure, it goes on by itself once it can: %s", where, detail, run.Waiting)
		return false
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

// keepMeasuring is an analysis while the release is paused: its run goes on measuring (the
// canary still takes its share of traffic), a Failed run aborts (a pause never shields users
// from a failing canary), and no other verdict is read until the release resumes.
func (d *decision) keepMeasuring(a *weirv1.RolloutAnalysis, base string, field *string, where, detail string) {
	name, run, ok := d.wantRun(a, base, field, detail, false)
	if ok && run.Phase == weirv1.AnalysisFailed {
		d.analysisVerdict(fmt.Sprintf("%s: analysis %s", where, name), run)
	}
}

// wantRun asks for the current attempt of an analysis and returns it as observed. A run
// that Weir stopped is never a verdict, whatever phase it reached: the next attempt is
// asked for instead.
func (d *decision) wantRun(a *weirv1.RolloutAnalysis, base string, field *string, detail string, background bool) (string, AnalysisRun, bool) {
	name := *field
	if !strings.HasPrefix(name, base+"-") {
		name = nextRunName(base, name)
	}
	run, ok := d.in.AnalysisRuns[name]
	if ok && run.Terminated {
		name = nextAttempt(name)
		run, ok = d.in.AnalysisRuns[name]
	}
	*field = name
	for _, p := range d.plan.AnalysisRuns {
		if p.Name == name {
			return name, run, ok
		}
	}
	d.plan.AnalysisRuns = append(d.plan.AnalysisRuns, AnalysisRunPlan{Name: name, Analysis: *a, Background: background, Where: detail})
	return name, run, ok
}

// backgroundAnalysis keeps the background run going from its starting step to the end. Its
// clock starts, as a step analysis's does, once the starting step's traffic is verified:
// stepReady says whether step i's weight is in force. Its verdict is read before any
// traffic moves (backgroundVerdict).
func (d *decision) backgroundAnalysis(c *weirv1.CanaryStrategy, i int32, stepReady bool) {
	bg := c.Analysis
	if bg == nil || (bg.StartingStep != nil && i < *bg.StartingStep) {
		return
	}
	base := d.runBase("background")
	if !strings.HasPrefix(d.s.Canary.BackgroundAnalysisRun, base+"-") && !stepReady {
		return // not started yet, and the starting step's weight isn't verified
	}
	d.wantRun(&bg.RolloutAnalysis, base, &d.s.Canary.BackgroundAnalysisRun, fmt.Sprintf("background analysis from step %d", i+1), true)
}

// backgroundVerdict reads the verdict of the background run under way, if it has one: a
// Failed run aborts, an Error or Inconclusive one pauses (while paused, only Failed counts:
// the rest is read on resume).
func (d *decision) backgroundVerdict(c *weirv1.CanaryStrategy) {
	name := d.s.Canary.BackgroundAnalysisRun
	if c.Analysis == nil || !strings.HasPrefix(name, d.runBase("background")+"-") {
		return
	}
	if run, bad := d.endedBadly(name); bad && (d.s.Paused == nil || run.Phase == weirv1.AnalysisFailed) {
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
