package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// clusterFloor is scenario 5: what the same release costs the cluster without any release
// controller. 500 Deployments (2 replicas, two Services each, like scenario 3's apps) get a
// new image at once and kube-controller-manager rolls them (maxSurge 1, maxUnavailable 0:
// the same two new pods and two old ones gone per app). No pauses, no traffic steps: the
// time and CPU it takes is a floor under scenario 3 on this machine.
func clusterFloor(ctx context.Context, cl *cluster, cfg config) ([]result, error) {
	n := cfg.rollouts
	var load loadRange
	logf("scenario 5: cluster floor — %d Deployments, 2 replicas each, released at once by kube-controller-manager alone; load %s", n, load.sample())
	// The watch ends when this returns, before the control plane is stopped: an open watch
	// makes kube-apiserver wait out its whole shutdown timeout.
	ctx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	ch, names, err := watchedApps(ctx, ctx, cl, &appsv1.Deployment{}, "floor", "d", n, cfg.perNamespace)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := parallel(n, 16, func(i int) error { return createAll(ctx, cl.c, floorObjects(names[i])) }); err != nil {
		return nil, err
	}
	if err := waitDeployments(ctx, ch, names, nil, cfg.scaleTimeout); err != nil {
		return nil, err
	}
	logf("  %d Deployments created and available in %s", n, time.Since(t0).Round(time.Second))
	time.Sleep(3 * time.Second) // let the creation's last writes settle before the window opens
	before, err := (&scale{cl: cl}).snap(ctx)
	if err != nil {
		return nil, err
	}
	if err := resetPeak(cl.pids["kube-apiserver"]); err != nil {
		logf("  cannot reset kube-apiserver's peak RSS: %v", err)
	}
	t1 := time.Now()
	gens, err := patchImages(ctx, cl.c, n, types.StrategicMergePatchType, func(i int) client.Object {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: names[i].Namespace, Name: names[i].Name}}
	})
	if err != nil {
		return nil, err
	}
	if err := waitDeployments(ctx, ch, names, gens, cfg.scaleTimeout); err != nil {
		return nil, err
	}
	done := time.Since(t1)
	after, err := (&scale{cl: cl}).snap(ctx)
	if err != nil {
		return nil, err
	}
	load.sample()
	api := before.apiTotal(after)
	logf("  all %d Deployments rolled out in %s; kube-apiserver requests per release (all clients) %.1f", n, done.Round(100*time.Millisecond), api/float64(n))
	cpuTotal := before.logCPU(after, "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "bench (this process)", "weir-controller")
	sc, ld, note := "5 cluster floor", load.String(), fmt.Sprintf("%d Deployments", n)
	return []result{
		{scenario: sc, name: "all images changed → all rolled out (no Weir)", note: note, unit: secs, samples: []float64{done.Seconds()}, load: ld},
		{scenario: sc, name: "kube-apiserver CPU, image change → all rolled out", unit: cpus, samples: []float64{before.cpu(after, "kube-apiserver")}, load: ld},
		{scenario: sc, name: "all processes' CPU, image change → all rolled out", unit: cpus, samples: []float64{cpuTotal}, load: ld},
		{scenario: sc, name: "kube-apiserver requests per release, all clients", unit: count, samples: []float64{api / float64(n)}, load: ld},
	}, nil
}

// floorObjects is a Deployment shaped like scenario 3's Rollouts, with two Services.
func floorObjects(k types.NamespacedName) []client.Object {
	return []client.Object{
		fixture.Service(k.Namespace, k.Name+"-a", k.Name),
		fixture.Service(k.Namespace, k.Name+"-b", k.Name),
		&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: k.Name, Namespace: k.Namespace},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: fixture.Labels(k.Name)},
				Template: fixture.PodTemplate(k.Name, imageOf(0)),
			},
		},
	}
}

// waitDeployments waits until every Deployment has rolled out its generation (gens[i], or
// any): all replicas updated and available, none of the old revision left.
func waitDeployments(ctx context.Context, ch cache.Cache, names []types.NamespacedName, gens []int64, timeout time.Duration) error {
	return waitCount(ctx, "Deployments rolled out", len(names), timeout, func() (int, error) {
		var list appsv1.DeploymentList
		if err := ch.List(ctx, &list); err != nil {
			return 0, err
		}
		byName := map[types.NamespacedName]*appsv1.Deployment{}
		for i := range list.Items {
			d := &list.Items[i]
			byName[types.NamespacedName{Namespace: d.Namespace, Name: d.Name}] = d
		}
		done := 0
		for i, k := range names {
			d, ok := byName[k]
			if !ok || (gens != nil && d.Status.ObservedGeneration < gens[i]) || d.Status.ObservedGeneration < d.Generation {
				continue
			}
			want := ptr.Deref(d.Spec.Replicas, 1)
			if d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want && d.Status.Replicas == want {
				done++
			}
		}
		return done, nil
	})
}
