package controller_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// traffic is a test application behind the canary: its exporter counts requests and 5xx
// answers at a chosen error rate, scraped every second by a real Prometheus.
type traffic struct {
	exporter  *testenv.Exporter
	prom      *testenv.Prometheus
	errorRate atomic.Int64 // per mille
	stop      chan struct{}
}

func startTraffic(t *testing.T, errorRatePerMille int64) *traffic {
	exp, err := testenv.StartExporter()
	if err != nil {
		t.Fatal(err)
	}
	exp.Set(`http_requests_total{service="canary",code="200"}`, 0)
	exp.Set(`http_requests_total{service="canary",code="500"}`, 0)
	prom, err := testenv.StartPrometheus(exp.Addr)
	if err != nil {
		t.Fatal(err)
	}
	tr := &traffic{exporter: exp, prom: prom, stop: make(chan struct{})}
	tr.errorRate.Store(errorRatePerMille)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tr.stop:
				return
			case <-tick.C:
				bad := float64(tr.errorRate.Load()) / 100 // of 10 requests
				exp.Add(`http_requests_total{service="canary",code="500"}`, bad)
				exp.Add(`http_requests_total{service="canary",code="200"}`, 10-bad)
			}
		}
	}()
	t.Cleanup(func() {
		close(tr.stop)
		prom.Close()
		exp.Close()
	})
	return tr
}

// errorRateTemplate is the AnalysisTemplate an SRE would write for the 5xx ratio.
func (r *release) errorRateTemplate(promURL string, count int32, mutate ...func(*weirv1.AnalysisTemplateSpec)) {
	tmpl := fixture.RatioTemplate(r.NS, "error-rate", promURL,
		`sum(rate(http_requests_total{service="{{args.service}}",code=~"5.."}[5s]))`+
			` / sum(rate(http_requests_total{service="{{args.service}}"}[5s]))`, count, 0.05)
	for _, m := range mutate {
		m(&tmpl.Spec)
	}
	r.G.Expect(k8s.Create(r.Ctx, tmpl)).To(Succeed())
}

// analysedRelease is a release in its own namespace with its Services and route, traffic at
// the error rate, and the error-rate template measuring count times.
func analysedRelease(t *testing.T, errorRatePerMille int64, count int32, mutate ...func(*weirv1.AnalysisTemplateSpec)) (*release, *traffic) {
	r := newRelease(t)
	tr := startTraffic(t, errorRatePerMille)
	r.Services()
	r.route(nil)
	r.errorRateTemplate(tr.prom.URL, count, mutate...)
	return r, tr
}

func analysisStep() weirv1.CanaryStep {
	return weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{
		Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
		Args:      []weirv1.AnalysisRunArgument{{Name: "service", Value: ptr.To("canary")}},
	}}
}

// startedRun is an AnalysisRun of the metrics in the release's namespace, started now; it
// is not created yet.
func (r *release) startedRun(name string, metrics ...weirv1.Metric) *weirv1.AnalysisRun {
	return &weirv1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.NS},
		Spec:       weirv1.AnalysisRunSpec{StartAt: ptr.To(metav1.Now()), Metrics: metrics},
	}
}

func (r *release) run(name string) *weirv1.AnalysisRun {
	var run weirv1.AnalysisRun
	if err := k8s.Get(r.Ctx, clientKey(r.NS, name), &run); err != nil {
		return nil
	}
	return &run
}

