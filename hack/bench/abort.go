package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

const (
	badSeries  = `weir_bench_error_ratio{service="canary"}`
	badQuery   = `max(weir_bench_error_ratio{service="canary"})`
	threshold  = 0.05
	badValue   = 0.3
	promPoll   = 10 * time.Millisecond
	abortSteps = "setWeight 25, analysis (Prometheus, interval 1s), setWeight 50"
)

var abortRows = []struct{ name, target, peer string }{
	{"exporter bad → failing sample visible in Prometheus (scrape 1 s)", "", ""},
	{"failing sample visible → failing measurement recorded (interval 1 s)", "", "+0–1 s detection"},
	{"failing measurement → abort recorded (status.aborted)", "", "≈ 24 ms"},
	{"failing measurement → canary weight 0 written", "≤ 50 ms", ""},
	{"failing measurement → weight 0 verified (weightVerifiedAt)", "≤ 300 ms", ""},
	{"failing measurement → canary ReplicaSet at 0", "", "≈ 147 ms"},
	{"failing sample visible → canary weight 0 written", "≤ 50 ms if from the sample", ""},
	{"failing sample visible → weight 0 verified", "≤ 300 ms if from the sample", ""},
	{"failing sample visible → canary ReplicaSet at 0", "", "147 ms + 0–1 s"},
	{"stand-in gateway: route change seen → Accepted written", "", ""},
}

