package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

func (s *scale) idleCost(ctx context.Context) ([]result, error) {
	cfg, cl := s.cfg, s.cl
	n := cfg.idleRollouts
	var load loadRange
	logf("scenario 4: idle cost — %d Healthy Rollouts (%d from scenario 3 with 2 replicas, the rest with 1); load %s", n, min(len(s.apps), n), load.sample())
	if err := s.create(ctx, n, "idle", 1); err != nil {
		return nil, err
	}
	n = len(s.apps) // scenario 3 may have left more

	if err := s.waitOldScaledDown(ctx, 5*time.Minute); err != nil {
		return nil, err
	}
	if err := s.waitQuiet(ctx, 5*time.Second, 5*time.Minute); err != nil {
		return nil, err
	}
	pid := cl.ctrlPid()
	if err := resetPeak(pid); err != nil {
		logf("  cannot reset the peak RSS: %v", err)
	}
	before, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	logf("  watching the idle controller for %s", cfg.idle)
	var rss []float64
	deadline := time.Now().Add(cfg.idle)
	for time.Now().Before(deadline) {
		if st, err := readProc(pid); err == nil {
			rss = append(rss, float64(st.RSS)/mb)
		}
		load.sample()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(5*time.Second, time.Until(deadline)+time.Millisecond)):
		}
	}
	after, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.pprofDir != "" && cl.hasPprof() {
		if err := cl.pprof("heap", filepath.Join(cfg.pprofDir, "heap-idle.pprof")); err != nil {
			logf("  heap profile: %v", err)
		}
	}
	minutes := after.t.Sub(before.t).Minutes()
	heap := after.ctrl.sum("go_memstats_heap_inuse_bytes", nil) / mb
	reqs := before.requests(after)
	logf("  idle: controller RSS %.0f MiB, heap in use %.0f MiB, CPU %.2f s/min, %.1f API requests/min (%s), %.1f reconciles/min",
		rss[len(rss)-1], heap, before.cpu(after, "weir-controller")/minutes, sumValues(reqs)/minutes, formatCounts(reqs, minutes),
		before.reconciles(after, "rollout")/minutes)

	// A restart with them all: what the controller costs when it (re)reads the cluster.
	logf("  restarting the controller with %d Rollouts", n)
	preRestart, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cl.restartController(); err != nil {
		return nil, err
	}
	ready := time.Since(t0)
	var synced time.Duration
	for {
		m, err := cl.ctrlMetrics()
		if err != nil {
			return nil, err
		}
		if m.sum("controller_runtime_reconcile_total", map[string]string{"controller": "rollout"}) >= float64(n) {
			synced = time.Since(t0)
			break
		}
		if time.Since(t0) > 10*time.Minute {
			return nil, fmt.Errorf("the restarted controller never reconciled all %d Rollouts", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	restarted, err := s.snapWhenQuiet(ctx, 5*time.Second)
	if err != nil {
		return nil, err
	}
	load.sample()
	restartReqs := restarted.ctrl.by("rest_client_requests_total", nil, "method")
	logf("  restart: reconciles by controller and result: %s; max concurrent reconciles: %s",
		formatCounts(restarted.ctrl.by("controller_runtime_reconcile_total", nil, "controller", "result"), 1),
		formatCounts(restarted.ctrl.by("controller_runtime_max_concurrent_reconciles", nil, "controller"), 1))
	api := preRestart.apiRequests(restarted)
	chg := changeDelta(preRestart.changes, restarted.changes)
	statusWrites := api["PUT/rollouts/status"] + api["PATCH/rollouts/status"] // older builds (-controller) patched
	statusChanges := float64(chg["Rollout"].updates - chg["Rollout"].spec)
	logf("  restart: ready in %s, all %d reconciled in %s; peak RSS %d MiB; CPU %.1f s; API requests %s; Rollout status writes %.0f, of which changed nothing %.0f",
		ready.Round(time.Millisecond), n, synced.Round(time.Millisecond), restarted.procs["weir-controller"].HWM/mb,
		restarted.procs["weir-controller"].CPU.Seconds(), formatCounts(restartReqs, 1), statusWrites, statusWrites-statusChanges)
	// Settled: the restarted controller holds its caches and nothing else (no events cached
	// by the recorder, no garbage of a release).
	time.Sleep(20 * time.Second)
	settled, err := s.snap(ctx)
	if err != nil {
		return nil, err
	}
	settledHeap := settled.ctrl.sum("go_memstats_heap_inuse_bytes", nil) / mb
	logf("  restart: 20 s after going quiet: RSS %d MiB, heap in use %.0f MiB", settled.procs["weir-controller"].RSS/mb, settledHeap)
	if cfg.pprofDir != "" && cl.hasPprof() {
		if err := cl.pprof("heap", filepath.Join(cfg.pprofDir, "heap-restarted.pprof")); err != nil {
			logf("  heap profile: %v", err)
		}
	}
	if cfg.pprofDir != "" {
		printProfiles(cfg.pprofDir, "heap-idle.pprof", "heap-restarted.pprof")
	}

	sc := "4 idle cost"
	ld := load.String()
	note := fmt.Sprintf("%d Rollouts", n)
	return []result{
		{scenario: sc, name: "controller RSS while idle (every 5 s)", note: note, unit: mib, samples: rss, target: "≤ 100 MiB", load: ld},
		{scenario: sc, name: "controller peak RSS during the idle window", unit: mib, samples: []float64{float64(after.procs["weir-controller"].HWM) / mb}, target: "≤ 100 MiB", load: ld},
		// Go collects at least every 2 minutes even when nothing allocates, so with -idle
		// of 2m or more the last sample shows the steady state after a burst.
		{scenario: sc, name: "controller RSS at the end of the idle window", unit: mib, samples: last(rss), target: "≤ 100 MiB", load: ld},
		{scenario: sc, name: "controller Go heap in use", unit: mib, samples: []float64{heap}, load: ld},
		{scenario: sc, name: "controller CPU per minute, idle", unit: cpus, samples: []float64{before.cpu(after, "weir-controller") / minutes}, target: "near zero", load: ld},
		{scenario: sc, name: "API requests per minute, idle", unit: count, samples: []float64{sumValues(reqs) / minutes}, load: ld},
		{scenario: sc, name: "restart: start → all Rollouts reconciled", unit: secs, samples: []float64{synced.Seconds()}, load: ld},
		{scenario: sc, name: "restart: controller peak RSS", unit: mib, samples: []float64{float64(restarted.procs["weir-controller"].HWM) / mb}, load: ld},
		{scenario: sc, name: "restart: controller CPU", unit: cpus, samples: []float64{restarted.procs["weir-controller"].CPU.Seconds()}, load: ld},
		{scenario: sc, name: "restart: RSS 20 s after going quiet", unit: mib, samples: []float64{float64(settled.procs["weir-controller"].RSS) / mb}, target: "≤ 100 MiB", load: ld},
		{scenario: sc, name: "restart: Go heap in use 20 s after going quiet", unit: mib, samples: []float64{settledHeap}, load: ld},
		{scenario: sc, name: "restart: API requests", unit: count, samples: []float64{sumValues(restartReqs)}, load: ld},
		{scenario: sc, name: "restart: Rollout status writes that changed nothing", unit: count, samples: []float64{max(statusWrites-statusChanges, 0)}, load: ld},
	}, nil
}

// printProfiles prints the top of each profile with go tool pprof.
func printProfiles(dir string, names ...string) {
	for _, name := range names {
		path := filepath.Join(dir, name)
		out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", path).CombinedOutput()
		if err != nil {
			continue // no profile taken
		}
		logf("  %s:\n%s", path, out)
	}
}

// last is the last sample, if any.
func last(xs []float64) []float64 {
	if len(xs) == 0 {
		return nil
	}
	return xs[len(xs)-1:]
}
