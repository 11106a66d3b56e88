package e2e

import (
	"bufio"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

// steps: at each weight an analysis, then a pause for the test to sample real traffic.
func analysedSteps(app stack.App) []weirv1.CanaryStep {
	var steps []weirv1.CanaryStep
	for _, w := range []int32{10, 30, 60} {
		steps = append(steps, setWeight(w), app.AnalysisStep(), pauseUntilPromoted())
	}
	return steps
}

var _ = Describe("a good release", func() {
	It("sends each step's share of real requests to the canary and ends on the new version", func() {
		app := deploy(analysedSteps)
		load := env.StartLoad(app, 40)
		DeferCleanup(load.Stop)
		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		promoted := time.Now()
		for i, w := range []int{10, 30, 60} {
			// The step's condition was met when it was promoted (or the release started):
			// how long until the gateway applies the next weight.
			waitGateway(app, w)
			GinkgoWriter.Printf("step overhead: promote → weight %d%% live in Traefik: %s\n", w, time.Since(promoted).Round(time.Millisecond))
			waitPausedAt(app, int32(3*i+2))
			sample := env.Send(app, 400, 8)
			GinkgoWriter.Printf("step weight %d%%: %.1f%% of %d requests reached v2\n", w, sample.Share("v2"), sample.Requests)
			Expect(sample.Errors).To(BeZero())
			Expect(sample.Failed).To(BeEmpty())
			Expect(sample.Share("v2")).To(BeNumerically("~", float64(w), 5))
			request(app, weirv1.RequestPromote)
			promoted = time.Now()
		}
		done := waitHealthy(app)
		Expect(done.Status.StableRS).To(Equal(done.Status.CurrentPodHash))
		waitGateway(app, 0)
		Eventually(func() float64 { return env.Send(app, 400, 8).Share("v2") }, timeout, poll).Should(Equal(100.0))
	})
})

var _ = Describe("a bad release", func() {
	It("is aborted by its analysis, traffic moves back before the canary goes, no gateway errors", func() {
		app := deploy(func(app stack.App) []weirv1.CanaryStep {
			return []weirv1.CanaryStep{setWeight(20), app.AnalysisStep(), pauseUntilPromoted()}
		})
		load := env.StartLoad(app, 40)
		DeferCleanup(load.Stop)
		Eventually(func() int { return load.Take().Versions["v1"] }, timeout, poll).Should(BeNumerically(">", 0))

		Expect(app.Release(ctx, env.Client, "demoapp:v2", "0.3")).To(Succeed())
		Eventually(func() string {
			if a := rollout(app).Status.Aborted; a != nil {
				return a.Reason
			}
			return ""
		}, timeout, poll).Should(Equal(weirv1.ReasonAnalysisFailed), func() string { return describe(app) })
		failedAt := failingMeasurementTime(app)
		waitGateway(app, 0)
		GinkgoWriter.Printf("abort reaction: failing measurement → canary weight 0 live in Traefik: %s\n", time.Since(failedAt).Round(time.Millisecond))

		// The canary scales down only after weight 0 was verified (abortScaleDownDelaySeconds 5).
		Eventually(func() int32 { return rollout(app).Status.UpdatedReplicas }, timeout, poll).Should(BeZero())
		during := load.Take()
		GinkgoWriter.Printf("during the release: %d requests, %v by version, failures %v, transport errors %d\n",
			during.Requests, during.Versions, during.Failed, during.Errors)
		Expect(during.Versions["v2"]).To(BeNumerically(">", 0), "the canary did get traffic")
		Expect(during.Errors).To(BeZero())
		for code := range during.Failed {
			Expect(code).To(Equal(500), "only the canary's own 500s; no 502/503 from the gateway")
		}
		after := env.Send(app, 400, 8)
		Expect(after.Share("v1")).To(Equal(100.0))
		Expect(rollout(app).Status.Phase).To(Equal(weirv1.PhaseDegraded))

		// What an SRE's Prometheus scrapes from the running controller says the same.
		series := func(name string, labels ...string) string { // labels sorted, as the exposition format writes them
			all := append([]string{`namespace="` + app.Namespace + `"`, `rollout="` + app.Name + `"`}, labels...)
			sort.Strings(all)
			return name + `{` + strings.Join(all, ",") + `}`
		}
		Eventually(func() map[string]float64 { return scrape(env.ControllerMetricsURL) }, timeout, poll).Should(And(
			HaveKeyWithValue(series("weir_rollout_phase", `phase="Degraded"`), 1.0),
			HaveKeyWithValue(series("weir_rollout_phase", `phase="Healthy"`), 0.0),
			HaveKeyWithValue(series("weir_rollout_aborts_total", `reason="AnalysisFailed"`), 1.0),
			HaveKeyWithValue(series("weir_rollout_canary_weight", `kind="desired"`), 0.0),
			HaveKeyWithValue(series("weir_rollout_canary_weight", `kind="verified"`), 0.0),
			HaveKeyWithValue(series("weir_analysis_runs_total", `phase="Failed"`), 1.0),
			HaveKey(series("weir_analysis_measurements_total", `metric="error-rate"`, `phase="Failed"`)),
			HaveKey("weir_decision_duration_seconds_count"),
		))
	})
})

// scrape reads a Prometheus text endpoint into series → value (labels as written).
func scrape(url string) map[string]float64 {
	resp, err := http.Get(url)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// failingMeasurementTime is when the analysis got the answer that failed it.
func failingMeasurementTime(app stack.App) time.Time {
	var runs weirv1.AnalysisRunList
	Expect(env.Client.List(ctx, &runs, client.InNamespace(app.Namespace))).To(Succeed())
	for _, run := range runs.Items {
		if run.Status.Phase != weirv1.AnalysisFailed {
			continue
		}
		for _, mr := range run.Status.MetricResults {
			for _, m := range mr.Measurements {
				if m.Phase == weirv1.AnalysisFailed && m.FinishedAt != nil {
					return m.FinishedAt.Time
				}
			}
		}
	}
	Fail("no failed measurement found")
	return time.Time{}
}

var _ = Describe("resilience", func() {
	It("resumes at the same step with the same weights after the controller is killed", func() {
		app := deploy(func(stack.App) []weirv1.CanaryStep {
			return []weirv1.CanaryStep{setWeight(30), {Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.PauseDuration("20s"))}},
				setWeight(60), pauseUntilPromoted()}
		})
		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		waitGateway(app, 30)
		Eventually(func() int32 { return ptr.Deref(rollout(app).Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(1)))

		env.KillController()
		GinkgoWriter.Printf("controller killed with SIGKILL during the 20s pause\n")
		Expect(env.StartController()).To(Succeed())
		// No regression to an earlier weight or step while it picks up again.
		Consistently(func() (int, error) {
			_, c, err := env.GatewayWeights(app)
			return c, err
		}, 3*time.Second, poll).Should(Equal(30))
		Expect(ptr.Deref(rollout(app).Status.CurrentStepIndex, -1)).To(Equal(int32(1)))
		waitPausedAt(app, 3)
		waitGateway(app, 60)
	})

	It("restores its weight within seconds when someone edits the HTTPRoute by hand", func() {
		app := deploy(func(stack.App) []weirv1.CanaryStep {
			return []weirv1.CanaryStep{setWeight(40), pauseUntilPromoted()}
		})
		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		waitPausedAt(app, 1)
		waitGateway(app, 40)

		Eventually(func() error {
			var route gatewayv1.HTTPRoute
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, &route); err != nil {
				return err
			}
			route.Spec.Rules[0].BackendRefs[0].Weight = ptr.To[int32](100)
			route.Spec.Rules[0].BackendRefs[1].Weight = ptr.To[int32](0)
			return env.Client.Update(ctx, &route, client.FieldOwner("kubectl-edit"))
		}, timeout, poll).Should(Succeed())
		edited := time.Now()
		// Weir re-asserts its weight on the route, under its own field manager again.
		Eventually(func() []int32 {
			var route gatewayv1.HTTPRoute
			Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, &route)).To(Succeed())
			owner := ""
			for _, mf := range route.ManagedFields {
				if strings.Contains(string(mf.FieldsV1.Raw), `"f:rules"`) {
					owner = mf.Manager
				}
			}
			if owner != "weir" {
				return nil
			}
			return []int32{*route.Spec.Rules[0].BackendRefs[0].Weight, *route.Spec.Rules[0].BackendRefs[1].Weight}
		}, 30*time.Second, 50*time.Millisecond).Should(Equal([]int32{60, 40}))
		GinkgoWriter.Printf("hand edit undone on the route after %s\n", time.Since(edited).Round(time.Millisecond))
		// Traefik may apply the hand edit and the restore one after the other: real traffic
		// settles back at 40%.
		Eventually(func() float64 { return env.Send(app, 400, 8).Share("v2") }, timeout, poll).Should(BeNumerically("~", 40, 5))
	})
})
