package controller

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/planner"
)

// Labels and annotations Weir puts on the AnalysisRuns it owns (api/v1alpha1 names them).
const (
	rolloutLabel   = weirv1.AnalysisRunRolloutLabel
	stepAnnotation = weirv1.AnalysisRunStepAnnotation
)

// buildAnalysisRun merges the templates of an analysis into one run with every argument
// resolved. The run starts measuring at once: the planner asks for it only when the step's
// traffic is verified on the routes.
func (r *RolloutReconciler) buildAnalysisRun(ctx context.Context, ro *weirv1.Rollout, obs *observed, p planner.AnalysisRunPlan) (*weirv1.AnalysisRun, error) {
	templates, err := r.templates(ctx, ro.Namespace, p.Analysis)
	if err != nil {
		return nil, err
	}
	merged, problems := analysis.Merge(p.Analysis, templates)
	if len(problems) > 0 { // checkAnalyses holds such a release first: a change since then
		return nil, fmt.Errorf("analysis %s: %s", p.Name, strings.Join(problems, "; "))
	}
	spec := weirv1.AnalysisRunSpec{Metrics: merged.Metrics, OnError: merged.OnError, StartAt: ptr.To(metav1.NewTime(obs.input.Now)),
		ProgressDeadlineSeconds: ptr.To(ro.Spec.ProgressDeadline())}
	given := map[string]weirv1.AnalysisRunArgument{}
	for _, a := range p.Analysis.Args {
		given[a.Name] = a
	}
	for name, def := range merged.Defaults {
		value := def
		if a, ok := given[name]; ok {
			v, err := resolveArg(ro, obs, a)
			if err != nil {
				return nil, err
			}
			value = &v
		}
		if value == nil {
			return nil, fmt.Errorf("analysis %s: argument %q has no value", p.Name, name)
		}
		spec.Args = append(spec.Args, weirv1.Argument{Name: name, Value: value})
	}
	run := &weirv1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ro.Namespace,
			Labels:      map[string]string{rolloutLabel: ro.Name},
			Annotations: map[string]string{stepAnnotation: p.Where}},
		Spec: spec,
	}
	if id, ok := ro.Labels[InstanceIDLabel]; ok {
		run.Labels[InstanceIDLabel] = id // measured by the installation the Rollout belongs to
	}
	return run, controllerutil.SetControllerReference(ro, run, r.Client.Scheme())
}

// templates reads the templates an analysis names.
func (r *RolloutReconciler) templates(ctx context.Context, ns string, a weirv1.RolloutAnalysis) ([]analysis.Template, error) {
	var out []analysis.Template
	for _, ref := range a.Templates {
		spec, err := r.template(ctx, ns, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, analysis.Template{Name: templateName(ref), Spec: spec})
	}
	return out, nil
}

// templateName is how messages name a template: "error-rate", "ClusterAnalysisTemplate x".
func templateName(ref weirv1.AnalysisTemplateRef) string {
	if ref.ClusterScope {
		return "ClusterAnalysisTemplate " + ref.TemplateName
	}
	return ref.TemplateName
}

func (r *RolloutReconciler) template(ctx context.Context, ns string, ref weirv1.AnalysisTemplateRef) (*weirv1.AnalysisTemplateSpec, error) {
	if ref.ClusterScope {
		var t weirv1.ClusterAnalysisTemplate
		if err := r.Client.Get(ctx, client.ObjectKey{Name: ref.TemplateName}, &t); err != nil {
			return nil, fmt.Errorf("ClusterAnalysisTemplate %s: %w", ref.TemplateName, err)
		}
		return &t.Spec, nil
	}
	var t weirv1.AnalysisTemplate
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.TemplateName}, &t); err != nil {
		return nil, fmt.Errorf("AnalysisTemplate %s/%s: %w", ns, ref.TemplateName, err)
	}
	return &t.Spec, nil
}

// resolveArg gives an argument its value: literal, a revision's hash, or a Rollout field.
func resolveArg(ro *weirv1.Rollout, obs *observed, a weirv1.AnalysisRunArgument) (string, error) {
	switch {
	case a.Value != nil:
		return *a.Value, nil
	case a.ValueFrom == nil:
		return "", fmt.Errorf("argument %q has no value", a.Name)
	case a.ValueFrom.PodTemplateHashValue != nil:
		if *a.ValueFrom.PodTemplateHashValue == "Stable" {
			return ro.Status.StableRS, nil
		}
		return obs.input.CurrentHash, nil
	}
	path := a.ValueFrom.FieldRef.FieldPath
	switch {
	case path == "metadata.name":
		return ro.Name, nil
	case path == "metadata.namespace":
		return ro.Namespace, nil
	case strings.HasPrefix(path, "metadata.labels['") && strings.HasSuffix(path, "']"):
		return ro.Labels[path[len("metadata.labels['"):len(path)-2]], nil
	case strings.HasPrefix(path, "metadata.annotations['") && strings.HasSuffix(path, "']"):
		return ro.Annotations[path[len("metadata.annotations['"):len(path)-2]], nil
	}
	return "", fmt.Errorf("argument %q: unsupported fieldPath %q (metadata.name, metadata.namespace, metadata.labels['k'], metadata.annotations['k'])", a.Name, path)
}
