package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// series collects named samples in the order they were first added.
type series struct {
	order []string
	m     map[string][]float64
}

func (s *series) add(name string, d time.Duration) { s.addValue(name, durMs(d)) }

func (s *series) addValue(name string, v float64) {
	if s.m == nil {
		s.m = map[string][]float64{}
	}
	if _, ok := s.m[name]; !ok {
		s.order = append(s.order, name)
	}
	s.m[name] = append(s.m[name], v)
}

func first[T any](xs []T, f func(T) bool) (T, bool) {
	for _, x := range xs {
		if f(x) {
			return x, true
		}
	}
	var zero T
	return zero, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Names of scenario 1's rows, in print order, with their targets and peer figures.
var stepRows = []struct{ name, target, peer string }{
	{"image change → Healthy", "", "2.8–3.5 s"},
	{"  of which waiting for canary pods", "", ""},
	{"  of which 1 s pauses (effective)", "", ""},
	{"  of which stand-in gateway (route write → Accepted)", "", ""},
	{"  of which Weir (the rest)", "", ""},
	{"image change → release started (status)", "", ""},
	{"setWeight: step start → weight written (incl. pods)", "", ""},
	{"setWeight: canary pods available → weight written", "≤ 30 ms median", "≈ 230 ms step"},
	{"setWeight: weight Accepted → step completed", "", ""},
	{"setWeight: Weir overhead (the two above)", "≤ 30 ms median", "≈ 230 ms step"},
	{"setWeight: whole step (incl. pods, gateway)", "", ""},
	{"pause 1s: length, status watch (step i → i+1)", "1.00–1.05 s", "0.10–0.95 s"},
	{"pause 1s: length, weight Accepted → pause end", "1.00–1.05 s", "0.10–0.95 s"},
	{"pause 1s: length, stepStartedAt (controller clock)", "1.00–1.05 s", "0.10–0.95 s"},
	{"pause 1s, route edited every 100 ms: length, status watch", "1.00–1.05 s", "0.10–0.95 s"},
	{"pause 1s, route edited every 100 ms: length, stepStartedAt", "1.00–1.05 s", "0.10–0.95 s"},
	{"finish: all pods available → route written", "", ""},
	{"finish: route written → stable Service switched", "", ""},
	{"finish: route Accepted → Healthy", "", ""},
	{"stand-in gateway: route change seen → Accepted written", "", ""},
}

// stepOverhead is scenario 1: one Rollout, replicas 4, setWeight/pause steps, released
// cfg.reps times.
func stepOverhead(ctx context.Context, cl *cluster, cfg config) ([]result, error) {
	const replicas = 4
	steps := scenarioSteps()
	a := app{ns: "bench-steps", name: "web"}
	var load loadRange
	logf("scenario 1: step overhead — one Rollout, %d replicas, steps setWeight 25, pause 1s, setWeight 50, pause 1s, setWeight 75, pause 1s; %d releases; load %s",
		replicas, cfg.reps, load.sample())
	if err := createNamespace(ctx, cl.c, a.ns); err != nil {
		return nil, err
	}
	if err := createAll(ctx, cl.c, a.objects(replicas, steps, imageOf(0), func(c *weirv1.CanaryStrategy) {
		// The old revision goes at once, so every release starts from the same state.
		c.ScaleDownDelaySeconds = ptr.To[int32](0)
	})); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, cl, a, 1); err != nil {
		return nil, err
	}
	cl.acc.takeDelays()
	m0, _ := cl.ctrlMetrics()
	var s series
	for rep := 1; rep <= cfg.reps; rep++ {
		if err := settle(ctx, cl, a, replicas); err != nil {
			return nil, err
		}
		time.Sleep(300 * time.Millisecond)
		l := load.sample()
		tChange := time.Now()
		gen, err := setImage(ctx, cl.c, a, imageOf(rep))
		if err != nil {
			return nil, err
		}
		if err := waitHealthy(ctx, cl, a, gen); err != nil {
			return nil, err
		}
		time.Sleep(300 * time.Millisecond) // events are sent asynchronously
		total, err := analyseRelease(ctx, cl, a, steps, replicas, tChange, gen, &s)
		if err != nil {
			return nil, fmt.Errorf("release %d: %w", rep, err)
		}
		logf("  release %d/%d: image change → Healthy %s (load %s)", rep, cfg.reps, total.Round(time.Millisecond), l)
	}
	for _, d := range cl.acc.takeDelays() {
		s.add(stepRows[len(stepRows)-1].name, d)
	}
	logConflicts(cl, m0, cfg.reps)
	m0, _ = cl.ctrlMetrics()
	diffs0 := cl.rec.snapshotDiffs()
	// The same releases while something else edits the route (as a GitOps tool or another
	// controller may): every edit makes Weir reconcile the Rollout, also during its pauses.
	for rep := 1; rep <= cfg.noiseReps; rep++ {
		if err := settle(ctx, cl, a, replicas); err != nil {
			return nil, err
		}
		time.Sleep(300 * time.Millisecond)
		l := load.sample()
		noiseCtx, stopNoise := context.WithCancel(ctx)
		go editRoute(noiseCtx, cl, a)
		tChange := time.Now()
		gen, err := setImage(ctx, cl.c, a, imageOf(100+rep))
		if err == nil {
			err = waitHealthy(ctx, cl, a, gen)
		}
		stopNoise()
		if err != nil {
			return nil, err
		}
		time.Sleep(300 * time.Millisecond)
		var ns series
		total, err := analyseRelease(ctx, cl, a, steps, replicas, tChange, gen, &ns)
		if err != nil {
			return nil, fmt.Errorf("release with route edits %d: %w", rep, err)
		}
		for _, v := range ns.m["pause 1s: length, status watch (step i → i+1)"] {
			s.addValue("pause 1s, route edited every 100 ms: length, status watch", v)
		}
		for _, v := range ns.m["pause 1s: length, stepStartedAt (controller clock)"] {
			s.addValue("pause 1s, route edited every 100 ms: length, stepStartedAt", v)
		}
		logf("  release %d/%d with route edits every 100 ms: image change → Healthy %s, pauses (stepStartedAt) %v ms (load %s)",
			rep, cfg.noiseReps, total.Round(time.Millisecond), roundAll(ns.m["pause 1s: length, stepStartedAt (controller clock)"]), l)
	}
	cl.acc.takeDelays()
	if cfg.noiseReps > 0 {
		logf("  with route edits:")
		logConflicts(cl, m0, cfg.noiseReps)
		logf("  Rollout status changes per release with route edits, by the fields they changed: %s",
			formatCounts(delta(diffs0, cl.rec.snapshotDiffs()), float64(cfg.noiseReps)))
	}
	load.sample()
	var rows []result
	for _, r := range stepRows {
		samples := s.m[r.name]
		if samples == nil {
			continue
		}
		rows = append(rows, result{scenario: "1 step overhead", name: r.name, unit: ms, samples: samples,
			target: r.target, peer: r.peer, load: load.String()})
	}
	checkPauses(s)
	return rows, nil
}

