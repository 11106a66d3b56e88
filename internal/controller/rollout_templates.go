package controller

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider/registry"
)

// namedAnalysis is an analysis the strategy names, with the spec path it stands at.
type namedAnalysis struct {
	path     string
	analysis weirv1.RolloutAnalysis
}

func analysesOf(ro *weirv1.Rollout) []namedAnalysis {
	var out []namedAnalysis
	if c := ro.Spec.Strategy.Canary; c != nil {
		for i, s := range c.Steps {
			if s.Analysis != nil {
				out = append(out, namedAnalysis{fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i), *s.Analysis})
			}
		}
		if c.Analysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.canary.analysis", c.Analysis.RolloutAnalysis})
		}
		if c.PostPromotionAnalysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.canary.postPromotionAnalysis", *c.PostPromotionAnalysis})
		}
	}
	if b := ro.Spec.Strategy.BlueGreen; b != nil {
		if b.PrePromotionAnalysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.blueGreen.prePromotionAnalysis", *b.PrePromotionAnalysis})
		}
		if b.PostPromotionAnalysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.blueGreen.postPromotionAnalysis", *b.PostPromotionAnalysis})
		}
	}
	return out
}

// checkAnalyses finds, before a release needs them, the analyses that could not run: a
// template that doesn't exist, doesn't compile, or an argument left without a value.
func (r *RolloutReconciler) checkAnalyses(ctx context.Context, ro *weirv1.Rollout) (string, error) {
	var problems []string
	for _, na := range analysesOf(ro) {
		given := map[string]bool{}
		for _, a := range na.analysis.Args {
			given[a.Name] = true
		}
		var found []analysis.Template
		for _, ref := range na.analysis.Templates {
			spec, err := r.template(ctx, ro.Namespace, ref)
			if apierrors.IsNotFound(err) {
				problems = append(problems, fmt.Sprintf("%s: %s", na.path, err))
				continue
			} else if err != nil {
				return "", err
			}
			found = append(found, analysis.Template{Name: templateName(ref), Spec: spec})
			for _, p := range registry.ValidateTemplate(spec) {
				problems = append(problems, fmt.Sprintf("%s: template %s: %s", na.path, ref.TemplateName, p))
			}
			for _, name := range analysis.MissingArgs(spec, given) {
				problems = append(problems, fmt.Sprintf("%s.args: template %s needs argument %q", na.path, ref.TemplateName, name))
			}
		}
		_, merging := analysis.Merge(na.analysis, found)
		for _, p := range merging {
			problems = append(problems, fmt.Sprintf("%s: %s", na.path, p))
		}
	}
	return strings.Join(problems, "; "), nil
}
