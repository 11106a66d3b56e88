package analysis

import (
	"reflect"
	"testing"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func spec(args []weirv1.Argument, metrics ...weirv1.Metric) *weirv1.AnalysisTemplateSpec {
	return &weirv1.AnalysisTemplateSpec{Args: args, Metrics: metrics}
}

// TestMergeAppliesTheRolloutsSettings: one template, three environments' numbers. The
// analysis's settings replace the template's count, interval and limits in every metric, and
// leave alone what they don't set.
func TestMergeAppliesTheRolloutsSettings(t *testing.T) {
	tmpl := spec(nil,
		weirv1.Metric{Name: "error-rate", MetricSettings: weirv1.MetricSettings{Interval: "1m", Count: ptr.To[int32](10), FailureLimit: ptr.To[int32](1)}},
		weirv1.Metric{Name: "latency", MetricSettings: weirv1.MetricSettings{Interval: "1m", Count: ptr.To[int32](10), InconclusiveLimit: ptr.To[int32](2)}})
	dev := weirv1.RolloutAnalysis{Settings: &weirv1.MetricSettings{Interval: "10s", Count: ptr.To[int32](3), ConsecutiveErrorLimit: ptr.To[int32](2)}}
	m, problems := Merge(dev, []Template{{Name: "error-rate", Spec: tmpl}})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := []weirv1.MetricSettings{
		{Interval: "10s", Count: ptr.To[int32](3), FailureLimit: ptr.To[int32](1), ConsecutiveErrorLimit: ptr.To[int32](2)},
		{Interval: "10s", Count: ptr.To[int32](3), InconclusiveLimit: ptr.To[int32](2), ConsecutiveErrorLimit: ptr.To[int32](2)},
	}
	for i, metric := range m.Metrics {
		if !reflect.DeepEqual(metric.MetricSettings, want[i]) {
			t.Errorf("metric %s: settings %+v, want %+v", metric.Name, metric.MetricSettings, want[i])
		}
	}
	if *tmpl.Metrics[0].Count != 10 {
		t.Error("the template itself was changed")
	}
	prod, _ := Merge(weirv1.RolloutAnalysis{}, []Template{{Name: "error-rate", Spec: tmpl}})
	if !reflect.DeepEqual(prod.Metrics, tmpl.Metrics) {
		t.Errorf("without settings the template's metrics change: %+v", prod.Metrics)
	}
}

// TestMergeRefusesWhatItWouldResolveSilently: every problem names both templates (or the
// setting), and an argument the analysis gives is no conflict.
func TestMergeRefusesWhatItWouldResolveSilently(t *testing.T) {
	arg := func(name, value string) weirv1.Argument {
		if value == "" {
			return weirv1.Argument{Name: name}
		}
		return weirv1.Argument{Name: name, Value: ptr.To(value)}
	}
	metric := func(name string) weirv1.Metric { return weirv1.Metric{Name: name} }
	cases := []struct {
		name      string
		analysis  weirv1.RolloutAnalysis
		templates []Template
		want      []string
		defaults  map[string]*string
	}{
		{"the same argument, different defaults",
			weirv1.RolloutAnalysis{},
			[]Template{{"errors", spec([]weirv1.Argument{arg("window", "5m")}, metric("a"))}, {"ClusterAnalysisTemplate latency", spec([]weirv1.Argument{arg("window", "1m")}, metric("b"))}},
			[]string{`templates errors and ClusterAnalysisTemplate latency give argument "window" different defaults ("5m" and "1m"): give it in args, or make the defaults agree`},
			map[string]*string{"window": ptr.To("5m")}},
		{"the analysis gives it: no conflict",
			weirv1.RolloutAnalysis{Args: []weirv1.AnalysisRunArgument{{Name: "window", Value: ptr.To("2m")}}},
			[]Template{{"errors", spec([]weirv1.Argument{arg("window", "5m")}, metric("a"))}, {"latency", spec([]weirv1.Argument{arg("window", "1m")}, metric("b"))}},
			nil, map[string]*string{"window": ptr.To("5m")}},
		{"the same default, or one without: no conflict",
			weirv1.RolloutAnalysis{},
			[]Template{{"errors", spec([]weirv1.Argument{arg("window", "5m"), arg("service", "")}, metric("a"))}, {"latency", spec([]weirv1.Argument{arg("window", "5m"), arg("service", "web")}, metric("b"))}},
			nil, map[string]*string{"window": ptr.To("5m"), "service": ptr.To("web")}},
		{"two metrics of one name",
			weirv1.RolloutAnalysis{},
			[]Template{{"errors", spec(nil, metric("rate"))}, {"latency", spec(nil, metric("rate"))}},
			[]string{`templates errors and latency both have a metric named "rate": one run can't hold both`},
			map[string]*string{}},
		{"a count without an interval",
			weirv1.RolloutAnalysis{Settings: &weirv1.MetricSettings{Count: ptr.To[int32](5)}},
			[]Template{{"errors", spec(nil, metric("rate"))}},
			[]string{"settings: metric rate of template errors would measure 5 times with no interval: set settings.interval"},
			map[string]*string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, problems := Merge(tc.analysis, tc.templates)
			if !reflect.DeepEqual(problems, tc.want) {
				t.Errorf("problems %q, want %q", problems, tc.want)
			}
			if !reflect.DeepEqual(m.Defaults, tc.defaults) {
				t.Errorf("defaults %v, want %v", m.Defaults, tc.defaults)
			}
		})
	}
}
