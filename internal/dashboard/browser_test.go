package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/dashboard"
	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

var env *testenv.Env

// TestMain starts a real control plane whose pods become Ready (kwok), Weir's controller in
// process, and the stand-in gateway that accepts HTTPRoutes.
func TestMain(m *testing.M) {
	// Scoped to Rollouts without an instance label: the benchmark's carry another one.
	os.Exit(testenv.RunWithWeir(m, controller.CacheOptionsFor(controller.Scope{}), func(e *testenv.Env) { env = e }))
}

const (
	timeout = 2 * time.Minute
	poll    = 100 * time.Millisecond
)

// TestDashboardInABrowser drives the page in a real headless Chromium against Rollouts
// mid-release: the overview lists them; a Rollout's page draws the weight plot and the
// analysis plot with one point per value; a refused action is disabled with its reason;
// promote, confirmed, writes the request and the page shows the next step by itself.
func TestDashboardInABrowser(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns, err := fixture.Namespace(ctx, env.Client, "dash")
	g.Expect(err).NotTo(HaveOccurred())

	// The canary's error rate, measured by a real Prometheus.
	exp, err := testenv.StartExporter()
	g.Expect(err).NotTo(HaveOccurred())
	defer exp.Close()
	prom, err := testenv.StartPrometheus(exp.Addr)
	g.Expect(err).NotTo(HaveOccurred())
	defer prom.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				exp.Add(`http_requests_total{service="canary",code="200"}`, 10)
			}
		}
	}()
	g.Expect(env.Client.Create(ctx, errorRate(ns, prom.URL))).To(Succeed())

	// web: mid-release at its pause gate after an analysis; api: Healthy.
	for _, app := range []string{"web", "api"} {
		for _, o := range fixture.Services(ns, app) {
			g.Expect(env.Client.Create(ctx, o)).To(Succeed())
		}
		g.Expect(env.Client.Create(ctx, fixture.Route(ns, app, 100, 0))).To(Succeed())
	}
	web := fixture.CanaryRollout(ns, "web", 2, "web:1", fixture.SetWeight(20),
		weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
			Args: []weirv1.AnalysisRunArgument{{Name: "service", Value: ptr.To("canary")}}}},
		fixture.Pause(""), fixture.SetWeight(50), fixture.Pause(""))
	g.Expect(env.Client.Create(ctx, web)).To(Succeed())
	g.Expect(env.Client.Create(ctx, fixture.CanaryRollout(ns, "api", 1, "api:1", fixture.SetWeight(50)))).To(Succeed())
	for _, name := range []string{"web", "api"} {
		g.Eventually(func() weirv1.RolloutPhase { return get(ctx, ns, name).Status.Phase }, timeout, poll).Should(Equal(weirv1.PhaseHealthy))
	}

	// The dashboard, with the test's (admin) kubeconfig, before the release so it records it.
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	s := &dashboard.Server{Client: c, Namespace: ns, User: func(context.Context) string { return "browser-test" }}
	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Watch(watchCtx)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close) // after the browser's cleanup (registered later), which ends its event stream

	ro := get(ctx, ns, "web")
	patch := client.MergeFrom(ro.DeepCopy())
	ro.Spec.Template.Spec.Containers[0].Image = "web:2"
	g.Expect(env.Client.Patch(ctx, ro, patch)).To(Succeed())
	g.Eventually(func() string { return get(ctx, ns, "web").Status.Message }, timeout, poll).Should(ContainSubstring("until promoted"))

	browser := newBrowser(t)
	shots := t.TempDir()

	do := func(steps ...chromedp.Action[chromedp.Void]) {
		g.ExpectWithOffset(1, chromedp.Do(browser, steps...)).To(Succeed())
	}
	count := func(selector string) int {
		n, err := chromedp.Run(browser, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
		g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return n
	}
	text := func(selector string) string {
		s, err := chromedp.Run(browser, chromedp.Text(selector))
		g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return s
	}

	t.Log("the overview lists both Rollouts")
	do(chromedp.Navigate(srv.URL+"/#/"), chromedp.WaitVisible("#overview tbody tr"))
	g.Expect(count("#overview tr.rollout")).To(Equal(2))
	g.Expect(text(`#overview tr.rollout[data-filter="waiting"] td:nth-child(2)`)).To(Equal("web"), "web waits for promotion")
	screenshot(t, browser, filepath.Join(shots, "overview.png"))

	t.Log("the Rollout page draws both plots with one point per value")
	detail := apiDetail(t, srv.URL, ns, "web")
	g.Expect(detail.Analyses).NotTo(BeEmpty())
	measured := 0 // measurements with a value (a no-data one has none to draw)
	for _, a := range detail.Analyses {
		for _, p := range a.Points {
			if p.Value != nil {
				measured++
			}
		}
	}
	g.Expect(measured).To(BeNumerically(">=", 3), "the analysis measured its count")
	g.Expect(len(detail.Weights)).To(BeNumerically(">=", 1))
	do(chromedp.Navigate(srv.URL+"/#/"+ns+"/web"), chromedp.WaitVisible("#weights"))
	g.Expect(count("#weights circle.pt-desired")).To(Equal(len(detail.Weights)), "one point per recorded weight")
	g.Expect(count(".analysis circle.pt-measure")).To(Equal(measured), "one point per measurement")
	g.Expect(count(".analysis line.threshold")).To(Equal(len(detail.Analyses)), "each condition's threshold is drawn")
	g.Expect(count(".analysis circle.pt-measure.failed")).To(BeZero(), "no measurement failed")

	t.Log("a refused action is disabled with its reason")
	disabled, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.querySelector('button[data-request="Retry"]').disabled`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(disabled).To(BeTrue())
	reason, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.querySelector('button[data-request="Retry"]').title`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(reason).To(Equal("the release of rollout web is not aborted: nothing to retry"))
	screenshot(t, browser, filepath.Join(shots, "rollout.png"))

	t.Log("promote, confirmed, writes the request; the page shows the next step by itself")
	do(chromedp.Click(`button[data-request="Promote"]`), chromedp.WaitVisible("#confirm-yes"), chromedp.Click("#confirm-yes"))
	g.Eventually(func() int32 { return ptr.Deref(get(ctx, ns, "web").Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(4)))
	g.Expect(events(ctx, ns)).To(ContainSubstring("by browser-test"))
	g.Eventually(func() string {
		step, _ := chromedp.Run(browser, chromedp.Text("#step"))
		return step
	}, timeout, poll).Should(Equal("5/5"), "the page followed the release without a reload")

	t.Log("the timeline has times; each revision its pods with readiness")
	g.Expect(count(".steps li.current time")).To(Equal(1), "since when the current step runs")
	g.Expect(count(".steps li.done time")).To(BeNumerically(">=", 3), "when setWeight 20, the analysis and setWeight 50 ended")
	g.Eventually(func() int { return count(".pod.ready") }, timeout, poll).Should(Equal(3), "2 stable pods and ceil(2×50%) = 1 canary pod, Ready")

	screenshot(t, browser, filepath.Join(shots, "promoted.png"))
}

func get(ctx context.Context, ns, name string) *weirv1.Rollout {
	var ro weirv1.Rollout
	_ = env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ro)
	return &ro
}

