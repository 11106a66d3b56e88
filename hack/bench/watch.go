package main

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv"
)

// Observations: what the bench's watches saw, each stamped with the time the event
// reached the bench (the same clock and the same kind of watch latency for every kind, so
// differences between them are what the controller took).

type roObs struct {
	t             time.Time
	gen, obsGen   int64
	phase         weirv1.RolloutPhase
	step          int32 // -1 when unset
	podHash       string
	stableRS      string
	stepRun       string
	aborted       bool
	abortVerified bool
	stepStarted   time.Time // status.stepStartedAt (microseconds, the controller clock)
}

func (o roObs) healthy(gen int64) bool {
	return o.gen == gen && o.obsGen == gen && o.phase == weirv1.PhaseHealthy && o.podHash != "" && o.stableRS == o.podHash
}

type routeObs struct {
	t              time.Time
	gen            int64
	stable, canary int32
	acceptedGen    int64
}

type rsObs struct {
	t         time.Time
	hash      string
	replicas  int32 // spec
	available int32
	total     int32 // status.replicas
}

type runObs struct {
	t                  time.Time
	phase              weirv1.AnalysisPhase
	successful, failed int32
}

type svcObs struct {
	t    time.Time
	hash string
}

// changes counts the update events of one kind: writes that changed something. A write
// that changes nothing is never seen here (the API server doesn't store it).
type changes struct {
	adds, updates, spec int64
}

// recorder keeps every observation by object key (namespace/name; ReplicaSets by their
// Rollout's key).
type recorder struct {
	mu       sync.Mutex
	changed  chan struct{}
	rollouts map[string][]roObs
	// statusDiffs counts Rollout status changes by the set of status fields they changed.
	statusDiffs map[string]int
	routes      map[string][]routeObs
	rs          map[string][]rsObs
	runs        map[string][]runObs
	svcs        map[string][]svcObs
	counts      map[string]*changes
}

func newRecorder() *recorder {
	return &recorder{
		changed:     make(chan struct{}),
		rollouts:    map[string][]roObs{},
		statusDiffs: map[string]int{},
		routes:      map[string][]routeObs{},
		rs:          map[string][]rsObs{},
		runs:        map[string][]runObs{},
		svcs:        map[string][]svcObs{},
		counts:      map[string]*changes{},
	}
}

func keyOf(o metav1.Object) string { return o.GetNamespace() + "/" + o.GetName() }

// notify wakes the waiters; called with mu held.
func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) count(kind string, add, spec bool) {
	c := r.counts[kind]
	if c == nil {
		c = &changes{}
		r.counts[kind] = c
	}
	if add {
		c.adds++
		return
	}
	c.updates++
	if spec {
		c.spec++
	}
}

// snapshotDiffs copies the status-change causes.
func (r *recorder) snapshotDiffs() map[string]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]float64{}
	for k, v := range r.statusDiffs {
		out[k] = float64(v)
	}
	return out
}

// statusDiff names the status fields that differ ("canary.weights", "conditions[Ready]", …),
// ignoring condition timestamps.
func statusDiff(a, b *weirv1.RolloutStatus) string {
	am, bm := toMap(a), toMap(b)
	var out []string
	for _, k := range unionKeys(am, bm) {
		switch {
		case reflect.DeepEqual(am[k], bm[k]):
		case k == "conditions":
			out = append(out, conditionsDiff(a.Conditions, b.Conditions))
		case k == "canary":
			ac, _ := am[k].(map[string]any)
			bc, _ := bm[k].(map[string]any)
			for _, kk := range unionKeys(ac, bc) {
				if !reflect.DeepEqual(ac[kk], bc[kk]) {
					out = append(out, "canary."+kk)
				}
			}
		default:
			out = append(out, k)
		}
	}
	return strings.Join(out, ",")
}

func conditionsDiff(a, b []metav1.Condition) string {
	byType := map[string]metav1.Condition{}
	for _, c := range a {
		byType[c.Type] = c
	}
	var changed []string
	for _, c := range b {
		o := byType[c.Type]
		if o.Status != c.Status || o.Reason != c.Reason || o.Message != c.Message || o.ObservedGeneration != c.ObservedGeneration {
			what := "status"
			switch {
			case o.Status != c.Status:
			case o.Reason != c.Reason:
				what = "reason"
			case o.Message != c.Message:
				what = "message"
			default:
				what = "generation"
			}
			changed = append(changed, c.Type+":"+what)
		}
	}
	return "conditions[" + strings.Join(changed, " ") + "]"
}

