package analysis

import (
	"fmt"
	"sort"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Template is one template an analysis names: its name as messages give it ("error-rate",
// "ClusterAnalysisTemplate latency") and its spec.
type Template struct {
	Name string
	Spec *weirv1.AnalysisTemplateSpec
}

// Merged is what an analysis's templates make together: one run's metrics (the analysis's
// settings applied), the strictest onError, and each argument's default (nil: none).
type Merged struct {
	Metrics  []weirv1.Metric
	OnError  weirv1.ErrorAction
	Defaults map[string]*string
}

// Merge puts an analysis's templates together into one run. Its problems are what would
// otherwise be resolved silently or fail at measurement time: two templates defaulting an
// argument the analysis doesn't give to different values (both named), two metrics of the
// same name, and settings that leave a metric measuring more than once with no interval.
func Merge(a weirv1.RolloutAnalysis, templates []Template) (Merged, []string) {
	m := Merged{OnError: weirv1.ErrorActionRetry, Defaults: map[string]*string{}}
	given := map[string]bool{}
	for _, arg := range a.Args {
		given[arg.Name] = true
	}
	var problems []string
	from := map[string]string{} // argument → the template whose default it has
	metricFrom := map[string]string{}
	for _, t := range templates {
		m.OnError = strictest(m.OnError, t.Spec.OnError)
		for _, arg := range t.Spec.Args {
			old, seen := m.Defaults[arg.Name]
			switch {
			case !seen || old == nil:
				m.Defaults[arg.Name] = arg.Value
				if arg.Value != nil {
					from[arg.Name] = t.Name
				}
			case arg.Value != nil && *arg.Value != *old && !given[arg.Name]:
				problems = append(problems, fmt.Sprintf("templates %s and %s give argument %q different defaults (%q and %q): give it in args, or make the defaults agree",
					from[arg.Name], t.Name, arg.Name, *old, *arg.Value))
			}
		}
		for _, metric := range t.Spec.Metrics {
			if other, dup := metricFrom[metric.Name]; dup {
				problems = append(problems, fmt.Sprintf("templates %s and %s both have a metric named %q: one run can't hold both", other, t.Name, metric.Name))
				continue
			}
			metricFrom[metric.Name] = t.Name
			if a.Settings != nil {
				metric.MetricSettings = overridden(metric.MetricSettings, *a.Settings)
			}
			if ptr.Deref(metric.Count, 1) > 1 && metric.Interval == "" {
				problems = append(problems, fmt.Sprintf("settings: metric %s of template %s would measure %d times with no interval: set settings.interval",
					metric.Name, t.Name, *metric.Count))
			}
			m.Metrics = append(m.Metrics, metric)
		}
	}
	sort.Strings(problems)
	return m, problems
}

// overridden is a metric's settings with the analysis's set ones in their place.
func overridden(own, with weirv1.MetricSettings) weirv1.MetricSettings {
	if with.Interval != "" {
		own.Interval = with.Interval
	}
	for _, f := range []struct{ dst, src **int32 }{
		{&own.Count, &with.Count},
		{&own.FailureLimit, &with.FailureLimit},
		{&own.ConsecutiveFailureLimit, &with.ConsecutiveFailureLimit},
		{&own.InconclusiveLimit, &with.InconclusiveLimit},
		{&own.ConsecutiveErrorLimit, &with.ConsecutiveErrorLimit},
	} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
	return own
}

// strictest of two error actions: Abort, then Pause, then Retry (the default, also for "").
func strictest(a, b weirv1.ErrorAction) weirv1.ErrorAction {
	rank := map[weirv1.ErrorAction]int{weirv1.ErrorActionPause: 1, weirv1.ErrorActionAbort: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
