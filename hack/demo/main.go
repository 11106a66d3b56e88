// Command demo shows Weir doing its whole job on an embedded local stack: a real control
// plane, Traefik as the Gateway API data plane, Prometheus, the Weir controller, and the blog
// platform's backend released as a Rollout under steady traffic. It releases v2 (good) and
// watches it promote, then v3 (30% errors) and watches Weir abort it by itself, then prints
// what each step measured. With -up it deploys v1 and keeps the stack running for you to poke
// (make demo-up / make demo-down). Everything stops when it ends.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
	"github.com/weir-dev/weir/internal/dashboard"
	"github.com/weir-dev/weir/internal/testenv"
)

func main() {
	up := flag.Bool("up", false, "deploy v1 and keep the stack running until interrupted")
	flag.Parse()
	if err := run(*up); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(up bool) error {
	s, err := stack.Start(func(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) })
	if err != nil {
		return err
	}
	defer s.Stop()
	ctx := context.Background()
	app := stack.NewApp("blog")
	say("deploying the blog platform backend (v1) as a Rollout: canary 10%% → 30%% → 60%% → 100%%, error-rate analysis at each step")
	for _, obj := range app.Objects(s.Prometheus.URL, steps(app)) {
		if err := s.Client.Create(ctx, obj); err != nil {
			return err
		}
	}
	if _, err := waitFor(ctx, s, app, nil, func(ro *weirv1.Rollout) bool {
		return ro.Status.Phase == weirv1.PhaseHealthy && ro.Status.CurrentPodHash == ro.Status.StableRS
	}); err != nil {
		return err
	}
	if up {
		return stayUp(s, app)
	}
	load := s.StartLoad(app, 50)
	defer load.Stop()
	say("traffic generator: ~50 requests/s through the gateway (Host: %s)", app.Host)

	say("releasing v2 (healthy)")
	good, err := release(ctx, s, app, load, "demoapp:v2", "")
	if err != nil {
		return err
	}
	say("releasing v3 (answers 30%% of requests with 500)")
	bad, err := release(ctx, s, app, load, "demoapp:v3", "0.3")
	if err != nil {
		return err
	}
	fmt.Println()
	printSummary("v2 (good)", "v2", good)
	printSummary("v3 (bad)", "v3", bad)
	sample := s.Send(app, 400, 8)
	say("after the abort: %.0f%% of 400 requests answered by v2, the stable version", sample.Share("v2"))
	say("what the API server holds")
	root, _ := testenv.RepoRoot()
	kubectl := exec.Command(filepath.Join(testenv.BinDir(root), "kubectl"), "--kubeconfig", s.Env.Kubeconfig,
		"get", "rollouts,analysistemplates,analysisruns,httproutes", "-n", app.Namespace)
	kubectl.Stdout, kubectl.Stderr = os.Stdout, os.Stderr
	return kubectl.Run()
}

func steps(app stack.App) []weirv1.CanaryStep {
	var out []weirv1.CanaryStep
	for _, w := range []int32{10, 30, 60} {
		w := w
		out = append(out, weirv1.CanaryStep{SetWeight: &w}, app.AnalysisStep())
	}
	return out
}

func stayUp(s *stack.Stack, app stack.App) error {
	root, _ := testenv.RepoRoot()
	kubectl := filepath.Join(testenv.BinDir(root), "kubectl") + " --kubeconfig " + s.Env.Kubeconfig
	dashboardURL, err := startDashboard(s)
	if err != nil {
		return err
	}
	fmt.Printf(`
The stack is up (everything on 127.0.0.1). Try:

  %s get rollouts,analysisruns,httproutes -n blog
  curl -H 'Host: %s' %s/
  %s -n blog patch rollout backend --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"demoapp:v2"}]'
  PATH=$PWD/bin:$PATH kubectl weir get rollout backend -n blog --watch --kubeconfig %s

Dashboard (kubectl weir dashboard, served by the demo): %s
Prometheus: %s   Traefik API: %s/api/http/services   logs: %s
ready: stop it with 'make demo-down' (or Ctrl-C).
`, kubectl, app.Host, s.GatewayURL, kubectl, s.Env.Kubeconfig, dashboardURL, s.Prometheus.URL, s.TraefikAPI, s.LogDir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	say("stopping the stack")
	return nil
}

// stepRecord is what one step of a release measured.
type stepRecord struct {
	step     string
	weight   int32
	sample   stack.Sample
	analysis string
	verdict  string
	run      string
}

// release changes the image and follows the Rollout until it is Healthy again or aborted,
// printing a line on every change and recording each step's traffic and analysis.
func release(ctx context.Context, s *stack.Stack, app stack.App, load *stack.Load, image, errorRate string) ([]stepRecord, error) {
	if err := app.Release(ctx, s.Client, image, errorRate); err != nil {
		return nil, err
	}
	var records []stepRecord
	var rec *stepRecord
	current := int32(-1)
	record := func(ro *weirv1.Rollout) {
		i := int32(-1)
		if ro.Status.CurrentStepIndex != nil {
			i = *ro.Status.CurrentStepIndex
		}
		ended := ro.Status.Aborted != nil || ro.Status.CurrentPodHash == ro.Status.StableRS
		if rec != nil {
			rec.analysis, rec.verdict = runSummary(ctx, s, app, ro, rec.run)
			if i != current || ended {
				rec.sample = load.Take()
				records = append(records, *rec)
				rec = nil
			}
		}
		if ended || i == current {
			return
		}
		current = i
		steps := ro.Spec.Strategy.Canary.Steps
		if int(i) < len(steps) && steps[i].Analysis != nil && ro.Status.Canary != nil && ro.Status.Canary.Weights != nil {
			load.Take() // count only this step's requests
			rec = &stepRecord{step: fmt.Sprintf("%d/%d analysis", i+1, len(steps)), weight: ro.Status.Canary.Weights.Desired.Canary,
				run: ro.Status.Canary.StepAnalysisRun}
		}
	}
	ro, err := waitFor(ctx, s, app, record, func(ro *weirv1.Rollout) bool {
		return ro.Status.CurrentPodHash != "" && (ro.Status.Aborted != nil && ro.Status.UpdatedReplicas == 0 ||
			ro.Status.Phase == weirv1.PhaseHealthy && ro.Status.StableRS == ro.Status.CurrentPodHash)
	})
	if err != nil {
		return nil, err
	}
	if ro.Status.Aborted != nil {
		say("%s aborted by Weir: %s", image, ro.Status.Aborted.Message)
	} else {
		say("%s promoted: it is the stable revision, 100%% of traffic", image)
	}
	return records, nil
}

// runSummary is the latest value and verdict of the step's analysis.
func runSummary(ctx context.Context, s *stack.Stack, app stack.App, ro *weirv1.Rollout, name string) (string, string) {
	if name == "" && ro.Status.Canary != nil {
		name = ro.Status.Canary.StepAnalysisRun
	}
	var run weirv1.AnalysisRun
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: name}, &run); err != nil {
		return "", ""
	}
	value := ""
	for _, mr := range run.Status.MetricResults {
		for _, m := range mr.Measurements {
			if m.Value != "" {
				value = m.Value
			}
		}
	}
	return value, string(run.Status.Phase)
}