func toMap(v any) map[string]any {
	data, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return m
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// snapshotCounts copies the change counters.
func (r *recorder) snapshotCounts() map[string]changes {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]changes{}
	for k, v := range r.counts {
		out[k] = *v
	}
	return out
}

func (r *recorder) onRollout(old, obj any) {
	ro, ok := obj.(*weirv1.Rollout)
	if !ok {
		return
	}
	now := time.Now()
	o := roObs{t: now, gen: ro.Generation, obsGen: ro.Status.ObservedGeneration, phase: ro.Status.Phase,
		step: ptr.Deref(ro.Status.CurrentStepIndex, -1), podHash: ro.Status.CurrentPodHash, stableRS: ro.Status.StableRS}
	if ro.Status.StepStartedAt != nil {
		o.stepStarted = ro.Status.StepStartedAt.Time
	}
	if c := ro.Status.Canary; c != nil {
		o.stepRun = c.StepAnalysisRun
	}
	if a := ro.Status.Aborted; a != nil {
		o.aborted, o.abortVerified = true, a.WeightVerifiedAt != nil
	}
	record(r, "Rollout", old, ro, r.rollouts, keyOf(ro), o, func(prev *weirv1.Rollout) bool {
		if prev.Generation == ro.Generation {
			r.statusDiffs[statusDiff(&prev.Status, &ro.Status)]++ // what a status-only write changed
		}
		return prev.Generation != ro.Generation
	})
}

func (r *recorder) onRoute(old, obj any) {
	route, ok := obj.(*gatewayv1.HTTPRoute)
	if !ok {
		return
	}
	now := time.Now()
	o := routeObs{t: now, gen: route.Generation, acceptedGen: testenv.AcceptedGeneration(route), stable: -1, canary: -1}
	for _, rule := range route.Spec.Rules {
		if rule.Name == nil || *rule.Name != "main" {
			continue
		}
		for _, br := range rule.BackendRefs {
			w := ptr.Deref(br.Weight, 1)
			switch name := string(br.Name); {
			case len(name) > 7 && name[len(name)-7:] == "-stable":
				o.stable = w
			case len(name) > 7 && name[len(name)-7:] == "-canary":
				o.canary = w
			}
		}
	}
	record(r, "HTTPRoute", old, route, r.routes, keyOf(route), o, func(prev *gatewayv1.HTTPRoute) bool { return prev.Generation != route.Generation })
}

func (r *recorder) onReplicaSet(old, obj any) {
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	owner := metav1.GetControllerOf(rs)
	if owner == nil || owner.Kind != "Rollout" {
		return
	}
	now := time.Now()
	o := rsObs{t: now, hash: rs.Labels[revision.HashLabel], replicas: ptr.Deref(rs.Spec.Replicas, 1),
		available: rs.Status.AvailableReplicas, total: rs.Status.Replicas}
	record(r, "ReplicaSet", old, rs, r.rs, rs.Namespace+"/"+owner.Name, o, func(prev *appsv1.ReplicaSet) bool {
		// Weir writes spec.replicas and the scale-down annotation; the ReplicaSet
		// controller writes the status.
		return ptr.Deref(prev.Spec.Replicas, 1) != ptr.Deref(rs.Spec.Replicas, 1) ||
			prev.Annotations[revision.ScaleDownAtAnnotation] != rs.Annotations[revision.ScaleDownAtAnnotation]
	})
}

func (r *recorder) onRun(old, obj any) {
	run, ok := obj.(*weirv1.AnalysisRun)
	if !ok {
		return
	}
	o := runObs{t: time.Now(), phase: run.Status.Phase}
	for _, m := range run.Status.MetricResults {
		o.successful += m.Successful
		o.failed += m.Failed
	}
	record(r, "AnalysisRun", old, run, r.runs, keyOf(run), o, func(prev *weirv1.AnalysisRun) bool { return prev.Generation != run.Generation })
}