// abortReaction is scenario 2: a step analysis against a real Prometheus that scrapes a
// local exporter; the exporter turns bad and the bench times Weir's reaction.
func abortReaction(ctx context.Context, cl *cluster, cfg config) ([]result, error) {
	const replicas = 4
	a := app{ns: "bench-abort", name: "web"}
	var load loadRange
	logf("scenario 2: abort reaction — one Rollout, %d replicas, steps %s, Prometheus provider; %d aborts; load %s",
		replicas, abortSteps, cfg.abortReps, load.sample())
	exp, err := testenv.StartExporter()
	if err != nil {
		return nil, err
	}
	defer exp.Close()
	exp.Set(badSeries, 0)
	prom, err := testenv.StartPrometheus(exp.Addr)
	if err != nil {
		return nil, err
	}
	defer prom.Close()
	pc := newPromClient(prom.URL)

	if err := createNamespace(ctx, cl.c, a.ns); err != nil {
		return nil, err
	}
	tmpl := fixture.RatioTemplate(a.ns, "error-ratio", prom.URL, `max(weir_bench_error_ratio{service="{{args.service}}"})`, 300, threshold)
	steps := []weirv1.CanaryStep{setWeight(25), {Analysis: &weirv1.RolloutAnalysis{
		Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-ratio"}},
		Args:      []weirv1.AnalysisRunArgument{{Name: "service", Value: ptr.To("canary")}},
	}}, setWeight(50)}
	objs := append(a.objects(replicas, steps, imageOf(0), func(c *weirv1.CanaryStrategy) {
		c.ScaleDownDelaySeconds = ptr.To[int32](0)
		c.AbortScaleDownDelaySeconds = ptr.To[int32](0) // measure the reaction, not the delay
	}), tmpl)
	if err := createAll(ctx, cl.c, objs); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, cl, a, 1); err != nil {
		return nil, err
	}
	cl.acc.takeDelays()
	m0, _ := cl.ctrlMetrics()
	defer func() { logConflicts(cl, m0, cfg.abortReps) }()
	var s series
	for rep := 1; rep <= cfg.abortReps; rep++ {
		exp.Set(badSeries, 0)
		if err := waitProm(ctx, pc, func(v float64) bool { return v < threshold }); err != nil {
			return nil, err
		}
		if err := settle(ctx, cl, a, replicas); err != nil {
			return nil, err
		}
		l := load.sample()
		tChange := time.Now()
		gen, err := setImage(ctx, cl.c, a, imageOf(1000+rep))
		if err != nil {
			return nil, err
		}
		var run, hash string
		if err := cl.rec.waitFor(ctx, 2*time.Minute, 0, "a first good measurement", func() bool {
			ros := cl.rec.rolloutObs(a.key(), tChange)
			if len(ros) == 0 {
				return false
			}
			o := ros[len(ros)-1]
			if o.obsGen != gen || o.stepRun == "" {
				return false
			}
			run, hash = o.stepRun, o.podHash
			runs := cl.rec.runObs(a.ns+"/"+run, tChange)
			return len(runs) > 0 && runs[len(runs)-1].successful >= 1
		}); err != nil {
			return nil, err
		}
		// A random phase against the 1 s scrape and measurement intervals.
		time.Sleep(rand.N(time.Second))
		tBad := time.Now()
		exp.Set(badSeries, badValue)
		if err := waitProm(ctx, pc, func(v float64) bool { return v >= threshold }); err != nil {
			return nil, err
		}
		tVisible := time.Now()
		if err := cl.rec.waitFor(ctx, time.Minute, 0, "the abort to scale the canary down", func() bool {
			ros := cl.rec.rolloutObs(a.key(), tBad)
			if len(ros) == 0 || !ros[len(ros)-1].abortVerified {
				return false
			}
			rs, ok := cl.rec.lastReplicaSets(a.key())[hash]
			return ok && rs.replicas == 0
		}); err != nil {
			return nil, err
		}
		ros := cl.rec.rolloutObs(a.key(), tBad)
		routes := cl.rec.routeObs(a.key(), tBad)
		rss := cl.rec.rsObs(a.key(), tBad)
		failed, ok1 := first(cl.rec.runObs(a.ns+"/"+run, tBad), func(o runObs) bool { return o.phase == weirv1.AnalysisFailed })
		aborted, ok2 := first(ros, func(o roObs) bool { return o.aborted })
		verified, ok3 := first(ros, func(o roObs) bool { return o.abortVerified })
		zero, ok4 := first(routes, func(o routeObs) bool { return o.canary == 0 })
		scaled, ok5 := first(rss, func(o rsObs) bool { return o.hash == hash && o.replicas == 0 })
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return nil, fmt.Errorf("abort %d: incomplete timeline (run failed %v, aborted %v, verified %v, weight 0 %v, scaled %v)",
				rep, ok1, ok2, ok3, ok4, ok5)
		}
		s.add(abortRows[0].name, tVisible.Sub(tBad))
		s.add(abortRows[1].name, failed.t.Sub(tVisible))
		s.add(abortRows[2].name, aborted.t.Sub(failed.t))
		s.add(abortRows[3].name, zero.t.Sub(failed.t))
		s.add(abortRows[4].name, verified.t.Sub(failed.t))
		s.add(abortRows[5].name, scaled.t.Sub(failed.t))
		s.add(abortRows[6].name, zero.t.Sub(tVisible))
		s.add(abortRows[7].name, verified.t.Sub(tVisible))
		s.add(abortRows[8].name, scaled.t.Sub(tVisible))
		logf("  abort %d/%d: sample visible %s after the exporter turned bad, measurement +%s, abort +%s, weight 0 +%s, verified +%s, canary RS 0 +%s (load %s)",
			rep, cfg.abortReps, tVisible.Sub(tBad).Round(time.Millisecond), failed.t.Sub(tVisible).Round(time.Millisecond),
			aborted.t.Sub(failed.t).Round(time.Millisecond), zero.t.Sub(failed.t).Round(time.Millisecond),
			verified.t.Sub(failed.t).Round(time.Millisecond), scaled.t.Sub(failed.t).Round(time.Millisecond), l)
		if verbose {
			printTimeline(tBad, ros, routes, rss, hash)
		}
	}
	exp.Set(badSeries, 0)
	for _, d := range cl.acc.takeDelays() {
		s.add(abortRows[len(abortRows)-1].name, d)
	}
	load.sample()
	var rows []result
	for _, r := range abortRows {
		if samples := s.m[r.name]; samples != nil {
			rows = append(rows, result{scenario: "2 abort reaction", name: r.name, unit: ms, samples: samples,
				target: r.target, peer: r.peer, load: load.String()})
		}
	}
	return rows, nil
}

// waitProm polls Prometheus every promPoll until the query's answer satisfies ok.
func waitProm(ctx context.Context, pc *promClient, ok func(float64) bool) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if v, found, err := pc.query(ctx, badQuery); err == nil && found && ok(v) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(promPoll):
		}
	}
	return fmt.Errorf("prometheus never answered as expected to %s", badQuery)
}
