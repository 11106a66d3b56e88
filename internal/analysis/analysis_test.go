package analysis

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func TestRenderQuery(t *testing.T) {
	cases := []struct {
		name, query string
		args        map[string]string
		want, err   string
	}{
		{"in a label matcher", `rate(x{svc="{{args.service}}"}[1m])`, map[string]string{"service": "web-canary"}, `rate(x{svc="web-canary"}[1m])`, ""},
		{"a quote can't end the literal", `x{svc="{{args.s}}"}`, map[string]string{"s": `a"} or vector(1) #`}, `x{svc="a\"} or vector(1) #"}`, ""},
		{"a backslash is escaped", `x{svc="{{ args.s }}"}`, map[string]string{"s": `a\`}, `x{svc="a\\"}`, ""},
		{"single-quoted literal", `x{svc='{{args.s}}'}`, map[string]string{"s": `it's`}, `x{svc='it\'s'}`, ""},
		{"bare duration", `rate(x[{{args.window}}])`, map[string]string{"window": "5m"}, `rate(x[5m])`, ""},
		{"bare value that would change the query", `rate(x[{{args.window}}])`, map[string]string{"window": "5m]) or vector(1"}, "", "not a plain number"},
		{"unknown argument", `x{a="{{args.nope}}"}`, map[string]string{}, "", "has no value"},
		{"raw literal", "x{a=`{{args.s}}`}", map[string]string{"s": `a"b`}, "x{a=`a\"b`}", ""},
		{"a backtick in a raw literal is refused, naming the argument", "x{a=`{{args.s}}`}", map[string]string{"s": "a` or vector(1) #"}, "",
			`argument "s" holds a backtick`},
		{"escaped quote inside the literal keeps the state", `x{a="q\"{{args.s}}"}`, map[string]string{"s": `"`}, `x{a="q\"\""}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RenderQuery(tc.query, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	if _, err := CompileCondition("result <"); err == nil {
		t.Error("a broken expression compiles")
	}
	if _, err := CompileCondition(`"x"`); err == nil || !strings.Contains(err.Error(), "not a bool") {
		t.Errorf("a string-valued expression: %v", err)
	}
	c, err := CompileCondition("result < 0.05")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Eval([]float64{0.01}); !ok {
		t.Error("0.01 < 0.05 is false")
	}
	all, _ := CompileCondition("result.all(x, x < 0.5)")
	if ok, err := all.Eval([]float64{0.1, 0.2}); !ok || err != nil {
		t.Errorf("a vector of two series is a list: %v %v", ok, err)
	}
	if _, err := c.Eval([]float64{0.1, 0.2}); err == nil {
		t.Error("comparing a list with a number should be an error, not a verdict")
	}
}

func metric(success, failure string, mutate ...func(*weirv1.Metric)) weirv1.Metric {
	m := weirv1.Metric{Name: "error-rate", SuccessCondition: success, FailureCondition: failure, MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](3)}}
	for _, f := range mutate {
		f(&m)
	}
	return m
}

func TestMeasure(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name   string
		metric weirv1.Metric
		res    Result
		err    error
		want   weirv1.AnalysisPhase
	}{
		{"success", metric("result < 0.05", ""), Result{Values: []float64{0.01}}, nil, weirv1.AnalysisSuccessful},
		{"success condition false, no failure condition: failed", metric("result < 0.05", ""), Result{Values: []float64{0.3}}, nil, weirv1.AnalysisFailed},
		{"failure condition holds", metric("result < 0.05", "result > 0.2"), Result{Values: []float64{0.3}}, nil, weirv1.AnalysisFailed},
		{"between the two: inconclusive", metric("result < 0.05", "result > 0.2"), Result{Values: []float64{0.1}}, nil, weirv1.AnalysisInconclusive},
		{"only a failure condition, not holding", metric("", "result > 0.2"), Result{Values: []float64{0.1}}, nil, weirv1.AnalysisSuccessful},
		{"provider error is an Error, never a failure", metric("result < 0.05", ""), Result{}, errString("connection refused"), weirv1.AnalysisError},
		{"no data defaults to inconclusive", metric("result < 0.05", ""), Result{NoData: true}, nil, weirv1.AnalysisInconclusive},
		{"no data, onNoData Failure", metric("result < 0.05", "", func(m *weirv1.Metric) { m.OnNoData = weirv1.NoDataFailure }), Result{NoData: true}, nil, weirv1.AnalysisFailed},
		{"no data, onNoData Success", metric("result < 0.05", "", func(m *weirv1.Metric) { m.OnNoData = weirv1.NoDataSuccess }), Result{NoData: true}, nil, weirv1.AnalysisSuccessful},
		{"no data, onNoData Wait: not counted", metric("result < 0.05", "", func(m *weirv1.Metric) { m.OnNoData = weirv1.NoDataWait }), Result{NoData: true}, nil, weirv1.AnalysisPending},
		{"condition that can't evaluate is an Error", metric("result < 0.05", ""), Result{Values: []float64{1, 2}}, nil, weirv1.AnalysisError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j, err := NewJudge(tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			if got := j.Measure(tc.res, tc.err, now, now); got.Phase != tc.want {
				t.Errorf("phase %s (%s), want %s", got.Phase, got.Message, tc.want)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestMetricPhase(t *testing.T) {
	tally := func(m weirv1.Metric, phases ...weirv1.AnalysisPhase) weirv1.MetricResult {
		var mr weirv1.MetricResult
		for _, p := range phases {
			Record(&mr, m, weirv1.Measurement{Phase: p, StartedAt: metav1.NowMicro()})
		}
		return mr
	}
	S, F, I, E, P := weirv1.AnalysisSuccessful, weirv1.AnalysisFailed, weirv1.AnalysisInconclusive, weirv1.AnalysisError, weirv1.AnalysisPending
	m := metric("result < 1", "")
	cases := []struct {
		name       string
		metric     weirv1.Metric
		phases     []weirv1.AnalysisPhase
		terminated bool
		want       weirv1.AnalysisPhase
	}{
		{"running until count", m, []weirv1.AnalysisPhase{S, S}, false, weirv1.AnalysisRunning},
		{"count reached", m, []weirv1.AnalysisPhase{S, S, S}, false, S},
		{"one failure beyond failureLimit 0", m, []weirv1.AnalysisPhase{S, F}, false, F},
		{"failureLimit 1 tolerates one", metric("result < 1", "", func(m *weirv1.Metric) { m.FailureLimit = ptr.To[int32](1) }), []weirv1.AnalysisPhase{F, S}, false, weirv1.AnalysisRunning},
		{"consecutiveFailureLimit", metric("result < 1", "", func(m *weirv1.Metric) {
			m.FailureLimit = ptr.To[int32](5)
			m.ConsecutiveFailureLimit = ptr.To[int32](2)
			m.Count = ptr.To[int32](10)
		}), []weirv1.AnalysisPhase{F, S, F, F}, false, F},
		{"errors below the limit keep running", m, []weirv1.AnalysisPhase{E, E, E, E}, false, weirv1.AnalysisRunning},
		{"consecutiveErrorLimit (default 5) errors in a row: Error", m, []weirv1.AnalysisPhase{E, E, E, E, E}, false, E},
		{"a success resets the error streak", m, []weirv1.AnalysisPhase{E, E, E, E, S, E}, false, weirv1.AnalysisRunning},
		{"errors don't use up the count", m, []weirv1.AnalysisPhase{S, E, S, E}, false, weirv1.AnalysisRunning},
		{"inconclusive beyond its limit", m, []weirv1.AnalysisPhase{I}, false, I},
		{"waiting for data is not counted", m, []weirv1.AnalysisPhase{P, P, P, S, S}, false, weirv1.AnalysisRunning},
		{"no count: runs until the step ends", metric("result < 1", "", func(m *weirv1.Metric) { m.Count = nil }), []weirv1.AnalysisPhase{S, S, S, S}, false, weirv1.AnalysisRunning},
		{"no count, step ended", metric("result < 1", "", func(m *weirv1.Metric) { m.Count = nil }), []weirv1.AnalysisPhase{S}, true, S},
		{"no count, no interval: one measurement", metric("result < 1", "", func(m *weirv1.Metric) { m.Count, m.Interval = nil, "" }), []weirv1.AnalysisPhase{S}, false, S},
		// A run stopped before its count is met has no verdict: never Successful (issue 14.1).
		{"count 3 unmet, terminated: no verdict", m, []weirv1.AnalysisPhase{S, S}, true, I},
		{"count 3, nothing measured, terminated: no verdict", m, nil, true, I},
		{"count met, terminated: Successful", m, []weirv1.AnalysisPhase{S, S, S}, true, S},
		{"no count, nothing measured, terminated: no verdict", metric("result < 1", "", func(m *weirv1.Metric) { m.Count = nil }), nil, true, I},
		{"no count, no interval, terminated before measuring: no verdict", metric("result < 1", "", func(m *weirv1.Metric) { m.Count, m.Interval = nil, "" }), nil, true, I},
		{"no count, only waits for data, terminated: no verdict", metric("result < 1", "", func(m *weirv1.Metric) { m.Count = nil }), []weirv1.AnalysisPhase{P, P}, true, I},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := MetricPhase(tally(tc.metric, tc.phases...), tc.metric, Rules{Terminated: tc.terminated})
			if got != tc.want {
				t.Errorf("phase %s (%s), want %s", got, msg, tc.want)
			}
		})
	}
}

func TestRunPhase(t *testing.T) {
	mr := func(name string, p weirv1.AnalysisPhase, dry bool) weirv1.MetricResult {
		return weirv1.MetricResult{Name: name, Phase: p, DryRun: dry, Message: string(p)}
	}
	S, F, I, E, R := weirv1.AnalysisSuccessful, weirv1.AnalysisFailed, weirv1.AnalysisInconclusive, weirv1.AnalysisError, weirv1.AnalysisRunning
	cases := []struct {
		results []weirv1.MetricResult
		want    weirv1.AnalysisPhase
	}{
		{[]weirv1.MetricResult{mr("a", S, false), mr("b", S, false)}, S},
		{[]weirv1.MetricResult{mr("a", S, false), mr("b", R, false)}, R},
		{[]weirv1.MetricResult{mr("a", I, false), mr("b", R, false)}, I},
		{[]weirv1.MetricResult{mr("a", I, false), mr("b", F, false)}, F},
		{[]weirv1.MetricResult{mr("a", E, false), mr("b", I, false)}, E},
		{[]weirv1.MetricResult{mr("a", F, true), mr("b", S, false)}, S},
	}
	for i, tc := range cases {
		if got, msg := RunPhase(tc.results); got != tc.want {
			t.Errorf("case %d: %s (%s), want %s", i, got, msg, tc.want)
		}
	}
}

func TestBackoffAndDue(t *testing.T) {
	for n, want := range map[int32]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 10 * time.Second} {
		if got := ErrorBackoff(n, 10*time.Second); got != want {
			t.Errorf("backoff after %d errors = %s, want %s", n, got, want)
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := metric("result < 1", "", func(m *weirv1.Metric) { m.InitialDelay = "5s"; m.Interval = "10s" })
	if got := NextDue(weirv1.MetricResult{}, m, start); !got.Equal(start.Add(5 * time.Second)) {
		t.Errorf("first measurement after initialDelay: %s", got)
	}
	mr := weirv1.MetricResult{Measurements: []weirv1.Measurement{{Phase: weirv1.AnalysisSuccessful, StartedAt: metav1.NewMicroTime(start)}}}
	if got := NextDue(mr, m, start); !got.Equal(start.Add(10 * time.Second)) {
		t.Errorf("next after interval: %s", got)
	}
}

func TestValidateConditions(t *testing.T) {
	spec := &weirv1.AnalysisTemplateSpec{
		Args:    []weirv1.Argument{{Name: "service"}},
		Metrics: []weirv1.Metric{{Name: "m", SuccessCondition: "result <", FailureCondition: "result > 1"}},
	}
	problems := ValidateConditions(spec)
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "spec.metrics[0].successCondition: ") {
		t.Errorf("problems %q", problems)
	}
	if got := MissingArgs(spec, map[string]bool{}); len(got) != 1 || got[0] != "service" {
		t.Errorf("missing args %v", got)
	}
}

// TestProviderOutageRules: with onError Retry, errors in a row never end a metric (it says
// what it waits for); Stalled ends any metric that goes a progress deadline without a
// counted measurement, Error when its provider wasn't answering (issue 14, defects 8, 11).
func TestProviderOutageRules(t *testing.T) {
	m := metric("result < 1", "", func(m *weirv1.Metric) {
		m.Provider.Prometheus = &weirv1.PrometheusProvider{PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: "http://prom:9090"}}
	})
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tally := func(phases ...weirv1.AnalysisPhase) weirv1.MetricResult {
		var mr weirv1.MetricResult
		for i, p := range phases {
			Record(&mr, m, weirv1.Measurement{Phase: p, Message: "msg " + string(p), StartedAt: metav1.NewMicroTime(t0.Add(time.Duration(i) * time.Second))})
		}
		return mr
	}
	E, S, P := weirv1.AnalysisError, weirv1.AnalysisSuccessful, weirv1.AnalysisPending
	errors := tally(E, E, E, E, E, E, E)
	if got, msg := MetricPhase(errors, m, Rules{}); got != E {
		t.Errorf("onError Pause: 7 errors in a row: %s (%s), want Error", got, msg)
	}
	got, msg := MetricPhase(errors, m, Rules{RetryErrors: true})
	if got != weirv1.AnalysisRunning || !strings.Contains(msg, "waiting for prometheus at http://prom:9090: 7 queries in a row") {
		t.Errorf("onError Retry: 7 errors in a row: %s (%s), want Running, waiting for prometheus", got, msg)
	}
	if got, _ := MetricPhase(tally(E, E, E, E, E, E, S, S, S), m, Rules{RetryErrors: true}); got != S {
		t.Errorf("onError Retry: the provider answers again and the count is met: %s, want Successful", got)
	}

	limit := 10 * time.Minute
	cases := []struct {
		name  string
		mr    weirv1.MetricResult
		now   time.Time
		phase weirv1.AnalysisPhase // "" when not stalled
		msg   string
	}{
		{"measuring", tally(S, S), t0.Add(time.Minute), "", ""},
		{"errors for less than the deadline", errors, t0.Add(9 * time.Minute), "", ""},
		{"errors past the deadline", errors, t0.Add(11 * time.Minute), E, "has not answered for 11m"},
		{"no data past the deadline", tally(P, P, P), t0.Add(11 * time.Minute), weirv1.AnalysisInconclusive, "no counted measurement for 11m"},
		{"a counted measurement resets the clock", tally(P, S, P, P), t0.Add(10*time.Minute + 1500*time.Millisecond), "", ""},
		{"nothing measured at all", weirv1.MetricResult{}, t0.Add(11 * time.Minute), weirv1.AnalysisInconclusive, "nothing measured"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			phase, msg, stalled := Stalled(tc.mr, m, t0, tc.now, limit)
			if stalled != (tc.phase != "") || phase != tc.phase || !strings.Contains(msg, tc.msg) {
				t.Errorf("Stalled = %s %q %v, want %s containing %q", phase, msg, stalled, tc.phase, tc.msg)
			}
		})
	}
}

// TestConditionsInThePeersListShape: Argo Rollouts gives a single series as a list of one, so
// its conditions say result[0]; Weir gives a number. A condition that indexes result, ranges
// over it or takes its size gets the list, so the peer's conditions mean what they say.
func TestConditionsInThePeersListShape(t *testing.T) {
	cases := []struct {
		expr   string
		values []float64
		want   bool
	}{
		{"result[0] < 0.05", []float64{0.01}, true},
		{"result[0] < 0.05", []float64{0.2}, false},
		{"result[0] >= 0.95 && result[0] <= 1.0", []float64{0.99}, true},
		{"result.all(x, x < 0.5)", []float64{0.1}, true},
		{"result.exists(x, x > 0.5)", []float64{0.1}, false},
		{"size(result) == 1 && result[0] < 1.0", []float64{0.3}, true},
		{"result.size() == 1", []float64{0.3}, true},
		{"result < 0.05", []float64{0.01}, true}, // Weir's own spelling: still a number
	}
	for _, tc := range cases {
		c, err := CompileCondition(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got, err := c.Eval(tc.values); got != tc.want || err != nil {
			t.Errorf("%s with %v = %v, %v; want %v", tc.expr, tc.values, got, err, tc.want)
		}
	}
}
