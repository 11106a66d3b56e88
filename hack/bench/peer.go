package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// The peer scenario (6) gives scenario 3's release to Argo Rollouts, on a control plane of its
// own where no Weir runs, so that the two are measured on the same machine with the same
// harness. The bench never builds or fetches the peer: -peer names a rollouts-controller
// binary built beforehand (docs/benchmarks.md says how), -peer-crds its manifests/crds.

var peerRollout = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}

const peerName = "argo-rollouts"

// peerCRDs are the CRD files of the peer's manifests/crds (its kustomization.yaml is not one).
func peerCRDs(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*-crd.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("-peer-crds %s: no *-crd.yaml files (expected the peer's manifests/crds)", dir)
	}
	return files, nil
}

// startPeer runs the peer's controller as its own process with the admin kubeconfig, its
// metrics and health endpoints on loopback ports, no leader election, and extra flags.
func startPeer(cl *cluster, bin string, extra []string) (metricsPort int, err error) {
	if metricsPort, err = testenv.FreePort(); err != nil {
		return 0, err
	}
	healthz, err := testenv.FreePort()
	if err != nil {
		return 0, err
	}
	args := append([]string{"--kubeconfig=" + cl.env.Kubeconfig, "--leader-elect=false", "--loglevel=warn",
		fmt.Sprintf("--metricsPort=%d", metricsPort), fmt.Sprintf("--healthzPort=%d", healthz)}, extra...)
	p, err := testenv.StartProcessEnv(bin, cl.env.LogDir, peerName, []string{"POD_NAMESPACE=" + peerName}, args...)
	if err != nil {
		return 0, err
	}
	cl.peer = p
	cl.pids[peerName] = p.Pid()
	return metricsPort, p.WaitHTTP(fmt.Sprintf("http://127.0.0.1:%d/healthz", healthz))
}

// peerObjects are scenario 3's app for the peer: the two Services, named as its stable and
// canary Services (it sets their selectors, as Weir does), and a Rollout with scenario 3's
// steps. No traffic routing: the peer has no Gateway API support of its own, so its
// setWeight steps scale ReplicaSets only, and it writes no route.
func peerObjects(k types.NamespacedName, image string) ([]client.Object, error) {
	tpl, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ptr.To(fixture.PodTemplate(k.Name, image)))
	if err != nil {
		return nil, err
	}
	steps := []any{}
	for _, s := range scenarioSteps() {
		switch {
		case s.SetWeight != nil:
			steps = append(steps, map[string]any{"setWeight": int64(*s.SetWeight)})
		case s.Pause != nil && s.Pause.Duration != nil:
			steps = append(steps, map[string]any{"pause": map[string]any{"duration": string(*s.Pause.Duration)}})
		}
	}
	labels := map[string]any{}
	for key, v := range fixture.Labels(k.Name) {
		labels[key] = v
	}
	ro := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": k.Name, "namespace": k.Namespace},
		"spec": map[string]any{
			"replicas": int64(2),
			"selector": map[string]any{"matchLabels": labels},
			"template": tpl,
			"strategy": map[string]any{"canary": map[string]any{
				"stableService": fixture.StableService(k.Name),
				"canaryService": fixture.CanaryService(k.Name),
				"steps":         steps,
			}},
		},
	}}
	ro.SetGroupVersionKind(peerRollout)
	return append(fixture.Services(k.Namespace, k.Name), ro), nil
}

// peerHealthy says whether a peer Rollout has finished releasing generation gen (or its
// current one): the peer's phase is Healthy for that generation and the new revision is
// stable with every replica available.
func peerHealthy(ro *unstructured.Unstructured, gen int64) bool {
	str := func(path ...string) string { v, _, _ := unstructured.NestedString(ro.Object, path...); return v }
	num := func(path ...string) int64 { v, _, _ := unstructured.NestedInt64(ro.Object, path...); return v }
	if gen == 0 {
		gen = ro.GetGeneration()
	}
	observed, _ := strconv.ParseInt(str("status", "observedGeneration"), 10, 64)
	return observed >= gen && str("status", "phase") == "Healthy" &&
		str("status", "stableRS") != "" && str("status", "stableRS") == str("status", "currentPodHash") &&
		num("status", "availableReplicas") == num("spec", "replicas") && num("status", "updatedReplicas") == num("spec", "replicas")
}

