package analysis

import (
	"fmt"
	"sort"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// ValidateTemplate finds what the CRD's rules can't: conditions that don't compile and
// queries that refer to arguments the template doesn't declare. Each problem names its field.
func ValidateTemplate(spec *weirv1.AnalysisTemplateSpec) []string {
	declared := map[string]bool{}
	for _, a := range spec.Args {
		declared[a.Name] = true
	}
	var problems []string
	for i, m := range spec.Metrics {
		if _, err := CompileCondition(m.SuccessCondition); err != nil {
			problems = append(problems, fmt.Sprintf("spec.metrics[%d].successCondition: %v", i, err))
		}
		if _, err := CompileCondition(m.FailureCondition); err != nil {
			problems = append(problems, fmt.Sprintf("spec.metrics[%d].failureCondition: %v", i, err))
		}
		queries := map[string]string{}
		if p := m.Provider.Prometheus; p != nil {
			queries["prometheus.query"] = p.Query
		}
		if j := m.Provider.Judge; j != nil {
			queries["judge.canaryQuery"], queries["judge.baselineQuery"] = j.CanaryQuery, j.BaselineQuery
			if _, err := Settings(j); err != nil {
				problems = append(problems, fmt.Sprintf("spec.metrics[%d].provider.judge: %v", i, err))
			}
		}
		for field, query := range queries {
			for _, name := range Placeholders(query) {
				if !declared[name] {
					problems = append(problems, fmt.Sprintf("spec.metrics[%d].provider.%s: {{args.%s}} is not declared in spec.args", i, field, name))
				}
			}
		}
	}
	return problems
}

// MissingArgs lists the template arguments without a default that the caller doesn't give.
func MissingArgs(spec *weirv1.AnalysisTemplateSpec, given map[string]bool) []string {
	var missing []string
	for _, a := range spec.Args {
		if a.Value == nil && !given[a.Name] {
			missing = append(missing, a.Name)
		}
	}
	sort.Strings(missing)
	return missing
}
