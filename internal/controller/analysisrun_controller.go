package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// AnalysisRunReconciler takes the measurements of AnalysisRuns and judges them.
type AnalysisRunReconciler struct {
	Client client.Client
	Now    func() time.Time
	// AllowedAddresses, when not empty, are the Prometheus address prefixes analysis may use.
	AllowedAddresses []string
	// Query runs one query (replaceable in tests of the reconciler's timing only).
	Query func(ctx context.Context, p *weirv1.PrometheusProvider, query string, creds analysis.Credentials, now time.Time) (analysis.Result, error)
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
			m := r.measure(ctx, &run, judge, args)
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
			wait := max(due.Sub(now), 100*time.Millisecond)
			if next == 0 || wait < next {
				next = wait
			}
		}
	}
	status.Phase, status.Message = analysis.RunPhase(status.MetricResults)
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

// measure runs one query and judges it.
func (r *AnalysisRunReconciler) measure(ctx context.Context, run *weirv1.AnalysisRun, judge *analysis.Judge, args map[string]string) weirv1.Measurement {
	started := r.Now()
	if j := judge.Metric.Provider.Judge; j != nil {
		return r.measureJudge(ctx, run.Namespace, judge, j, args, started)
	}
	p := judge.Metric.Provider.Prometheus
	if err := r.allowed(p.Address); err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	query, err := analysis.RenderQuery(p.Query, args)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	creds, err := r.credentials(ctx, run.Namespace, p.Auth)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	res, err := r.Query(ctx, p, query, creds, started)
	return judge.Measure(res, err, started, r.Now())
}

// measureJudge compares the canary's and the baseline's samples.
func (r *AnalysisRunReconciler) measureJudge(ctx context.Context, namespace string, judge *analysis.Judge, j *weirv1.JudgeProvider, args map[string]string, started time.Time) weirv1.Measurement {
	if err := r.allowed(j.Prometheus.Address); err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	canary, err := analysis.RenderQuery(j.CanaryQuery, args)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	baseline, err := analysis.RenderQuery(j.BaselineQuery, args)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	creds, err := r.credentials(ctx, namespace, j.Prometheus.Auth)
	if err != nil {
		return judge.Measure(analysis.Result{}, err, started, r.Now())
	}
	res, detail, err := analysis.QueryJudge(ctx, j, canary, baseline, creds, started)
	m := judge.Measure(res, err, started, r.Now())
	if detail != "" {
		m.Message = detail + "; " + m.Message
	}
	return m
}

func (r *AnalysisRunReconciler) credentials(ctx context.Context, ns string, auth *weirv1.PrometheusAuth) (analysis.Credentials, error) {
	if auth == nil {
		return analysis.Credentials{}, nil
	}
	var secret corev1.Secret
	switch {
	case auth.BearerTokenSecret != nil:
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: auth.BearerTokenSecret.Name}, &secret); err != nil {
			return analysis.Credentials{}, fmt.Errorf("bearer token Secret %s: %w", auth.BearerTokenSecret.Name, err)
		}
		return analysis.Credentials{BearerToken: string(secret.Data[auth.BearerTokenSecret.Key])}, nil
	case auth.BasicAuthSecret != nil:
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: auth.BasicAuthSecret.Name}, &secret); err != nil {
			return analysis.Credentials{}, fmt.Errorf("basic auth Secret %s: %w", auth.BasicAuthSecret.Name, err)
		}
		return analysis.Credentials{Username: string(secret.Data["username"]), Password: string(secret.Data["password"])}, nil
	}
	return analysis.Credentials{}, nil
}

// allowed refuses a Prometheus address outside the installation's allow-list, so templates
// written by tenants can't make the controller query arbitrary hosts.
func (r *AnalysisRunReconciler) allowed(address string) error {
	if len(r.AllowedAddresses) == 0 {
		return nil
	}
	for _, prefix := range r.AllowedAddresses {
		if strings.HasPrefix(address, prefix) {
			return nil
		}
	}
	return fmt.Errorf("prometheus address %s is not allowed by this installation (--allowed-prometheus-addresses %s)",
		address, strings.Join(r.AllowedAddresses, ","))
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
	if r.Query == nil {
		r.Query = analysis.QueryPrometheus
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Its own status writes don't wake it: it requeues itself for the next measurement.
		For(&weirv1.AnalysisRun{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).
		Complete(r)
}
