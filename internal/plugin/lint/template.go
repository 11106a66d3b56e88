package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/provider/registry"
)

var argNamePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]*$`)

// templateRules checks an AnalysisTemplate or ClusterAnalysisTemplate, including what
// the controller checks when it loads one (analysis.ValidateTemplate: CEL conditions
// compile, queries use only declared arguments).
func templateRules(data []byte, out *[]finding) error {
	var t struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec weirv1.AnalysisTemplateSpec `json:"spec"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return err
	}
	add := func(field, format string, args ...any) {
		*out = append(*out, finding{field, fmt.Sprintf(format, args...)})
	}
	if t.Metadata.Name == "" {
		add("metadata.name", "an analysis template needs a name")
	}
	spec := &t.Spec
	for i, a := range spec.Args {
		if !argNamePattern.MatchString(a.Name) {
			add(fmt.Sprintf("spec.args[%d].name", i), "%q is not a valid argument name (letters, digits, '_' and '-', not starting with a digit)", a.Name)
		}
	}
	if len(spec.Metrics) == 0 {
		add("spec.metrics", "an analysis template needs at least one metric")
	}
	seen := map[string]int{}
	for i, m := range spec.Metrics {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		if m.Name == "" {
			add(path+".name", "a metric needs a name")
		} else if j, dup := seen[m.Name]; dup {
			add(path+".name", "metric name %q is already used by spec.metrics[%d]", m.Name, j)
		} else {
			seen[m.Name] = i
		}
		checkMetric(path, m, add)
	}
	for _, p := range registry.ValidateTemplate(spec) {
		field, msg, ok := strings.Cut(p, ": ")
		if !ok {
			field, msg = "spec", p
		}
		add(field, "%s", msg)
	}
	return nil
}

func checkMetric(path string, m weirv1.Metric, add addFunc) {
	for field, d := range map[string]weirv1.Duration{"interval": m.Interval, "initialDelay": m.InitialDelay} {
		if d != "" {
			checkDuration(path+"."+field, d, add)
		}
	}
	if m.Count != nil && *m.Count < 1 {
		add(path+".count", "count must be at least 1, not %d", *m.Count)
	}
	if m.Count != nil && *m.Count > 1 && m.Interval == "" {
		add(path+".interval", "a metric with count greater than 1 needs an interval")
	}
	// The CRD's rule, which the schema check doesn't reach when the metric has other
	// errors: a metric needs conditions unless its provider has default ones.
	if success, failure := m.Provider.DefaultConditions(); m.SuccessCondition == "" && m.FailureCondition == "" && !m.DryRun && success == "" && failure == "" {
		add(path, "a metric needs successCondition or failureCondition (or dryRun: true)")
	}
	// The provider block (exactly one provider, its required fields, addresses) is the CRD
	// schema's and the providers' own (registry.ValidateTemplate): not restated here.
}