func events(ctx context.Context, ns string) string {
	out, _ := fixture.Events(ctx, env.Client, ns)
	return out
}

func apiDetail(t *testing.T, base, ns, name string) dashboard.Detail {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/rollouts/%s/%s", base, ns, name))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d dashboard.Detail
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// newBrowser starts Debian's chromium headless (hack/chromium.sh installs it).
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: run hack/chromium.sh (make tools does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1200, 900)) // over a pipe: no debugging port is opened
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first run starts the browser: allow for a loaded machine.
	if err := chromedp.Do(browser); err != nil {
		t.Fatal(err)
	}
	return browser
}

func screenshot(t *testing.T, browser context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// errorRate is the error-rate template of the canary's 5xx share, measured 3 times.
func errorRate(ns, promURL string) *weirv1.AnalysisTemplate {
	return &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: ns},
		Spec: weirv1.AnalysisTemplateSpec{
			Args: []weirv1.Argument{{Name: "service"}},
			Metrics: []weirv1.Metric{{
				Name: "error-rate", MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](3)}, OnNoData: weirv1.NoDataWait,
				SuccessCondition: "result < 0.05", FailureCondition: "result >= 0.05",
				Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
					PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: promURL, Timeout: "2s"},
					Query: `(sum(rate(http_requests_total{service="{{args.service}}",code=~"5.."}[5s])) or vector(0))` +
						` / sum(rate(http_requests_total{service="{{args.service}}"}[5s]))`,
				}},
			}},
		},
	}
}
