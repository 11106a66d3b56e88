// Package registry lists Weir's metric providers: the one place a new provider is added.
package registry

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
	"github.com/weir-dev/weir/internal/provider/job"
	"github.com/weir-dev/weir/internal/provider/prometheus"
	"github.com/weir-dev/weir/internal/provider/web"
)

// All are the providers this Weir knows.
var All = []provider.Provider{
	prometheus.Provider{},
	prometheus.Judge{},
	web.Provider{},
	job.Provider{},
}

// For returns the provider of a metric's provider block. The CRD admits exactly one; a
// block with none (or several, past the API server) is an error, never a default.
func For(p weirv1.MetricProvider) (provider.Provider, error) {
	var found []provider.Provider
	for _, prov := range All {
		if prov.Selected(p) {
			found = append(found, prov)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("provider needs exactly one of %s", names())
	}
	return found[0], nil
}

// Validate checks a metric's provider block: exactly one provider, and that provider's
// own checks. path is the metric's field (spec.metrics[0]).
func Validate(m weirv1.Metric, path string, declared map[string]bool) []string {
	prov, err := For(m.Provider)
	if err != nil {
		return []string{fmt.Sprintf("%s.provider: %v", path, err)}
	}
	return prov.Validate(m.Provider, path+".provider", declared)
}

// ValidateTemplate finds what the CRD's rules can't: conditions that don't compile, and
// each provider's own checks (arguments the template doesn't declare, settings that don't
// parse). Each problem names its field.
func ValidateTemplate(spec *weirv1.AnalysisTemplateSpec) []string {
	declared := map[string]bool{}
	for _, a := range spec.Args {
		declared[a.Name] = true
	}
	problems := analysis.ValidateConditions(spec)
	for i, m := range spec.Metrics {
		problems = append(problems, Validate(m, fmt.Sprintf("spec.metrics[%d]", i), declared)...)
	}
	return problems
}

// Owned are the kinds of object providers create for a run's measurements.
func Owned() []client.Object {
	var out []client.Object
	for _, prov := range All {
		if o, ok := prov.(provider.Owner); ok {
			out = append(out, o.Owns())
		}
	}
	return out
}

func names() string {
	s := ""
	for i, prov := range All {
		switch {
		case i == 0:
		case i == len(All)-1:
			s += " or "
		default:
			s += ", "
		}
		s += prov.Name()
	}
	return s
}