// peerThroughput is scenario 6.
func peerThroughput(ctx context.Context, cfg config) ([]result, error) {
	crds, err := peerCRDs(cfg.peerCRDs)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.peer); err != nil {
		return nil, fmt.Errorf("-peer: %w", err)
	}
	logf("starting a control plane for scenario 6 (no Weir; %s)", cfg.peer)
	cl, err := startCluster(ctx, clusterOptions{extraCRDs: crds})
	if err != nil {
		return nil, err
	}
	defer cl.stop()
	n := cfg.rollouts
	var load loadRange
	metricsPort, err := startPeer(cl, cfg.peer, cfg.peerArgs)
	if err != nil {
		return nil, fmt.Errorf("starting the peer: %w", err)
	}
	logf("scenario 6: peer — %d Argo Rollouts (2 replicas, scenario 3's steps, no traffic routing), flags %q; load %s", n, cfg.peerArgs, load.sample())
	// The watch ends before the control plane stops (deferred earlier, so run later): an
	// open watch makes kube-apiserver wait out its whole shutdown timeout.
	cacheCtx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	proto := &unstructured.Unstructured{}
	proto.SetGroupVersionKind(peerRollout)
	ch, names, err := watchedApps(ctx, cacheCtx, cl, proto, "peer", "p", n, cfg.perNamespace)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	err = parallel(n, 16, func(i int) error {
		objs, err := peerObjects(names[i], imageOf(0))
		if err != nil {
			return err
		}
		return createAll(ctx, cl.c, objs)
	})
	if err != nil {
		return nil, err
	}
	if err := waitPeer(ctx, ch, names, nil, cfg.scaleTimeout); err != nil {
		return nil, err
	}
	logf("  %d peer Rollouts created and Healthy in %s", n, time.Since(t0).Round(time.Second))
	time.Sleep(5 * time.Second) // let the creation's last writes settle before the window opens
	// The peer's own metrics stand where the controller's are in the other scenarios.
	snap := func() (snapshot, error) {
		s := snapshot{t: time.Now(), procs: cl.procs()}
		var err error
		if s.ctrl, err = scrapeURL(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)); err != nil {
			return s, err
		}
		s.api, err = cl.apiserverMetrics(ctx)
		return s, err
	}
	before, err := snap()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"kube-apiserver", peerName} {
		if err := resetPeak(cl.pids[name]); err != nil {
			logf("  cannot reset %s's peak RSS: %v", name, err)
		}
	}
	logf("changing the image of all %d peer Rollouts", n)
	t1 := time.Now()
	gens, err := patchImages(ctx, cl.c, n, types.MergePatchType, func(i int) client.Object {
		ro := &unstructured.Unstructured{}
		ro.SetGroupVersionKind(peerRollout)
		ro.SetNamespace(names[i].Namespace)
		ro.SetName(names[i].Name)
		return ro
	})
	if err != nil {
		return nil, err
	}
	if err := waitPeer(ctx, ch, names, gens, cfg.scaleTimeout); err != nil {
		return nil, err
	}
	done := time.Since(t1)
	after, err := snap()
	if err != nil {
		return nil, err
	}
	load.sample()
	const peerRequests = "controller_clientset_k8s_request_total"
	reqs := after.ctrl.sum(peerRequests, nil) - before.ctrl.sum(peerRequests, nil)
	// By verb only: the peer's metric puts the object's name in its "kind" label for patches.
	byVerb := delta(before.ctrl.by(peerRequests, nil, "verb"), after.ctrl.by(peerRequests, nil, "verb"))
	podList := map[string]string{"verb": "List", "kind": "pods"}
	podLists := after.ctrl.sum(peerRequests, podList) - before.ctrl.sum(peerRequests, podList)
	api := before.apiTotal(after)
	logf("  all %d peer Rollouts Healthy %s after the first image change", n, done.Round(100*time.Millisecond))
	logf("  the peer's API requests per release: %.1f (%s; of which LIST pods %.1f)", reqs/float64(n), formatCounts(byVerb, float64(n)), podLists/float64(n))
	logf("  kube-apiserver requests per release, all clients: %.1f", api/float64(n))
	before.logCPU(after, "kube-apiserver", peerName, "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "bench (this process)")
	sc, ld, note := "6 peer", load.String(), fmt.Sprintf("%d Argo Rollouts", n)
	return []result{
		{scenario: sc, name: "all images changed → all Healthy (peer)", note: note, unit: secs, samples: []float64{done.Seconds()}, peer: "482 s (500)", load: ld},
		{scenario: sc, name: "peer controller peak RSS during the release", unit: mib, samples: []float64{float64(after.procs[peerName].HWM) / mb}, peer: "≈ 159 MiB", load: ld},
		{scenario: sc, name: "peer controller CPU, image change → all Healthy", unit: cpus, samples: []float64{before.cpu(after, peerName)}, load: ld},
		{scenario: sc, name: "kube-apiserver CPU, image change → all Healthy", unit: cpus, samples: []float64{before.cpu(after, "kube-apiserver")}, load: ld},
		{scenario: sc, name: "kube-apiserver peak RSS during the release", unit: mib, samples: []float64{float64(after.procs["kube-apiserver"].HWM) / mb}, peer: "≈ 860 MiB", load: ld},
		{scenario: sc, name: "peer API requests per release", unit: count, samples: []float64{reqs / float64(n)}, peer: "≈ 69", load: ld},
		{scenario: sc, name: "kube-apiserver requests per release, all clients", unit: count, samples: []float64{api / float64(n)}, load: ld},
	}, nil
}

// waitPeer waits until every peer Rollout is Healthy at generation gens[i] (or its own).
func waitPeer(ctx context.Context, ch cache.Cache, names []types.NamespacedName, gens []int64, timeout time.Duration) error {
	return waitCount(ctx, "peer Rollouts Healthy", len(names), timeout, func() (int, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(peerRollout.GroupVersion().WithKind("RolloutList"))
		if err := ch.List(ctx, list); err != nil {
			return 0, err
		}
		byName := map[types.NamespacedName]*unstructured.Unstructured{}
		for i := range list.Items {
			ro := &list.Items[i]
			byName[types.NamespacedName{Namespace: ro.GetNamespace(), Name: ro.GetName()}] = ro
		}
		done := 0
		for i, k := range names {
			var gen int64
			if gens != nil {
				gen = gens[i]
			}
			if ro, ok := byName[k]; ok && peerHealthy(ro, gen) {
				done++
			}
		}
		return done, nil
	})
}
