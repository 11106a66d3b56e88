package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/dashboard"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// benchRollouts is how many Rollouts the overview benchmark lists.
const benchRollouts = 2000

// BenchmarkOverview2000 serves the overview of 2,000 Rollouts from a real API server and
// renders it in a real headless Chromium. It reports, per overview: ms-served (the JSON from
// the API server's list), ms-rendered (navigation until every row is in the page), and the
// dashboard's heap after serving (heap-MB). The Rollouts carry another installation's
// instance label, so the in-process controller leaves them and their status (written here,
// a mix of phases) alone.
//
//	KUBEBUILDER_ASSETS=$PWD/bin go test ./internal/dashboard -run '^$' -bench Overview -benchtime 5x
func BenchmarkOverview2000(b *testing.B) {
	ctx := context.Background()
	ns, err := fixture.Namespace(ctx, env.Client, "bench")
	if err != nil {
		b.Fatal(err)
	}
	phases := []weirv1.RolloutPhase{weirv1.PhaseHealthy, weirv1.PhaseProgressing, weirv1.PhasePaused, weirv1.PhaseDegraded}
	start := time.Now()
	for i := range benchRollouts {
		ro := fixture.CanaryRollout(ns, fmt.Sprintf("app-%04d", i), 3, "app:1", fixture.SetWeight(20), fixture.Pause(""), fixture.SetWeight(50))
		ro.Labels = map[string]string{controller.InstanceIDLabel: "dashboard-bench"}
		if err := env.Client.Create(ctx, ro); err != nil {
			b.Fatal(err)
		}
		ro.Status = weirv1.RolloutStatus{Phase: phases[i%len(phases)], Message: "step 2/3: paused at weight 20 until promoted",
			StableRS: "stable", CurrentPodHash: "canary", CurrentStepIndex: ptr.To[int32](1), Strategy: "Canary",
			Canary: &weirv1.CanaryStatus{Weights: &weirv1.Weights{Desired: weirv1.WeightPair{Stable: 80, Canary: 20},
				Verified: &weirv1.WeightPair{Stable: 80, Canary: 20}}}}
		if err := env.Client.Status().Update(ctx, ro); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d Rollouts created in %s", benchRollouts, time.Since(start).Round(time.Second))
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	s := &dashboard.Server{Client: c, Namespace: ns}
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	browser := newBrowser(b)

	var served, rendered time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		resp, err := http.Get(srv.URL + "/api/overview")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		served += time.Since(t0)

		t0 = time.Now()
		if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/#/")); err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Run(browser, chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll("#overview tr.rollout").length === %d`, benchRollouts))); err != nil {
			b.Fatal(err)
		}
		rendered += time.Since(t0)
		// The next navigation must load the page again, not keep this one.
		if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(served.Milliseconds())/float64(b.N), "ms-served")
	b.ReportMetric(float64(rendered.Milliseconds())/float64(b.N), "ms-rendered")
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MB")
}
