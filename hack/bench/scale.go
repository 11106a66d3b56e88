package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// scale runs scenarios 3 and 4 on one cluster: scenario 4 reuses scenario 3's Rollouts.
type scale struct {
	cl   *cluster
	cfg  config
	apps []app
}

const mb = 1 << 20

// create adds Rollouts until there are n, in namespaces of cfg.perNamespace, and waits
// until all of them are Healthy.
func (s *scale) create(ctx context.Context, n int, prefix string, replicas int32) error {
	from := len(s.apps)
	if n <= from {
		return nil
	}
	var fresh []app
	for i := from; i < n; i++ {
		fresh = append(fresh, app{ns: fmt.Sprintf("%s-%02d", prefix, (i-from)/s.cfg.perNamespace), name: fmt.Sprintf("r-%04d", i)})
	}
	seen := map[string]bool{}
	for _, a := range fresh {
		if !seen[a.ns] {
			seen[a.ns] = true
			if err := createNamespace(ctx, s.cl.c, a.ns); err != nil {
				return err
			}
		}
	}
	t0 := time.Now()
	var mutate func(*weirv1.CanaryStrategy)
	if s.cfg.noRouting {
		mutate = func(c *weirv1.CanaryStrategy) { c.TrafficRouting = nil }
	}
	logf("  creating %d Rollouts (%d replicas each) with their Services%s", len(fresh), replicas, map[bool]string{false: " and HTTPRoutes", true: ", no traffic routing"}[s.cfg.noRouting])
	var mu sync.Mutex
	done := 0
	p := progress{every: 10 * time.Second, last: time.Now()}
	err := parallel(len(fresh), 16, func(i int) error {
		if err := createAll(ctx, s.cl.c, fresh[i].objects(replicas, scenarioSteps(), imageOf(0), mutate)); err != nil {
			return err
		}
		mu.Lock()
		done++
		if p.due() {
			logf("  created %d/%d, load %s", done, len(fresh), readLoad())
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	s.apps = append(s.apps, fresh...)
	if err := s.waitAllHealthy(ctx, fresh, nil, 30*time.Minute); err != nil {
		return err
	}
	logf("  %d Rollouts created and Healthy in %s", len(fresh), time.Since(t0).Round(time.Second))
	return nil
}

// waitAllHealthy waits until every app is Healthy at its generation (gens[i], or 1).
func (s *scale) waitAllHealthy(ctx context.Context, apps []app, gens []int64, timeout time.Duration) error {
	p := progress{every: 10 * time.Second, last: time.Now()}
	return s.cl.rec.waitFor(ctx, timeout, 250*time.Millisecond, fmt.Sprintf("%d Rollouts Healthy", len(apps)), func() bool {
		last := s.cl.rec.lastRollouts()
		healthy := 0
		steps := map[int32]int{}
		for i, a := range apps {
			gen := int64(1)
			if gens != nil {
				gen = gens[i]
			}
			o := last[a.key()]
			if o.healthy(gen) {
				healthy++
			} else {
				steps[o.step]++
			}
		}
		if p.due() {
			rss := int64(0)
			if st, err := readProc(s.cl.ctrlPid()); err == nil {
				rss = st.RSS
			}
			logf("  %d/%d Healthy; others by step %v; controller RSS %d MiB; load %s", healthy, len(apps), steps, rss/mb, readLoad())
		}
		return healthy == len(apps)
	})
}

// waitOldScaledDown waits until only the stable revision of every app has pods.
func (s *scale) waitOldScaledDown(ctx context.Context, timeout time.Duration) error {
	return s.cl.rec.waitFor(ctx, timeout, time.Second, "old revisions scaled down", func() bool {
		last := s.cl.rec.lastRollouts()
		for _, a := range s.apps {
			stable := last[a.key()].stableRS
			for hash, rs := range s.cl.rec.lastReplicaSets(a.key()) {
				if hash != stable && (rs.replicas != 0 || rs.total != 0) {
					return false
				}
			}
		}
		return true
	})
}

// waitQuiet waits until the controller has reconciled nothing for quiet.
func (s *scale) waitQuiet(ctx context.Context, quiet, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last, since := -1.0, time.Now()
	for time.Now().Before(deadline) {
		m, err := s.cl.ctrlMetrics()
		if err != nil {
			return err
		}
		n := m.sum("controller_runtime_reconcile_total", nil)
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("the controller never went quiet for %s", quiet)
}

// snapshot is everything read before and after a window.
type snapshot struct {
	t       time.Time
	procs   map[string]procStat
	ctrl    metrics
	api     metrics
	changes map[string]changes
	diffs   map[string]float64
}

// snapWhenQuiet takes a snapshot once the controller has reconciled nothing for quiet: the
// edge of a measured window, with no work of the phase before it still running.
func (s *scale) snapWhenQuiet(ctx context.Context, quiet time.Duration) (snapshot, error) {
	if err := s.waitQuiet(ctx, quiet, 5*time.Minute); err != nil {
		return snapshot{}, err
	}
	return s.snap(ctx)
}

func (s *scale) snap(ctx context.Context) (snapshot, error) {
	sn := snapshot{t: time.Now(), procs: s.cl.procs(), changes: s.cl.rec.snapshotCounts(), diffs: s.cl.rec.snapshotDiffs()}
	var err error
	if sn.ctrl, err = s.cl.ctrlMetrics(); err != nil {
		return sn, err
	}
	sn.api, err = s.cl.apiserverMetrics(ctx)
	return sn, err
}

func (a snapshot) cpu(b snapshot, name string) float64 {
	return (b.procs[name].CPU - a.procs[name].CPU).Seconds()
}

// logCPU prints each process's CPU over the window and returns their sum.
func (a snapshot) logCPU(b snapshot, names ...string) float64 {
	total := 0.0
	for _, name := range names {
		c := a.cpu(b, name)
		total += c
		logf("  CPU during the release: %-26s %5.1f s", name, c)
	}
	return total
}

// apiTotal is every request kube-apiserver served over the window, from all clients.
func (a snapshot) apiTotal(b snapshot) float64 {
	return sumValues(delta(a.api.by("apiserver_request_total", nil, "verb"), b.api.by("apiserver_request_total", nil, "verb")))
}

func (a snapshot) requests(b snapshot) map[string]float64 {
	return delta(a.ctrl.by("rest_client_requests_total", nil, "method"), b.ctrl.by("rest_client_requests_total", nil, "method"))
}

func (a snapshot) apiRequests(b snapshot) map[string]float64 {
	d := delta(a.api.by("apiserver_request_total", nil, "verb", "resource", "subresource"),
		b.api.by("apiserver_request_total", nil, "verb", "resource", "subresource"))
	out := map[string]float64{}
	for k, v := range d {
		f := strings.Fields(k)
		if len(f) < 2 || f[0] == "WATCH" || f[0] == "GET" || f[0] == "LIST" {
			continue
		}
		switch f[1] {
		case "rollouts", "httproutes", "replicasets", "services", "analysisruns", "events":
			out[strings.Join(f, "/")] = v
		}
	}
	return out
}

func (a snapshot) reconciles(b snapshot, controller string) float64 {
	m := map[string]string{"controller": controller}
	return b.ctrl.sum("controller_runtime_reconcile_total", m) - a.ctrl.sum("controller_runtime_reconcile_total", m)
}

// meanOf is the mean of a histogram over the window, in ms.
func (a snapshot) meanOf(b snapshot, name string, match map[string]string) float64 {
	n := b.ctrl.sum(name+"_count", match) - a.ctrl.sum(name+"_count", match)
	if n == 0 {
		return 0
	}
	return (b.ctrl.sum(name+"_sum", match) - a.ctrl.sum(name+"_sum", match)) / n * 1000
}

func sumValues(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

// throughput is scenario 3.
func (s *scale) throughput(ctx context.Context) ([]result, error) {
	cfg, cl := s.cfg, s.cl
	n := cfg.rollouts
	var load loadRange
	logf("scenario 3: throughput — %d Rollouts, 2 replicas each, steps of scenario 1, released at once; controller at its defaults; load %s", n, load.sample())
	if err := s.create(ctx, n, "scale", 2); err != nil {
		return nil, err
	}
	apps := s.apps[:n]
	load.sample()
	before, err := s.snapWhenQuiet(ctx, 3*time.Second)
	if err != nil {
		return nil, err
	}
	ctrlPid, apiPid := cl.ctrlPid(), cl.pids["kube-apiserver"]
	for _, pid := range []int{ctrlPid, apiPid} {
		if err := resetPeak(pid); err != nil {
			logf("  cannot reset the peak RSS of pid %d: %v (peaks are since start)", pid, err)
		}
	}
	var profiling sync.WaitGroup
	if cfg.pprofDir != "" && cl.hasPprof() {
		profiling.Add(1)
		go func() {
			defer profiling.Done()
			dest := filepath.Join(cfg.pprofDir, "cpu-release.pprof")
			if err := cl.pprof(fmt.Sprintf("profile?seconds=%d", int(cfg.profileWindow.Seconds())), dest); err != nil {
				logf("  CPU profile: %v", err)
			}
		}()
	} else if cfg.pprofDir != "" {
		logf("  the controller serves no /debug/pprof/: no controller profiles")
	}
	if cfg.pprofDir != "" {
		profiling.Add(1)
		go func() {
			defer profiling.Done()
			dest := filepath.Join(cfg.pprofDir, "kube-apiserver-cpu-release.pprof")
			if err := cl.apiserverProfile(ctx, int(cfg.profileWindow.Seconds()), dest); err != nil {
				logf("  kube-apiserver CPU profile: %v", err)
			}
		}()
	}

	// The controller's request rate, second by second: does it sit at its client-side limit?
	rateCtx, stopRate := context.WithCancel(ctx)
	defer stopRate()
	rates := make(chan []float64, 1)
	go func() { rates <- sampleRate(rateCtx, cl) }()

	logf("  changing the image of all %d Rollouts", n)
	t0 := time.Now()
	gens, err := patchImages(ctx, cl.c, n, types.MergePatchType, func(i int) client.Object { return apps[i].ref() })
	if err != nil {
		return nil, err
	}
	logf("  %d image changes sent in %s", n, time.Since(t0).Round(time.Millisecond))
	if err := s.waitAllHealthy(ctx, apps, gens, cfg.scaleTimeout); err != nil {
		return nil, err
	}
	healthy, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	stopRate()
	perSecond := <-rates
	load.sample()
	// When did each become Healthy, and how long did its pauses last?
	var perRollout, pauseLens, pauseClock []float64
	var tAll time.Time
	steps := scenarioSteps()
	for i, a := range apps {
		ros := cl.rec.rolloutObs(a.key(), t0)
		h, ok := first(ros, func(o roObs) bool { return o.healthy(gens[i]) })
		if !ok {
			return nil, fmt.Errorf("%s: no Healthy observation", a.key())
		}
		perRollout = append(perRollout, h.t.Sub(t0).Seconds())
		tAll = later(tAll, h.t)
		for j, st := range steps {
			if st.Pause == nil {
				continue
			}
			o1, ok1 := first(ros, func(o roObs) bool { return o.obsGen == gens[i] && int(o.step) >= j })
			o2, ok2 := first(ros, func(o roObs) bool { return o.obsGen == gens[i] && int(o.step) >= j+1 })
			if ok1 && ok2 && int(o1.step) == j {
				pauseLens = append(pauseLens, durMs(o2.t.Sub(o1.t)))
				if int(o2.step) == j+1 {
					pauseClock = append(pauseClock, durMs(o2.stepStarted.Sub(o1.stepStarted)))
				}
			}
		}
	}
	allHealthy := tAll.Sub(t0)
	logf("  all %d Rollouts Healthy %s after the first image change (load %s)", n, allHealthy.Round(100*time.Millisecond), readLoad())
	if cfg.pprofDir != "" && cl.hasPprof() {
		if err := cl.pprof("heap", filepath.Join(cfg.pprofDir, "heap-release.pprof")); err != nil {
			logf("  heap profile: %v", err)
		}
	}

	// The release isn't over until the old revisions are scaled down (scaleDownDelaySeconds
	// defaults to 30 s): count those requests too.
	if err := s.waitOldScaledDown(ctx, 5*time.Minute); err != nil {
		return nil, err
	}
	done, err := s.snapWhenQuiet(ctx, 3*time.Second)
	if err != nil {
		return nil, err
	}
	profiling.Wait()
	load.sample()

	N := float64(n)
	reqHealthy := before.requests(healthy)
	reqDone := before.requests(done)
	api := before.apiRequests(done)
	chg := changeDelta(before.changes, done.changes)
	statusWrites := api["PUT/rollouts/status"] + api["PATCH/rollouts/status"] // older builds (-controller) patched
	statusChanges := float64(chg["Rollout"].updates - chg["Rollout"].spec)
	routeApplies := api["APPLY/httproutes"] + api["PATCH/httproutes"]
	svcApplies := api["APPLY/services"] + api["PATCH/services"]
	logf("  controller API requests per release until all Healthy: %.1f (%s)", sumValues(reqHealthy)/N, formatCounts(reqHealthy, N))
	codes := delta(before.ctrl.by("rest_client_requests_total", nil, "code"), done.ctrl.by("rest_client_requests_total", nil, "code"))
	logf("  … by response code, incl. scale-down: %s", formatCounts(codes, N))
	logf("  … including the old revision's scale-down: %.1f (%s)", sumValues(reqDone)/N, formatCounts(reqDone, N))
	logf("  writes seen by kube-apiserver per release (all clients; the bench's are the image PATCH on rollouts and PUT on httproutes/status): %s", formatCounts(api, N))
	logf("  changes seen by the bench's watches per release: Rollout status %.1f, HTTPRoute spec %.1f, ReplicaSet spec/annotations by Weir %.1f, Service selector %.1f",
		statusChanges/N, float64(chg["HTTPRoute"].spec)/N, float64(chg["ReplicaSet"].spec)/N, float64(chg["Service"].spec)/N)
	logf("  Rollout status writes that changed nothing: %.1f of %.1f per release; HTTPRoute applies that changed nothing: %.1f of %.1f; Service applies that changed nothing: %.1f of %.1f",
		(statusWrites-statusChanges)/N, statusWrites/N, (routeApplies-float64(chg["HTTPRoute"].spec))/N, routeApplies/N,
		(svcApplies-float64(chg["Service"].spec))/N, svcApplies/N)
	recRollout := before.reconciles(done, "rollout")
	queueWait := before.meanOf(healthy, "workqueue_queue_duration_seconds", map[string]string{"name": "rollout"})
	reconcileTime := before.meanOf(healthy, "controller_runtime_reconcile_time_seconds", map[string]string{"controller": "rollout"})
	workers := healthy.ctrl.sum("controller_runtime_max_concurrent_reconciles", map[string]string{"controller": "rollout"})
	logf("  rollout reconciles per release %.1f; mean reconcile %.1f ms, mean wait in the work queue %.0f ms, workers %.0f",
		recRollout/N, reconcileTime, queueWait, workers)
	busy := (healthy.ctrl.sum("controller_runtime_reconcile_time_seconds_sum", map[string]string{"controller": "rollout"}) -
		before.ctrl.sum("controller_runtime_reconcile_time_seconds_sum", map[string]string{"controller": "rollout"})) / allHealthy.Seconds()
	logf("  the rollout worker was busy %.0f%% of the release", 100*busy/max(workers, 1))
	causes := delta(before.diffs, healthy.diffs)
	logf("  Rollout status changes per release by the fields they changed: %s", formatCounts(causes, N))
	allAPI := delta(before.api.by("apiserver_request_total", nil, "verb"), healthy.api.by("apiserver_request_total", nil, "verb"))
	delete(allAPI, "WATCH")
	logf("  kube-apiserver requests per release, all clients, until all Healthy: %.1f (%s); Weir's share %.0f%%",
		sumValues(allAPI)/N, formatCounts(allAPI, N), 100*sumValues(reqHealthy)/max(sumValues(allAPI), 1))
	latency := map[string]float64{}
	counts := delta(before.api.by("apiserver_request_duration_seconds_count", nil, "verb", "resource", "subresource"),
		healthy.api.by("apiserver_request_duration_seconds_count", nil, "verb", "resource", "subresource"))
	sums := delta(before.api.by("apiserver_request_duration_seconds_sum", nil, "verb", "resource", "subresource"),
		healthy.api.by("apiserver_request_duration_seconds_sum", nil, "verb", "resource", "subresource"))
	for k, c := range counts {
		f := strings.Fields(k)
		if len(f) >= 2 && c >= N && f[0] != "WATCH" {
			latency[strings.Join(f, "/")] = sums[k] / c * 1000
		}
	}
	logf("  kube-apiserver mean latency (ms) of requests seen at least once per release: %s", formatCounts(latency, 1))
	for _, name := range []string{"weir-controller", "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "bench (this process)"} {
		logf("  CPU during the release (image change → all Healthy): %-24s %6.1f s", name, before.cpu(healthy, name))
	}
	if cfg.pprofDir != "" {
		printProfiles(cfg.pprofDir, "cpu-release.pprof", "heap-release.pprof", "kube-apiserver-cpu-release.pprof")
	}

	_, peakRate := minMax(perSecond)
	logf("  controller request rate during the release: median %.0f/s, p95 %.0f/s, peak %.0f/s over %d one-second samples",
		quantile(perSecond, 0.5), quantile(perSecond, 0.95), peakRate, len(perSecond))

	sc := "3 throughput"
	ld := load.String()
	note := fmt.Sprintf("%d Rollouts", n)
	if cfg.noRouting {
		note += ", no traffic routing"
	}
	rows := []result{
		{scenario: sc, name: "all images changed → all Healthy", note: note, unit: secs, samples: []float64{allHealthy.Seconds()}, target: "≤ 30 s (500)", peer: "482 s (500)", load: ld},
		{scenario: sc, name: "per Rollout: image change → Healthy", unit: secs, samples: perRollout, load: ld},
		{scenario: sc, name: "pause 1s at scale: length (status watch)", unit: ms, samples: pauseLens, target: "1.00–1.05 s", peer: "0.10–0.95 s", load: ld},
		{scenario: sc, name: "pause 1s at scale: length (stepStartedAt, controller clock)", unit: ms, samples: pauseClock, target: "1.00–1.05 s", peer: "0.10–0.95 s", load: ld},
		{scenario: sc, name: "controller peak RSS during the release", unit: mib, samples: []float64{float64(healthy.procs["weir-controller"].HWM) / mb}, target: "≤ 80 MiB", peer: "≈ 159 MiB", load: ld},
		{scenario: sc, name: "controller peak RSS since start (incl. creating them)", unit: mib, samples: []float64{float64(max(before.procs["weir-controller"].HWM, healthy.procs["weir-controller"].HWM)) / mb}, load: ld},
		{scenario: sc, name: "controller CPU, image change → all Healthy", unit: cpus, samples: []float64{before.cpu(healthy, "weir-controller")}, load: ld},
		{scenario: sc, name: "kube-apiserver CPU, image change → all Healthy", unit: cpus, samples: []float64{before.cpu(healthy, "kube-apiserver")}, load: ld},
		{scenario: sc, name: "kube-apiserver peak RSS since start", unit: mib, samples: []float64{float64(max(before.procs["kube-apiserver"].HWM, healthy.procs["kube-apiserver"].HWM)) / mb}, peer: "≈ 860 MiB", load: ld},
		{scenario: sc, name: "API requests per release, until all Healthy", unit: count, samples: []float64{sumValues(reqHealthy) / N}, target: "≤ 25", peer: "≈ 69", load: ld},
		{scenario: sc, name: "API requests per release, incl. old revision scale-down", unit: count, samples: []float64{sumValues(reqDone) / N}, target: "≤ 25", peer: "≈ 69", load: ld},
		{scenario: sc, name: "  Rollout status writes (PUT) per release", unit: count, samples: []float64{statusWrites / N}, load: ld},
		{scenario: sc, name: "  … of which changed nothing", unit: count, samples: []float64{max(statusWrites-statusChanges, 0) / N}, load: ld},
		{scenario: sc, name: "controller API requests per second (1 s samples)", unit: count, samples: perSecond, load: ld},
		{scenario: sc, name: "rollout reconciles per release", unit: count, samples: []float64{recRollout / N}, load: ld},
		{scenario: sc, name: "mean wait in the rollout work queue", unit: ms, samples: []float64{queueWait}, load: ld},
		{scenario: sc, name: "mean rollout reconcile", unit: ms, samples: []float64{reconcileTime}, note: fmt.Sprintf("%.0f worker(s)", workers), load: ld},
	}
	return rows, nil
}

// sampleRate scrapes the controller's request counter every second until ctx ends and
// returns the requests of each second.
func sampleRate(ctx context.Context, cl *cluster) []float64 {
	var out []float64
	last, lastT := -1.0, time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		m, err := cl.ctrlMetrics()
		if err == nil {
			n, now := m.sum("rest_client_requests_total", nil), time.Now()
			if last >= 0 {
				out = append(out, (n-last)/now.Sub(lastT).Seconds())
			}
			last, lastT = n, now
		}
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

func changeDelta(a, b map[string]changes) map[string]changes {
	out := map[string]changes{}
	for k, v := range b {
		out[k] = changes{adds: v.adds - a[k].adds, updates: v.updates - a[k].updates, spec: v.spec - a[k].spec}
	}
	return out
}

// idleCost is scenario 4.