func (r *recorder) onService(old, obj any) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	o := svcObs{t: time.Now(), hash: svc.Spec.Selector[revision.HashLabel]}
	record(r, "Service", old, svc, r.svcs, keyOf(svc), o, func(prev *corev1.Service) bool {
		return prev.Spec.Selector[revision.HashLabel] != svc.Spec.Selector[revision.HashLabel]
	})
}

// record keeps one observation o of obj under key k and counts the change: a create (old is
// nil), or an update Weir made when weirs says so (it may note more under the lock). An
// update that changed nothing (a resync: the same resourceVersion) is dropped.
func record[T metav1.Object, O any](r *recorder, kind string, old any, obj T, into map[string][]O, k string, o O, weirs func(prev T) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old != nil {
		prev := old.(T)
		if prev.GetResourceVersion() == obj.GetResourceVersion() {
			return
		}
		r.count(kind, false, weirs(prev))
	} else {
		r.count(kind, true, false)
	}
	into[k] = append(into[k], o)
	r.notify()
}

// Copies of a key's observations from since on.
func (r *recorder) rolloutObs(k string, since time.Time) []roObs {
	return observed(r, r.rollouts, k, since, func(o roObs) time.Time { return o.t })
}
func (r *recorder) routeObs(k string, since time.Time) []routeObs {
	return observed(r, r.routes, k, since, func(o routeObs) time.Time { return o.t })
}
func (r *recorder) rsObs(k string, since time.Time) []rsObs {
	return observed(r, r.rs, k, since, func(o rsObs) time.Time { return o.t })
}
func (r *recorder) runObs(k string, since time.Time) []runObs {
	return observed(r, r.runs, k, since, func(o runObs) time.Time { return o.t })
}
func (r *recorder) svcObs(k string, since time.Time) []svcObs {
	return observed(r, r.svcs, k, since, func(o svcObs) time.Time { return o.t })
}

func observed[O any](r *recorder, from map[string][]O, k string, since time.Time, at func(O) time.Time) []O {
	r.mu.Lock()
	defer r.mu.Unlock()
	return after(from[k], since, at)
}

func after[T any](xs []T, since time.Time, at func(T) time.Time) []T {
	var out []T
	for _, x := range xs {
		if !at(x).Before(since) {
			out = append(out, x)
		}
	}
	return out
}

// lastRollout is the latest observation of every Rollout.
func (r *recorder) lastRollouts() map[string]roObs {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]roObs, len(r.rollouts))
	for k, obs := range r.rollouts {
		out[k] = obs[len(obs)-1]
	}
	return out
}

// lastReplicaSets is the latest observation of every Rollout's ReplicaSets, by hash.
func (r *recorder) lastReplicaSets(k string) map[string]rsObs {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]rsObs{}
	for _, o := range r.rs[k] {
		out[o.hash] = o
	}
	return out
}

// waitFor waits until cond holds, re-checking on every observation (at most every
// interval) and at least every interval.
func (r *recorder) waitFor(ctx context.Context, timeout, interval time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
			if interval > 0 {
				time.Sleep(interval)
			}
		case <-time.After(max(interval, 100*time.Millisecond)):
		}
	}
}

// watchAll registers the recorder (and the acceptor) on the bench's informers.
func watchAll(ctx context.Context, c cache.Cache, r *recorder, a *acceptor) error {
	handlers := []struct {
		obj client.Object
		fn  func(old, obj any)
	}{
		{&weirv1.Rollout{}, r.onRollout},
		{&gatewayv1.HTTPRoute{}, func(old, obj any) {
			r.onRoute(old, obj)
			if route, ok := obj.(*gatewayv1.HTTPRoute); ok {
				a.observe(route)
			}
		}},
		{&appsv1.ReplicaSet{}, r.onReplicaSet},
		{&weirv1.AnalysisRun{}, r.onRun},
		{&corev1.Service{}, r.onService},
	}
	for _, h := range handlers {
		inf, err := c.GetInformer(ctx, h.obj)
		if err != nil {
			return err
		}
		fn := h.fn
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { fn(nil, obj) },
			UpdateFunc: func(old, obj any) { fn(old, obj) },
		}); err != nil {
			return err
		}
	}
	return nil
}
