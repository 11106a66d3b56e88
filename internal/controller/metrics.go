package controller

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Weir's own metrics, served with controller-runtime's on the manager's metrics endpoint
// (--metrics-bind-address). docs/observability.md lists them with example alerts.
var (
	rolloutPhase = gauge("weir_rollout_phase",
		"1 for the Rollout's current phase (Progressing, Paused, Healthy, Degraded), 0 for the others.",
		"namespace", "rollout", "phase")
	rolloutReason = gauge("weir_rollout_reason",
		"1 for the reason of the Rollout's Ready condition (Healthy, WaitingForPods, ProgressDeadlineExceeded, ReleaseWindowClosed, …): one series per Rollout, what it is doing or waiting for.",
		"namespace", "rollout", "reason")
	rolloutStep = gauge("weir_rollout_step",
		"The step index a canary release is at (the number of steps once done), or a blue-green release's stage (0 preview, 1 switched, 2 done).",
		"namespace", "rollout")
	rolloutWeight = gauge("weir_rollout_canary_weight",
		"Percent of traffic for the canary (preview) Service: kind=desired is what Weir asks of the routes, kind=verified what every route reads back (-1 while they disagree or haven't accepted it).",
		"namespace", "rollout", "kind")
	rolloutAborts = counter("weir_rollout_aborts_total",
		"Releases aborted, by reason (AnalysisFailed, AnalysisError, OperatorAbort, ProgressDeadlineExceeded).",
		"namespace", "rollout", "reason")
	decisionSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "weir_decision_duration_seconds",
		Help:    "Time the planner takes to decide one reconcile (the pure decision, without reading or writing).",
		Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1 µs … 0.26 s
	})
	analysisMeasurements = counter("weir_analysis_measurements_total",
		"Analysis measurements taken, by verdict (Successful, Failed, Inconclusive, Error, Pending for no data yet).",
		"namespace", "rollout", "metric", "phase")
	analysisValue = gauge("weir_analysis_measurement_value",
		"The latest value a metric measured, when it was one number (the run it belongs to in the run label).",
		"namespace", "rollout", "run", "metric")
	analysisRuns = counter("weir_analysis_runs_total",
		"AnalysisRuns that ended, by verdict (Successful, Failed, Inconclusive, Error).",
		"namespace", "rollout", "phase")
)

func gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// collectors are Weir's own metrics, registered with controller-runtime's registry.
var collectors = []prometheus.Collector{rolloutPhase, rolloutReason, rolloutStep, rolloutWeight, rolloutAborts, decisionSeconds,
	analysisMeasurements, analysisValue, analysisRuns}

func init() { metrics.Registry.MustRegister(collectors...) }

var phases = []weirv1.RolloutPhase{weirv1.PhaseProgressing, weirv1.PhasePaused, weirv1.PhaseHealthy, weirv1.PhaseDegraded}

// observeRollout exports a Rollout's written status; before is the status it replaced (an
// abort is counted once, when it is first written).
func observeRollout(ro *weirv1.Rollout, before, now weirv1.RolloutStatus) {
	ns, name := ro.Namespace, ro.Name
	for _, p := range phases {
		v := 0.0
		if now.Phase == p {
			v = 1
		}
		rolloutPhase.WithLabelValues(ns, name, string(p)).Set(v)
	}
	if reason, was := readyReason(now), readyReason(before); reason != was {
		rolloutReason.DeletePartialMatch(prometheus.Labels{"namespace": ns, "rollout": name})
	}
	if reason := readyReason(now); reason != "" {
		rolloutReason.WithLabelValues(ns, name, reason).Set(1)
	}
	if now.CurrentStepIndex != nil {
		rolloutStep.WithLabelValues(ns, name).Set(float64(*now.CurrentStepIndex))
	}
	var w *weirv1.Weights
	if now.Canary != nil {
		w = now.Canary.Weights
	} else if now.BlueGreen != nil {
		w = now.BlueGreen.Weights
	}
	if w != nil {
		rolloutWeight.WithLabelValues(ns, name, "desired").Set(float64(w.Desired.Canary))
		verified := -1.0
		if w.Verified != nil && *w.Verified == w.Desired {
			verified = float64(w.Verified.Canary)
		}
		rolloutWeight.WithLabelValues(ns, name, "verified").Set(verified)
	}
	if now.Aborted != nil && (before.Aborted == nil || !before.Aborted.At.Equal(&now.Aborted.At)) {
		rolloutAborts.WithLabelValues(ns, name, now.Aborted.Reason).Inc()
	}
}

// forgetRollout drops the series of a Rollout that is gone (counters too: a Rollout of the
// same name later starts from zero, which rate() reads as a reset).
func forgetRollout(ns, name string) {
	labels := prometheus.Labels{"namespace": ns, "rollout": name}
	for _, v := range []*prometheus.MetricVec{rolloutPhase.MetricVec, rolloutReason.MetricVec, rolloutStep.MetricVec, rolloutWeight.MetricVec,
		rolloutAborts.MetricVec, analysisMeasurements.MetricVec, analysisValue.MetricVec, analysisRuns.MetricVec} {
		v.DeletePartialMatch(labels)
	}
}

// readyReason is the reason of a status's Ready condition.
func readyReason(s weirv1.RolloutStatus) string {
	for _, c := range s.Conditions {
		if c.Type == weirv1.ConditionReady {
			return c.Reason
		}
	}
	return ""
}

// observeMeasurement exports one measurement of a run's metric.
func observeMeasurement(run *weirv1.AnalysisRun, metric string, m weirv1.Measurement) {
	rollout := run.Labels[rolloutLabel]
	analysisMeasurements.WithLabelValues(run.Namespace, rollout, metric, string(m.Phase)).Inc()
	if v, err := strconv.ParseFloat(m.Value, 64); err == nil {
		analysisValue.WithLabelValues(run.Namespace, rollout, run.Name, metric).Set(v)
	}
}

// observeRunEnd counts a run's verdict and drops its value series (the run is done).
func observeRunEnd(run *weirv1.AnalysisRun, phase weirv1.AnalysisPhase) {
	rollout := run.Labels[rolloutLabel]
	analysisRuns.WithLabelValues(run.Namespace, rollout, string(phase)).Inc()
	analysisValue.DeletePartialMatch(prometheus.Labels{"namespace": run.Namespace, "run": run.Name})
}

// timeDecision measures one planner decision.
func timeDecision(start time.Time) { decisionSeconds.Observe(time.Since(start).Seconds()) }