// TestFailingAnalysisAbortsByItself: the canary answers 30% 5xx; the analysis step fails and
// the Rollout aborts on its own, traffic back to 100/0.
func TestFailingAnalysisAbortsByItself(t *testing.T) {
	r, _ := analysedRelease(t, 300, 5)
	g := r.G
	r.healthy(r.Rollout(4, setWeight(20), analysisStep(), pause("")))

	r.setImage("web:2")
	g.Eventually(r.abortedReason, timeout, poll).Should(Equal(weirv1.ReasonAnalysisFailed), func() string { return describe(r.Get()) })
	ro := r.Get()
	g.Expect(ro.Status.Aborted.Message).To(And(ContainSubstring("error-rate"), ContainSubstring("result >= 0.05"), ContainSubstring("step 2/3 (weight 20)")))
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{100, 0}))
	run := r.run(fmt.Sprintf("web-%s-2-1", ro.Status.CurrentPodHash))
	g.Expect(run).NotTo(BeNil())
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisFailed))
	m := run.Status.MetricResults[0]
	g.Expect(m.Failed).To(BeNumerically(">=", 1))
	last := m.Measurements[len(m.Measurements)-1]
	g.Expect(last.Phase).To(Equal(weirv1.AnalysisFailed))
	g.Expect(last.Value).To(HavePrefix("0.3"))
	g.Expect(r.Events()).To(ContainSubstring("RolloutAborted"))
}

// TestHealthyAnalysisPromotes: no errors, the analysis succeeds and the release completes.
func TestHealthyAnalysisPromotes(t *testing.T) {
	r, _ := analysedRelease(t, 0, 3)
	g := r.G
	r.healthy(r.Rollout(4, setWeight(20), analysisStep()))

	run := r.promotedRun("web:2")
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	g.Expect(run.Status.MetricResults[0].Successful).To(Equal(int32(3)))
}

// releaseUntilMeasured releases an image and waits for the step analysis's first good
// measurement; it returns the run's name.
func (r *release) releaseUntilMeasured(image string) string {
	r.setImage(image)
	var runName string
	r.G.Eventually(func() int32 {
		runName = r.Get().Status.Canary.StepAnalysisRun
		if run := r.run(runName); run != nil && len(run.Status.MetricResults) > 0 {
			return run.Status.MetricResults[0].Successful
		}
		return 0
	}, timeout, poll).Should(BeNumerically(">=", 1), "a first good measurement")
	return runName
}

// outageMidAnalysis is an analysed release (see analysedRelease) of replicas pods with a
// setWeight 20 and an analysis step, released to web:2: once the step's analysis measured
// one good value, Prometheus stops. It returns the step's run name.
func outageMidAnalysis(t *testing.T, replicas, count int32, mutate ...func(*weirv1.AnalysisTemplateSpec)) (*release, *traffic, string) {
	r, tr := analysedRelease(t, 0, count, mutate...)
	r.healthy(r.Rollout(replicas, setWeight(20), analysisStep()))
	runName := r.releaseUntilMeasured("web:2")
	tr.prom.Stop()
	return r, tr, runName
}

