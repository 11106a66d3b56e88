package analysis

import (
	"fmt"
	"sort"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// ValidateConditions finds the metrics' CEL conditions that don't compile, each naming its
// field. The providers' own checks are in provider/registry.ValidateTemplate, which calls
// this.
func ValidateConditions(spec *weirv1.AnalysisTemplateSpec) []string {
	var problems []string
	for i, m := range spec.Metrics {
		if _, err := CompileCondition(m.SuccessCondition); err != nil {
			problems = append(problems, fmt.Sprintf("spec.metrics[%d].successCondition: %v", i, err))
		}
		if _, err := CompileCondition(m.FailureCondition); err != nil {
			problems = append(problems, fmt.Sprintf("spec.metrics[%d].failureCondition: %v", i, err))
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
