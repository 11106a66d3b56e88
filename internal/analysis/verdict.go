package analysis

import (
	"fmt"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Defaults of the verdict rules.
const (
	DefaultConsecutiveErrorLimit = 5
	// MaxMeasurements kept per metric in status: enough to read a trend, bounded size.
	MaxMeasurements = 10
)

// Judge is a metric with its conditions compiled.
type Judge struct {
	Metric  weirv1.Metric
	Success *Condition
	Failure *Condition
}

// NewJudge compiles a metric's conditions. A metric without conditions takes its provider's
// (MetricProvider.DefaultConditions): a judge metric passes on Pass, fails on Fail and is
// Inconclusive on Marginal; a job metric passes when the Job succeeds.
func NewJudge(m weirv1.Metric) (*Judge, error) {
	if m.SuccessCondition == "" && m.FailureCondition == "" {
		m.SuccessCondition, m.FailureCondition = m.Provider.DefaultConditions()
	}
	s, err := CompileCondition(m.SuccessCondition)
	if err != nil {
		return nil, fmt.Errorf("successCondition %w", err)
	}
	f, err := CompileCondition(m.FailureCondition)
	if err != nil {
		return nil, fmt.Errorf("failureCondition %w", err)
	}
	return &Judge{Metric: m, Success: s, Failure: f}, nil
}

// Measure judges one query outcome. A Pending measurement (no data, onNoData Wait) is
// recorded but not counted.
func (j *Judge) Measure(res Result, queryErr error, started, finished time.Time) weirv1.Measurement {
	m := weirv1.Measurement{StartedAt: metav1Time(started), FinishedAt: ptrTime(finished), Value: res.String(), NoData: res.NoData}
	switch {
	case queryErr != nil:
		m.Phase, m.Message = weirv1.AnalysisError, queryErr.Error()
	case res.NoData:
		m.Phase, m.Message = j.noData()
	default:
		m.Phase, m.Message = j.judge(res.Values)
	}
	return m
}

func (j *Judge) noData() (weirv1.AnalysisPhase, string) {
	switch j.Metric.OnNoData {
	case weirv1.NoDataFailure:
		return weirv1.AnalysisFailed, "no data (onNoData: Failure)"
	case weirv1.NoDataSuccess:
		return weirv1.AnalysisSuccessful, "no data (onNoData: Success)"
	case weirv1.NoDataWait:
		return weirv1.AnalysisPending, "no data yet (onNoData: Wait): measuring again"
	default:
		return weirv1.AnalysisInconclusive, "no data (onNoData: Inconclusive)"
	}
}

func (j *Judge) judge(values []float64) (weirv1.AnalysisPhase, string) {
	if j.Failure != nil {
		failed, err := j.Failure.Eval(values)
		if err != nil {
			return weirv1.AnalysisError, "failureCondition " + err.Error()
		}
		if failed {
			return weirv1.AnalysisFailed, fmt.Sprintf("failureCondition %s holds", j.Failure.Expr)
		}
	}
	if j.Success == nil {
		return weirv1.AnalysisSuccessful, fmt.Sprintf("failureCondition %s does not hold", j.Failure.Expr)
	}
	ok, err := j.Success.Eval(values)
	switch {
	case err != nil:
		return weirv1.AnalysisError, "successCondition " + err.Error()
	case ok:
		return weirv1.AnalysisSuccessful, fmt.Sprintf("successCondition %s holds", j.Success.Expr)
	case j.Failure != nil:
		return weirv1.AnalysisInconclusive, fmt.Sprintf("neither %s nor %s holds", j.Success.Expr, j.Failure.Expr)
	default:
		return weirv1.AnalysisFailed, fmt.Sprintf("successCondition %s does not hold", j.Success.Expr)
	}
}

// Record adds a measurement to a metric's tally and returns the metric's new phase.
func Record(mr *weirv1.MetricResult, metric weirv1.Metric, m weirv1.Measurement) {
	mr.Measurements = append(mr.Measurements, m)
	if len(mr.Measurements) > MaxMeasurements {
		mr.Measurements = mr.Measurements[len(mr.Measurements)-MaxMeasurements:]
	}
	if m.Phase == weirv1.AnalysisPending {
		return // no data, onNoData Wait: not counted
	}
	mr.Count++
	switch m.Phase {
	case weirv1.AnalysisSuccessful:
		mr.Successful++
		mr.ConsecutiveError, mr.ConsecutiveFailure = 0, 0
	case weirv1.AnalysisFailed:
		mr.Failed++
		mr.ConsecutiveFailure++
		mr.ConsecutiveError = 0
	case weirv1.AnalysisInconclusive:
		mr.Inconclusive++
		mr.ConsecutiveError, mr.ConsecutiveFailure = 0, 0
	case weirv1.AnalysisError:
		mr.Error++
		mr.ConsecutiveError++
		mr.Count-- // errors are retried, they don't use up the metric's count
	}
}

// Rules are what decides a metric besides its own fields: the run's settings.
type Rules struct {
	// Terminated: the run was stopped (the release no longer needs it). A metric that
	// hasn't met its count then ends Inconclusive, never Successful.
	Terminated bool
	// RetryErrors (onError: Retry) keeps a metric whose provider doesn't answer retrying
	// with backoff: errors in a row don't end it; Stalled bounds it.
	RetryErrors bool
}

// MetricPhase decides a metric from its tally under its run's rules.
func MetricPhase(mr weirv1.MetricResult, metric weirv1.Metric, rules Rules) (weirv1.AnalysisPhase, string) {
	terminated := rules.Terminated
	failureLimit := deref(metric.FailureLimit, 0)
	inconclusiveLimit := deref(metric.InconclusiveLimit, 0)
	errorLimit := deref(metric.ConsecutiveErrorLimit, DefaultConsecutiveErrorLimit)
	last := ""
	if n := len(mr.Measurements); n > 0 {
		l := mr.Measurements[n-1]
		last = l.Message
		if l.Value != "" {
			last = fmt.Sprintf("%s: %s", l.Value, l.Message)
		}
	}
	switch {
	case mr.Failed > failureLimit:
		return weirv1.AnalysisFailed, fmt.Sprintf("%d of %d measurements failed (failureLimit %d); last %s", mr.Failed, mr.Count, failureLimit, last)
	case metric.ConsecutiveFailureLimit != nil && mr.ConsecutiveFailure >= *metric.ConsecutiveFailureLimit:
		return weirv1.AnalysisFailed, fmt.Sprintf("%d failed measurements in a row (consecutiveFailureLimit %d); last %s", mr.ConsecutiveFailure, *metric.ConsecutiveFailureLimit, last)
	case mr.ConsecutiveError >= errorLimit && !rules.RetryErrors:
		return weirv1.AnalysisError, fmt.Sprintf("%d queries in a row got no answer (consecutiveErrorLimit %d); last: %s", mr.ConsecutiveError, errorLimit, last)
	case mr.Inconclusive > inconclusiveLimit:
		return weirv1.AnalysisInconclusive, fmt.Sprintf("%d inconclusive measurements (inconclusiveLimit %d); last %s", mr.Inconclusive, inconclusiveLimit, last)
	case metric.Count != nil && mr.Count >= *metric.Count:
		return weirv1.AnalysisSuccessful, fmt.Sprintf("%d measurements, %d failed; last %s", mr.Count, mr.Failed, last)
	case metric.Count == nil && metric.Interval == "" && mr.Count >= 1:
		return weirv1.AnalysisSuccessful, "measured once; " + last
	case terminated && metric.Count == nil && metric.Interval != "" && mr.Count >= 1:
		// "Measure until the step ends" (no count) is what such a metric asked for.
		return weirv1.AnalysisSuccessful, fmt.Sprintf("measured until the run was stopped: %d measurements, %d failed", mr.Count, mr.Failed)
	case terminated:
		// Stopped before it had what it asked for: that is not a pass. Inconclusive is the
		// honest verdict, and Weir never reads a stopped run as a step's verdict anyway.
		want := "1"
		if metric.Count != nil {
			want = fmt.Sprint(*metric.Count)
		}
		return weirv1.AnalysisInconclusive, fmt.Sprintf("stopped after %d of %s measurements: no verdict", mr.Count, want)
	}
	if mr.ConsecutiveError > 0 {
		return weirv1.AnalysisRunning, fmt.Sprintf("waiting for %s: %d queries in a row got no answer; last: %s", metric.Provider.Describe(), mr.ConsecutiveError, last)
	}
	return weirv1.AnalysisRunning, fmt.Sprintf("%d measurements so far; last %s", mr.Count, last)
}

// Stalled bounds a metric that goes on without a verdict: once it has taken no counted
// measurement (Successful, Failed or Inconclusive; waiting for data and provider errors
// don't count) for limit plus its interval, it ends: Error when its provider wasn't
// answering, Inconclusive otherwise (waiting for data that never came). since is when it
// began (the run's start, plus initialDelay).
func Stalled(mr weirv1.MetricResult, metric weirv1.Metric, since, now time.Time, limit time.Duration) (weirv1.AnalysisPhase, string, bool) {
	since = since.Add(metric.InitialDelay.OrDefault(0))
	for i := len(mr.Measurements) - 1; i >= 0; i-- {
		if p := mr.Measurements[i].Phase; p != weirv1.AnalysisPending && p != weirv1.AnalysisError {
			since = maxTime(since, mr.Measurements[i].StartedAt.Time)
			break
		}
	}
	if limit <= 0 || now.Sub(since) <= limit+metric.Interval.OrDefault(0) {
		return "", "", false
	}
	waited := now.Sub(since).Round(time.Second)
	if mr.ConsecutiveError > 0 {
		return weirv1.AnalysisError, fmt.Sprintf("the provider has not answered for %s (progress deadline %s): %s", waited, limit, lastMessage(mr)), true
	}
	return weirv1.AnalysisInconclusive, fmt.Sprintf("no counted measurement for %s (progress deadline %s): %s", waited, limit, lastMessage(mr)), true
}

func lastMessage(mr weirv1.MetricResult) string {
	if n := len(mr.Measurements); n > 0 {
		return mr.Measurements[n-1].Message
	}
	return "nothing measured"
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RunPhase is the worst phase of the metrics that decide (dry-run metrics don't): Failed,
// then Error, then Inconclusive end the run at once; otherwise it runs until every metric
// is Successful.
func RunPhase(results []weirv1.MetricResult) (weirv1.AnalysisPhase, string) {
	rank := map[weirv1.AnalysisPhase]int{weirv1.AnalysisFailed: 5, weirv1.AnalysisError: 4, weirv1.AnalysisInconclusive: 3,
		weirv1.AnalysisRunning: 2, weirv1.AnalysisPending: 1, weirv1.AnalysisSuccessful: 0}
	phase, msg := weirv1.AnalysisSuccessful, "all metrics successful"
	for _, mr := range results {
		if mr.DryRun {
			continue
		}
		p := mr.Phase
		if p == "" {
			p = weirv1.AnalysisPending
		}
		if rank[p] > rank[phase] {
			phase, msg = p, fmt.Sprintf("%s: %s", mr.Name, mr.Message)
		}
	}
	if phase == weirv1.AnalysisPending {
		phase = weirv1.AnalysisRunning
	}
	return phase, msg
}

// NextDue is when a metric should be measured next.
func NextDue(mr weirv1.MetricResult, metric weirv1.Metric, started time.Time) time.Time {
	n := len(mr.Measurements)
	if n == 0 {
		return started.Add(metric.InitialDelay.OrDefault(0))
	}
	last := mr.Measurements[n-1].StartedAt.Time
	interval := metric.Interval.OrDefault(0)
	if mr.ConsecutiveError > 0 {
		return last.Add(ErrorBackoff(mr.ConsecutiveError, interval))
	}
	if mr.Measurements[n-1].Phase == weirv1.AnalysisPending && interval == 0 {
		return last.Add(time.Second) // waiting for data with no interval: look again shortly
	}
	return last.Add(interval)
}

// ErrorBackoff doubles from 1 s after each failed query, up to the metric's interval (or 30 s).
func ErrorBackoff(consecutive int32, interval time.Duration) time.Duration {
	limit := 30 * time.Second
	if interval > 0 && interval < limit {
		limit = interval
	}
	d := time.Second << min(consecutive-1, 10)
	return min(d, limit)
}

func deref(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
