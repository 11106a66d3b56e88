package controller

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
	"github.com/weir-dev/weir/internal/provider/registry"
)

// AnalysisRunReconciler takes the measurements of AnalysisRuns and judges them. It knows no
// provider: each metric's is found in the registry.
type AnalysisRunReconciler struct {
	Client client.Client
	// APIReader reads what Weir doesn't cache (Secrets).
	APIReader client.Reader
	Now       func() time.Time
	// Allowed are the address prefixes each provider may reach, by provider name.
	Allowed map[string]provider.AllowList
}

// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=analysisruns,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=analysisruns/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Reconcile measures every metric that is due, judges, and writes the status once.
func (r *AnalysisRunReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var run weirv1.AnalysisRun
	if err := r.Client.Get(ctx, req.NamespacedName, &run); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if run.Status.Phase.Completed() {
		return ctrl.Result{}, nil
	}
	now := r.Now()
	if run.Spec.StartAt == nil {
		return ctrl.Result{}, nil // the Rollout sets it once the step's traffic is verified
	}
	if now.Before(run.Spec.StartAt.Time) {
		return ctrl.Result{RequeueAfter: run.Spec.StartAt.Sub(now)}, nil
	}
	status := run.Status.DeepCopy()
	status.ObservedGeneration = run.Generation
	if status.StartedAt == nil {
		status.StartedAt = &metav1.MicroTime{Time: now}
	}
	args := map[string]string{}
	for _, a := range run.Spec.Args {
		if a.Value != nil {
			args[a.Name] = *a.Value
		}
	}
	next := time.Duration(0)
	for _, metric := range run.Spec.Metrics {
		mr := metricResult(status, metric)
		if mr.Phase.Completed() {
			continue
		}
		judge, err := analysis.NewJudge(metric)
		if err != nil {
			mr.Phase, mr.Message = weirv1.AnalysisError, err.Error()
			continue
		}
		due := analysis.NextDue(*mr, metric, status.StartedAt.Time)
		if !run.Spec.Terminate && !now.Before(due) {
			m, pending := r.measure(ctx, &run, judge, mr, args)
			if pending > 0 {
				next = minWait(next, pending)
				continue
			}
			analysis.Record(mr, metric, m)
			observeMeasurement(&run, metric.Name, m)
			now = r.Now()
		}
		rules := analysis.Rules{Terminated: run.Spec.Terminate, RetryErrors: run.Spec.OnError == weirv1.ErrorActionRetry}
		mr.Phase, mr.Message = analysis.MetricPhase(*mr, metric, rules)
		if p := run.Spec.ProgressDeadlineSeconds; p != nil && !mr.Phase.Completed() {
			if phase, msg, stalled := analysis.Stalled(*mr, metric, status.StartedAt.Time, now, time.Duration(*p)*time.Second); stalled {
				mr.Phase, mr.Message = phase, msg
			}
		}
		if !mr.Phase.Completed() {
			due := analysis.NextDue(*mr, metric, status.StartedAt.Time)
			if mr.ConsecutiveError > 0 {
				mr.Message += "; next try at " + due.UTC().Format(time.RFC3339)
			}
			next = minWait(next, max(due.Sub(now), 100*time.Millisecond))
		}
	}
	status.Phase, status.Message = analysis.RunPhase(status.MetricResults)
	if run.Spec.Terminate || status.Phase.Completed() {
		if err := r.stopProviders(ctx, &run); err != nil {
			return ctrl.Result{}, err
		}
	}
	if step := run.Annotations[stepAnnotation]; step != "" && status.Phase.Completed() {
		status.Message += " at " + step
	}
	updated := run.DeepCopy()
	updated.Status = *status
	if err := r.Client.Status().Patch(ctx, updated, client.MergeFrom(&run)); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if status.Phase.Completed() {
		observeRunEnd(&run, status.Phase)
		ctrl.LoggerFrom(ctx).V(1).Info("analysis run ended", "phase", status.Phase, "message", status.Message)
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

// measure takes one measurement of a metric through its provider and judges it; pending > 0
// says the measurement is still under way.
func (r *AnalysisRunReconciler) measure(ctx context.Context, run *weirv1.AnalysisRun, judge *analysis.Judge, mr *weirv1.MetricResult, args map[string]string) (weirv1.Measurement, time.Duration) {
	started := r.Now()
	prov, err := registry.For(judge.Metric.Provider)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now()), 0
	}
	out := prov.Measure(ctx, provider.Request{
		Metric: judge.Metric, Run: run, Args: args, Now: started, Env: r.env(),
		Seq: mr.Count + mr.Error + 1,
	})
	if out.Pending > 0 && out.Err == nil {
		return weirv1.Measurement{}, out.Pending
	}
	if !out.Started.IsZero() {
		started = out.Started
	}
	m := judge.Measure(out.Result, out.Err, started, r.Now())
	if out.Detail != "" {
		m.Message = out.Detail + "; " + m.Message
	}
	return m, 0
}

// stopProviders ends the work providers still have under way for a run that is over.
func (r *AnalysisRunReconciler) stopProviders(ctx context.Context, run *weirv1.AnalysisRun) error {
	stopped := map[string]bool{}
	for _, metric := range run.Spec.Metrics {
		prov, err := registry.For(metric.Provider)
		if err != nil || stopped[prov.Name()] {
			continue
		}
		if s, ok := prov.(provider.Stopper); ok {
			stopped[prov.Name()] = true
			if err := s.Stop(ctx, run, r.env()); err != nil {
				return fmt.Errorf("stopping the %s measurements of run %s: %w", prov.Name(), run.Name, err)
			}
		}
	}
	return nil
}

func (r *AnalysisRunReconciler) env() *provider.Env {
	return &provider.Env{Client: r.Client, Secrets: r.APIReader, Allowed: r.Allowed}
}

func minWait(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

func metricResult(status *weirv1.AnalysisRunStatus, metric weirv1.Metric) *weirv1.MetricResult {
	for i := range status.MetricResults {
		if status.MetricResults[i].Name == metric.Name {
			return &status.MetricResults[i]
		}
	}
	status.MetricResults = append(status.MetricResults, weirv1.MetricResult{Name: metric.Name, Phase: weirv1.AnalysisRunning, DryRun: metric.DryRun})
	return &status.MetricResults[len(status.MetricResults)-1]
}

// SetupWithManager registers the reconciler; queries can be slow, so several runs are
// measured at once.
func (r *AnalysisRunReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	b := ctrl.NewControllerManagedBy(mgr).
		// Its own status writes don't wake it: it requeues itself for the next measurement.
		For(&weirv1.AnalysisRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: 4})
	// A measurement object that finishes (a Job) wakes its run at once.
	for _, obj := range registry.Owned() {
		b = b.Owns(obj)
	}
	return b.Complete(r)
}