// waitFor prints a line whenever the Rollout's state changes, until done holds.
func waitFor(ctx context.Context, s *stack.Stack, app stack.App, onChange func(*weirv1.Rollout), done func(*weirv1.Rollout) bool) (*weirv1.Rollout, error) {
	start := time.Now()
	last := ""
	deadline := start.Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var ro weirv1.Rollout
		if err := s.Client.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: app.Name}, &ro); err != nil {
			return nil, err
		}
		if onChange != nil {
			onChange(&ro)
		}
		if line := statusLine(&ro); line != last {
			fmt.Printf("    [%5.1fs] %s\n", time.Since(start).Seconds(), line)
			last = line
		}
		if ro.Status.ObservedGeneration == ro.Generation && done(&ro) {
			return &ro, nil
		}
		time.Sleep(200 * time.Millisecond) // a display refresh, not a synchronisation
	}
	return nil, fmt.Errorf("no outcome after 5 minutes")
}

func statusLine(ro *weirv1.Rollout) string {
	step := "-"
	if i := ro.Status.CurrentStepIndex; i != nil && ro.Spec.Strategy.Canary != nil {
		step = fmt.Sprintf("%d/%d", *i+1, len(ro.Spec.Strategy.Canary.Steps))
		if int(*i) >= len(ro.Spec.Strategy.Canary.Steps) {
			step = "done"
		}
	}
	weights := "-"
	if c := ro.Status.Canary; c != nil && c.Weights != nil {
		v := "?"
		if c.Weights.Verified != nil {
			v = fmt.Sprint(c.Weights.Verified.Canary)
		}
		weights = fmt.Sprintf("%d%% desired, %s%% verified", c.Weights.Desired.Canary, v)
	}
	return fmt.Sprintf("%-11s step %-4s canary %-24s %s", ro.Status.Phase, step, weights, ro.Status.Message)
}

func printSummary(title, version string, records []stepRecord) {
	fmt.Printf("Release %s\n", title)
	fmt.Printf("  %-14s %8s %20s %10s %12s\n", "step", "weight", "reached the canary", "5xx ratio", "verdict")
	for _, r := range records {
		share := 0.0
		if r.sample.Requests > 0 {
			// The canary answered with its version, or with its 500s (stable has none).
			share = 100 * float64(r.sample.Versions[version]+r.sample.Failed[500]) / float64(r.sample.Requests)
		}
		fmt.Printf("  %-14s %7d%% %9.1f%% of %4d %10s %12s\n", r.step, r.weight, share, r.sample.Requests, r.analysis, r.verdict)
	}
	fmt.Println()
}

// startDashboard serves kubectl weir's dashboard of every namespace on a free port of
// 127.0.0.1, with the stack's admin kubeconfig, for as long as the demo runs.
func startDashboard(s *stack.Stack) (string, error) {
	c, err := client.NewWithWatch(s.Env.Config, client.Options{Scheme: s.Env.Scheme})
	if err != nil {
		return "", err
	}
	d := &dashboard.Server{Client: c}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go d.Watch(context.Background())
	go func() { _ = http.Serve(ln, d.Handler()) }()
	return "http://" + ln.Addr().String() + "/#/", nil
}