// editRoute annotates the app's HTTPRoute every 100 ms until ctx ends (metadata only: the
// route's generation, and so the stand-in gateway, are unaffected).
func editRoute(ctx context.Context, cl *cluster, a app) {
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: a.name}}
	for i := 0; ; i++ {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"bench.weir.dev/edit":"%d"}}}`, i)
		_ = cl.c.Patch(ctx, route, client.RawPatch(types.MergePatchType, []byte(patch)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x)
	}
	return out
}

// checkPauses says loudly when a pause was shorter than configured.
func checkPauses(s series) {
	for _, name := range s.order {
		if len(name) < 6 || name[:6] != "pause " {
			continue
		}
		lo, _ := minMax(s.m[name])
		limit := 1000.0
		if !strings.Contains(name, "events") {
			limit = 990 // the watches add a few ms of jitter at either end
		}
		if lo < limit {
			logf("  NOTE: a 1 s pause lasted %.0f ms by %q: shorter than configured", lo, name)
		}
	}
}

// logConflicts prints the controller's API requests by response code since m0.
func logConflicts(cl *cluster, m0 metrics, releases int) {
	m1, err := cl.ctrlMetrics()
	if err != nil || m0 == nil || releases == 0 {
		return
	}
	codes := delta(m0.by("rest_client_requests_total", nil, "code"), m1.by("rest_client_requests_total", nil, "code"))
	methods := delta(m0.by("rest_client_requests_total", nil, "method"), m1.by("rest_client_requests_total", nil, "method"))
	logf("  controller API requests per release: %.1f by code (%s), by method (%s)",
		sumValues(codes)/float64(releases), formatCounts(codes, float64(releases)), formatCounts(methods, float64(releases)))
}

func waitHealthy(ctx context.Context, cl *cluster, a app, gen int64) error {
	return cl.rec.waitFor(ctx, 3*time.Minute, 0, fmt.Sprintf("Rollout %s Healthy at generation %d", a.key(), gen), func() bool {
		obs := cl.rec.rolloutObs(a.key(), time.Time{})
		return len(obs) > 0 && obs[len(obs)-1].healthy(gen)
	})
}

// settle waits until only the stable revision has pods, all of them available.
func settle(ctx context.Context, cl *cluster, a app, replicas int32) error {
	return cl.rec.waitFor(ctx, 3*time.Minute, 0, "old revisions of "+a.key()+" scaled down", func() bool {
		obs := cl.rec.rolloutObs(a.key(), time.Time{})
		if len(obs) == 0 {
			return false
		}
		stable := obs[len(obs)-1].stableRS
		for hash, rs := range cl.rec.lastReplicaSets(a.key()) {
			if hash == stable && rs.available != replicas || hash != stable && (rs.replicas != 0 || rs.total != 0) {
				return false
			}
		}
		return true
	})
}

// analyseRelease reads one release's timeline from the bench's watches and adds its
// figures to s. It returns image change → Healthy.
func analyseRelease(ctx context.Context, cl *cluster, a app, steps []weirv1.CanaryStep, replicas int32,
	tChange time.Time, gen int64, s *series) (time.Duration, error) {
	ros := cl.rec.rolloutObs(a.key(), tChange)
	routes := cl.rec.routeObs(a.key(), tChange)
	rss := cl.rec.rsObs(a.key(), tChange)
	started, ok := first(ros, func(o roObs) bool { return o.obsGen == gen && o.podHash != "" })
	if !ok {
		return 0, fmt.Errorf("no status for generation %d", gen)
	}
	hash := started.podHash
	healthy, ok := first(ros, func(o roObs) bool { return o.healthy(gen) })
	if !ok {
		return 0, fmt.Errorf("never Healthy")
	}
	n := len(steps)
	start := make([]time.Time, n+1)
	// startedAt is status.stepStartedAt: when the controller began the step, on its own
	// clock to the microsecond; zero when the step ended in the reconcile that began it.
	startedAt := make([]time.Time, n+1)
	for i := 0; i <= n; i++ {
		o, ok := first(ros, func(o roObs) bool { return o.obsGen == gen && o.podHash == hash && int(o.step) >= i })
		if !ok {
			return 0, fmt.Errorf("step %d never started", i)
		}
		start[i] = o.t
		if int(o.step) == i {
			startedAt[i] = o.stepStarted
		}
	}
	var podWait, pauses, gateway time.Duration
	accepted := map[int32]time.Time{}
	s.add("image change → release started (status)", started.t.Sub(tChange))
	for i, step := range steps {
		end := start[i+1]
		switch {
		case step.SetWeight != nil:
			w := *step.SetWeight
			need := planner.CanaryReplicas(replicas, w)
			ready, ok := first(rss, func(o rsObs) bool { return o.hash == hash && o.available >= need })
			if !ok {
				return 0, fmt.Errorf("step %d: canary pods never available", i)
			}
			written, ok1 := first(routes, func(o routeObs) bool { return o.canary == w })
			acc, ok2 := first(routes, func(o routeObs) bool { return o.canary == w && o.acceptedGen == o.gen })
			if !ok1 || !ok2 {
				return 0, fmt.Errorf("step %d: weight %d never written and Accepted on the route", i, w)
			}
			accepted[w] = acc.t
			from := later(start[i], ready.t)
			s.add("setWeight: step start → weight written (incl. pods)", written.t.Sub(start[i]))
			s.add("setWeight: canary pods available → weight written", written.t.Sub(from))
			s.add("setWeight: weight Accepted → step completed", end.Sub(acc.t))
			s.add("setWeight: Weir overhead (the two above)", written.t.Sub(from)+end.Sub(acc.t))
			s.add("setWeight: whole step (incl. pods, gateway)", end.Sub(start[i]))
			podWait += from.Sub(start[i])
			gateway += acc.t.Sub(written.t)
		case step.Pause != nil:
			d := end.Sub(start[i])
			pauses += d
			s.add("pause 1s: length, status watch (step i → i+1)", d)
			if t, ok := accepted[planner.WeightAt(steps, int32(i))]; ok {
				s.add("pause 1s: length, weight Accepted → pause end", end.Sub(t))
			}
			if !startedAt[i].IsZero() && !startedAt[i+1].IsZero() {
				s.add("pause 1s: length, stepStartedAt (controller clock)", startedAt[i+1].Sub(startedAt[i]))
			}
		}
	}
	// Finish: the canary at full size becomes stable; both Services select it and the
	// route goes back to 100/0.
	ready, ok := first(rss, func(o rsObs) bool { return o.hash == hash && o.available >= replicas })
	if !ok {
		return 0, fmt.Errorf("canary never at full size")
	}
	from := later(start[n], ready.t)
	last := accepted[planner.WeightAt(steps, int32(n-1))]
	final, ok1 := first(routes, func(o routeObs) bool { return o.t.After(last) && o.canary == 0 })
	finalAcc, ok2 := first(routes, func(o routeObs) bool { return o.t.After(last) && o.canary == 0 && o.acceptedGen == o.gen })
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("route never back to 100/0")
	}
	s.add("finish: all pods available → route written", final.t.Sub(from))
	if svc, ok := first(cl.rec.svcObs(a.ns+"/"+a.name+"-stable", tChange), func(o svcObs) bool { return o.hash == hash }); ok {
		s.add("finish: route written → stable Service switched", svc.t.Sub(final.t))
	}
	s.add("finish: route Accepted → Healthy", healthy.t.Sub(finalAcc.t))
	podWait += from.Sub(start[n])
	gateway += finalAcc.t.Sub(final.t)
	total := healthy.t.Sub(tChange)
	s.add("image change → Healthy", total)
	s.add("  of which waiting for canary pods", podWait)
	s.add("  of which 1 s pauses (effective)", pauses)
	s.add("  of which stand-in gateway (route write → Accepted)", gateway)
	s.add("  of which Weir (the rest)", total-podWait-pauses-gateway)
	if verbose {
		printTimeline(tChange, ros, routes, rss, hash)
	}
	return total, nil
}

var verbose bool

func printTimeline(t0 time.Time, ros []roObs, routes []routeObs, rss []rsObs, hash string) {
	type line struct {
		t    time.Time
		text string
	}
	var lines []line
	for _, o := range ros {
		lines = append(lines, line{o.t, fmt.Sprintf("rollout  gen=%d obs=%d step=%d phase=%s current=%s stable=%s stepStartedAt=%s",
			o.gen, o.obsGen, o.step, o.phase, o.podHash, o.stableRS, o.stepStarted.Format("15:04:05.000"))})
	}
	for _, o := range routes {
		lines = append(lines, line{o.t, fmt.Sprintf("route    gen=%d weights=%d/%d accepted=%d", o.gen, o.stable, o.canary, o.acceptedGen)})
	}
	for _, o := range rss {
		tag := "old"
		if o.hash == hash {
			tag = "new"
		}
		lines = append(lines, line{o.t, fmt.Sprintf("rs %s   replicas=%d total=%d available=%d", tag, o.replicas, o.total, o.available)})
	}
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j].t.Before(lines[i].t) {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	for _, l := range lines {
		fmt.Printf("      %8.1f ms  %s\n", durMs(l.t.Sub(t0)), l.text)
	}
}
