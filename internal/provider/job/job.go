// Package job is the Job metric provider: each measurement runs a Kubernetes Job (a smoke
// test, a load test) and its outcome is the verdict: Succeeded is result 1, Failed is 0.
package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
)

// Name is the provider's key.
const Name = "job"

// poll is how soon a running Job is looked at again; its completion also wakes the run
// through the watch on the Jobs it owns.
const poll = 5 * time.Second

// Provider is the Job provider.
type Provider struct{}

// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete

func (Provider) Name() string                          { return Name }
func (Provider) Selected(p weirv1.MetricProvider) bool { return p.Job != nil }
func (Provider) Owns() client.Object                   { return &batchv1.Job{} }

func (Provider) Validate(p weirv1.MetricProvider, path string, declared map[string]bool) []string {
	raw, err := json.Marshal(p.Job.Spec)
	if err != nil {
		return []string{fmt.Sprintf("%s.job.spec: %v", path, err)}
	}
	problems := provider.UndeclaredArgs(path+".job.spec", string(raw), declared)
	if len(p.Job.Spec.Template.Spec.Containers) == 0 {
		problems = append(problems, path+".job.spec.template.spec.containers: a Job needs at least one container")
	}
	return problems
}

// Measure creates the measurement's Job the first time it is asked and reads its outcome
// afterwards.
func (Provider) Measure(ctx context.Context, req provider.Request) provider.Outcome {
	name := JobName(req.Run.Name, req.Metric.Name, req.Seq)
	var job batchv1.Job
	err := req.Env.Client.Get(ctx, client.ObjectKey{Namespace: req.Run.Namespace, Name: name}, &job)
	if apierrors.IsNotFound(err) {
		created, err := create(ctx, req, name)
		if err != nil {
			return provider.Outcome{Err: err}
		}
		return provider.Outcome{Pending: poll, Started: created.CreationTimestamp.Time}
	}
	if err != nil {
		return provider.Outcome{Err: fmt.Errorf("reading Job %s: %w", name, err)}
	}
	started := job.CreationTimestamp.Time
	switch c := finished(&job); {
	case c == nil:
		return provider.Outcome{Pending: poll, Started: started}
	case c.Type == batchv1.JobComplete:
		return provider.Outcome{Result: analysis.Result{Values: []float64{1}}, Detail: "Job " + name + " succeeded", Started: started}
	default:
		return provider.Outcome{Result: analysis.Result{Values: []float64{0}}, Detail: fmt.Sprintf("Job %s failed (%s: %s)", name, c.Reason, c.Message), Started: started}
	}
}

// Stop deletes the run's Jobs that are still running: the release no longer needs them.
// Finished Jobs stay for their logs until the run is deleted.
func (Provider) Stop(ctx context.Context, run *weirv1.AnalysisRun, env *provider.Env) error {
	var jobs batchv1.JobList
	if err := env.Client.List(ctx, &jobs, client.InNamespace(run.Namespace), client.MatchingLabels{weirv1.MeasurementRunLabel: run.Name}); err != nil {
		return err
	}
	for i := range jobs.Items {
		j := &jobs.Items[i]
		if finished(j) != nil || !metav1.IsControlledBy(j, run) {
			continue
		}
		if err := env.Client.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

func finished(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func create(ctx context.Context, req provider.Request, name string) (*batchv1.Job, error) {
	spec, err := renderSpec(req.Metric.Provider.Job.Spec, req.Args)
	if err != nil {
		return nil, err
	}
	meta := req.Metric.Provider.Job.Metadata
	labels := map[string]string{}
	for k, v := range meta.Labels {
		labels[k] = v
	}
	labels[weirv1.MeasurementRunLabel] = req.Run.Name
	labels[weirv1.MeasurementMetricLabel] = dnsLabel(req.Metric.Name)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: req.Run.Namespace, Labels: labels, Annotations: meta.Annotations,
			// No blockOwnerDeletion: where OwnerReferencesPermissionEnforcement is on it would need
			// update on analysisruns/finalizers, and the run's deletion needn't wait for its Jobs.
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: weirv1.GroupVersion.String(), Kind: "AnalysisRun", Name: req.Run.Name, UID: req.Run.UID,
				Controller: ptr.To(true),
			}},
		},
		Spec: spec,
	}
	if job.Spec.Template.Spec.RestartPolicy == "" {
		job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	if err := req.Env.Client.Create(ctx, job); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return job, nil // created by an earlier attempt whose answer was lost; read next time
		}
		return nil, fmt.Errorf("creating Job %s: %w", name, err)
	}
	return job, nil
}

// renderSpec replaces {{args.x}} in every string of the spec, each value escaped as a JSON
// string so that it stays one string.
func renderSpec(spec batchv1.JobSpec, args map[string]string) (batchv1.JobSpec, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	escaped := make(map[string]string, len(args))
	for k, v := range args {
		q, _ := json.Marshal(v) // a string always marshals
		escaped[k] = string(q[1 : len(q)-1])
	}
	text, err := analysis.RenderText(string(raw), escaped)
	if err != nil {
		return spec, fmt.Errorf("job.spec %w", err)
	}
	var out batchv1.JobSpec
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return spec, fmt.Errorf("job.spec after arguments: %w", err)
	}
	return out, nil
}

// JobName is the Job of a run's metric's seq-th measurement: readable, a valid object name
// whatever the metric is called, and at most 63 characters (a hash of the whole keeps long
// names apart).
func JobName(run, metric string, seq int32) string {
	name := fmt.Sprintf("%s-%s-%d", run, dnsLabel(metric), seq)
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := fmt.Sprintf("-%d-%s", seq, hex.EncodeToString(sum[:])[:8])
	return strings.TrimRight(name[:63-len(suffix)], "-.") + suffix
}

// dnsLabel is s in the characters an object name and a label value both allow: lower-case
// letters, digits and '-'.
func dnsLabel(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, s)
	return strings.Trim(out, "-")
}