// TestPrometheusOutagePausesNotAborts: with onError: Pause, Prometheus goes away
// mid-analysis. The run ends in Error after consecutiveErrorLimit failed queries and the
// Rollout pauses with traffic where it was; with Prometheus back, resume runs the analysis
// again and the release completes.
func TestPrometheusOutagePausesNotAborts(t *testing.T) {
	r, tr, runName := outageMidAnalysis(t, 4, 8, func(s *weirv1.AnalysisTemplateSpec) { s.OnError = weirv1.ErrorActionPause })
	g := r.G

	g.Eventually(r.pausedReason, timeout, poll).Should(Equal(weirv1.ReasonAnalysisError), func() string { return describe(r.Get()) })
	ro := r.Get()
	g.Expect(ro.Status.Aborted).To(BeNil(), "a Prometheus outage never aborts a healthy release")
	g.Expect(ro.Status.Phase).To(Equal(weirv1.PhasePaused))
	g.Expect(ro.Status.Message).To(ContainSubstring("kubectl weir resume web"))
	g.Expect(r.Weights()).To(Equal([2]int32{80, 20}), "traffic stays where it was")
	g.Expect(r.run(runName).Status.Phase).To(Equal(weirv1.AnalysisError))
	g.Expect(r.run(runName).Status.Message).To(ContainSubstring("consecutiveErrorLimit 3"))

	g.Expect(tr.prom.Start()).To(Succeed())
	r.request(weirv1.RequestResume)
	done := r.waitHealthy()
	g.Expect(strings.HasSuffix(runName, "-1")).To(BeTrue())
	retried := r.run(strings.TrimSuffix(runName, "-1") + "-2")
	g.Expect(retried).NotTo(BeNil())
	g.Expect(retried.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	g.Expect(done.Status.Aborted).To(BeNil())
}

// TestBadTemplateIsSurfaced: a condition that doesn't compile is reported on the template and
// on the Rollout that uses it, naming the field.
func TestBadTemplateIsSurfaced(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.route(nil)
	r.errorRateTemplate(fixture.NoPrometheus, 3)
	var tmpl weirv1.AnalysisTemplate
	g.Eventually(func() error { // Weir writes the template's status meanwhile
		g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, "error-rate"), &tmpl)).To(Succeed())
		tmpl.Spec.Metrics[0].SuccessCondition = "result <"
		return k8s.Update(r.Ctx, &tmpl)
	}, timeout, poll).Should(Succeed())
	g.Eventually(func() string {
		g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, "error-rate"), &tmpl)).To(Succeed())
		for _, c := range tmpl.Status.Conditions {
			if c.Type == "Valid" && c.Status == metav1.ConditionFalse && c.ObservedGeneration == tmpl.Generation {
				return c.Message
			}
		}
		return ""
	}, timeout, poll).Should(ContainSubstring("spec.metrics[0].successCondition"))

	step := analysisStep()
	step.Analysis.Args = nil // and the argument is missing
	r.Create(r.Rollout(2, setWeight(20), step))
	g.Eventually(r.invalidSpec, timeout, poll).Should(And(
		ContainSubstring("spec.strategy.canary.steps[1].analysis: template error-rate: spec.metrics[0].successCondition"),
		ContainSubstring(`spec.strategy.canary.steps[1].analysis.args: template error-rate needs argument "service"`)))
}

// TestPrometheusOutageContinuesByItself: with the default onError (Retry) a Prometheus
// outage mid-analysis neither aborts nor waits for a person. While Prometheus is down the
// Rollout says what it waits for, and kstatus-reading tools see it Stalled; once Prometheus
// answers again the analysis takes its whole count and the release completes by itself
// (issue 14, defect 11).
func TestPrometheusOutageContinuesByItself(t *testing.T) {
	r, tr, runName := outageMidAnalysis(t, 2, 6)
	g := r.G

	g.Eventually(func() string { return r.Get().Status.Message }, timeout, poll).
		Should(ContainSubstring("waiting for prometheus at "+tr.prom.URL), func() string { return describe(r.Get()) })
	ro := r.Get()
	g.Expect(ro.Status.Paused).To(BeNil(), "an outage needs no person")
	g.Expect(ro.Status.Aborted).To(BeNil())
	g.Expect(ro.Status.Message).To(ContainSubstring("next try at"))
	g.Expect(condition(ro, weirv1.ConditionStalled)).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", weirv1.ReasonWaitingForProvider)))
	g.Expect(condition(ro, weirv1.ConditionReconciling).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(ro, weirv1.ConditionProgressing).Status).To(Equal(metav1.ConditionFalse))
	// Past the default consecutiveErrorLimit (5): still waiting, not ended in Error.
	g.Eventually(func() int32 { return r.run(runName).Status.MetricResults[0].ConsecutiveError }, timeout, poll).Should(BeNumerically(">=", 6))
	g.Expect(r.run(runName).Status.Phase).To(Equal(weirv1.AnalysisRunning))

	g.Expect(tr.prom.Start()).To(Succeed())
	done := r.waitHealthy()
	g.Expect(done.Status.Aborted).To(BeNil())
	run := r.run(runName)
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	g.Expect(run.Status.MetricResults[0].Successful).To(Equal(int32(6)), "the whole count, measured for real")
	g.Expect(r.Events()).NotTo(ContainSubstring("AnalysisError"))
}
