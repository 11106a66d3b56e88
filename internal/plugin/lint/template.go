package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
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
	for _, p := range analysis.ValidateTemplate(spec) {
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
	p, j := m.Provider.Prometheus, m.Provider.Judge
	if m.SuccessCondition == "" && m.FailureCondition == "" && !m.DryRun && j == nil {
		add(path, "a metric needs successCondition or failureCondition (or dryRun: true)")
	}
	switch {
	case p == nil && j == nil:
		add(path+".provider", "provider needs exactly one of prometheus or judge")
	case p != nil && j != nil:
		add(path+".provider", "provider needs exactly one of prometheus or judge, not both")
	case p != nil:
		pp := path + ".provider.prometheus"
		checkAddress(pp+".address", p.Address, add)
		if strings.TrimSpace(p.Query) == "" {
			add(pp+".query", "a query is required")
		}
		if p.Timeout != "" {
			checkDuration(pp+".timeout", p.Timeout, add)
		}
	case j != nil:
		jp := path + ".provider.judge"
		checkAddress(jp+".prometheus.address", j.Prometheus.Address, add)
		if strings.TrimSpace(j.CanaryQuery) == "" {
			add(jp+".canaryQuery", "a canaryQuery is required")
		}
		if strings.TrimSpace(j.BaselineQuery) == "" {
			add(jp+".baselineQuery", "a baselineQuery is required")
		}
		for field, d := range map[string]weirv1.Duration{"window": j.Window, "step": j.Step} {
			if d != "" {
				checkDuration(jp+"."+field, d, add)
			}
		}
	}
}

func checkAddress(path, addr string, add addFunc) {
	switch {
	case addr == "":
		add(path, "the Prometheus address is required, e.g. http://prometheus.monitoring:9090")
	case !strings.HasPrefix(addr, "http://") && !strings.HasPrefix(addr, "https://"):
		add(path, "%q must start with http:// or https://", addr)
	}
}
