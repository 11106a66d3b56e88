package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"k8s.io/apimachinery/pkg/util/intstr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// The same patterns as the CRD's rules (api/v1alpha1).
var (
	durationPattern = regexp.MustCompile(`^([0-9]+([.][0-9]+)?(ms|s|m|h))+$`)
	percentPattern  = regexp.MustCompile(`^[0-9]+%$`)
	ruleNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// rolloutRules checks a Rollout.
func rolloutRules(data []byte, out *[]finding) error {
	var ro weirv1.Rollout
	if err := json.Unmarshal(data, &ro); err != nil {
		return err
	}
	add := func(field, format string, args ...any) {
		*out = append(*out, finding{field, fmt.Sprintf(format, args...)})
	}
	if ro.Name == "" && ro.GenerateName == "" {
		add("metadata.name", "a Rollout needs a name")
	}
	switch {
	case ro.Spec.WorkloadRef != nil: // the template and its labels are the Deployment's (the CRD refuses both)
	case len(ro.Spec.Template.Spec.Containers) == 0:
		add("spec.template.spec.containers", "the pod template needs at least one container")
		checkSelector(&ro.Spec, add)
	default:
		checkSelector(&ro.Spec, add)
	}
	s := ro.Spec.Strategy
	switch {
	case s.Canary != nil && s.BlueGreen != nil:
		add("spec.strategy", "set exactly one of strategy.canary or strategy.blueGreen, not both")
	case s.Canary != nil:
		checkCanary(s.Canary, add)
	case s.BlueGreen != nil:
		checkBlueGreen(s.BlueGreen, add)
	default:
		add("spec.strategy", "set exactly one of strategy.canary or strategy.blueGreen")
	}
	return nil
}

type addFunc func(field, format string, args ...any)

// checkSelector: the selector must exist and every matchLabels entry must be a template label.
func checkSelector(spec *weirv1.RolloutSpec, add addFunc) {
	sel := spec.Selector
	if sel == nil {
		add("spec.selector", "a Rollout needs a selector matching its template's labels")
		return
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		add("spec.selector", "selector must not be empty")
	}
	keys := make([]string, 0, len(sel.MatchLabels))
	for k := range sel.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels := spec.Template.Labels
	for _, k := range keys {
		want := sel.MatchLabels[k]
		switch got, ok := labels[k]; {
		case !ok:
			add(fmt.Sprintf("spec.selector.matchLabels[%s]", k), "%s=%s is not among spec.template.metadata.labels: the Rollout would select no pod of its own", k, want)
		case got != want:
			add(fmt.Sprintf("spec.selector.matchLabels[%s]", k), "%s=%s but spec.template.metadata.labels has %s=%s", k, want, k, got)
		}
	}
}

// checkServices checks a strategy's two Services (stable and canary, active and preview):
// both named, and not the same.
func checkServices(strategy, first, second, a, b string, add addFunc) {
	base := "spec.strategy." + strategy
	if a == "" {
		add(base+"."+first, "%s.%s is required", strategy, first)
	}
	if b == "" {
		add(base+"."+second, "%s.%s is required", strategy, second)
	}
	if a != "" && a == b {
		add(base+"."+second, "%s.%s and %s.%s must name different Services (both are %q)", strategy, first, strategy, second, a)
	}
}

func checkCanary(c *weirv1.CanaryStrategy, add addFunc) {
	const base = "spec.strategy.canary"
	checkServices("canary", "stableService", "canaryService", c.StableService, c.CanaryService, add)
	checkIntOrPercent(base+".maxSurge", c.MaxSurge, add)
	checkIntOrPercent(base+".maxUnavailable", c.MaxUnavailable, add)
	// trafficRouting's own rules (gatewayAPI, at least one route, httpRoutes for header and
	// mirror steps) are the CRD schema's: the schema check reports them.
	for i, step := range c.Steps {
		checkStep(fmt.Sprintf("%s.steps[%d]", base, i), step, add)
	}
	if i, problem := planner.PodlessRouteStep(c.Steps); problem != "" {
		// The controller's own check (it holds such a release as InvalidSpec), said earlier.
		add(fmt.Sprintf("%s.steps[%d]", base, i), "%s", problem)
	}
	if a := c.Analysis; a != nil {
		if a.StartingStep != nil && int(*a.StartingStep) > len(c.Steps) {
			add(base+".analysis.startingStep", "canary.analysis.startingStep (%d) must not be greater than the number of steps (%d)", *a.StartingStep, len(c.Steps))
		}
		checkAnalysis(base+".analysis", &a.RolloutAnalysis, add)
	}
}

func checkBlueGreen(b *weirv1.BlueGreenStrategy, add addFunc) {
	const base = "spec.strategy.blueGreen"
	checkServices("blueGreen", "activeService", "previewService", b.ActiveService, b.PreviewService, add)
	if n := b.PreviewReplicaCount; n != nil && *n < 1 {
		add(base+".previewReplicaCount", "previewReplicaCount must be at least 1, not %d", *n)
	}
	if a := b.PrePromotionAnalysis; a != nil {
		checkAnalysis(base+".prePromotionAnalysis", a, add)
	}
	if a := b.PostPromotionAnalysis; a != nil {
		checkAnalysis(base+".postPromotionAnalysis", a, add)
	}
}

func checkStep(path string, step weirv1.CanaryStep, add addFunc) {
	actions := 0
	for _, set := range []bool{step.SetWeight != nil, step.Pause != nil, step.Analysis != nil, step.SetHeaderRoute != nil, step.SetMirrorRoute != nil, step.SetCanaryScale != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		add(path, "a step must set exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale (this one sets %d)", actions)
	}
	if w := step.SetWeight; w != nil && (*w < 0 || *w > 100) {
		add(path+".setWeight", "setWeight must be between 0 and 100, not %d", *w)
	}
	if p := step.Pause; p != nil && p.Duration != nil {
		checkDuration(path+".pause.duration", p.Duration.Duration(), add)
	}
	if a := step.Analysis; a != nil {
		checkAnalysis(path+".analysis", a, add)
	}
	if h := step.SetHeaderRoute; h != nil {
		checkRuleName(path+".setHeaderRoute.name", h.Name, add)
	}
	if m := step.SetMirrorRoute; m != nil {
		checkRuleName(path+".setMirrorRoute.name", m.Name, add)
		if m.Percent < 0 || m.Percent > 100 {
			add(path+".setMirrorRoute.percent", "percent must be between 0 and 100, not %d", m.Percent)
		}
	}
}

func checkAnalysis(path string, a *weirv1.RolloutAnalysis, add addFunc) {
	if len(a.Templates) == 0 {
		add(path+".templates", "name at least one AnalysisTemplate")
	}
	for i, t := range a.Templates {
		if t.TemplateName == "" {
			add(fmt.Sprintf("%s.templates[%d].templateName", path, i), "templateName is required")
		}
	}
	for i, arg := range a.Args {
		if (arg.Value != nil) == (arg.ValueFrom != nil) {
			add(fmt.Sprintf("%s.args[%d]", path, i), "argument %q needs exactly one of value or valueFrom", arg.Name)
		}
	}
}

func checkDuration(path string, d weirv1.Duration, add addFunc) {
	if !durationPattern.MatchString(string(d)) {
		add(path, "%q is not a duration such as 500ms, 30s, 5m or 1h30m", string(d))
	}
}

func checkRuleName(path, name string, add addFunc) {
	if !ruleNamePattern.MatchString(name) || len(name) > 48 {
		add(path, "%q must be lower-case letters, digits and '-', at most 48 characters", name)
	}
}

func checkIntOrPercent(path string, v *intstr.IntOrString, add addFunc) {
	switch {
	case v == nil:
	case v.Type == intstr.Int && v.IntVal < 0:
		add(path, "must not be negative, not %d", v.IntVal)
	case v.Type == intstr.String && !percentPattern.MatchString(v.StrVal):
		add(path, "%q must be a non-negative number or a percentage such as 25%%", v.StrVal)
	}
}
