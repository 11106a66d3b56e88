package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

var setWeight, pause = fixture.SetWeight, fixture.Pause

// scenarioSteps are the steps of scenarios 1 and 3.
func scenarioSteps() []weirv1.CanaryStep {
	return []weirv1.CanaryStep{setWeight(25), pause("1s"), setWeight(50), pause("1s"), setWeight(75), pause("1s")}
}

func imageOf(n int) string { return fmt.Sprintf("registry.example/web:%d", n) }

// app is one Rollout with its two Services and its HTTPRoute, all named after it.
type app struct {
	ns, name string
}

func (a app) key() string { return a.ns + "/" + a.name }

func (a app) objects(replicas int32, steps []weirv1.CanaryStep, image string, mutate func(*weirv1.CanaryStrategy)) []client.Object {
	ro := fixture.CanaryRollout(a.ns, a.name, replicas, image, steps...)
	if mutate != nil {
		mutate(ro.Spec.Strategy.Canary)
	}
	if ro.Spec.Strategy.Canary.TrafficRouting == nil {
		return append(fixture.Services(a.ns, a.name), ro)
	}
	return append(fixture.Services(a.ns, a.name), fixture.Route(a.ns, a.name, 100, 0), ro)
}

func createNamespace(ctx context.Context, c client.Client, name string) error {
	err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func createAll(ctx context.Context, c client.Client, objs []client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s/%s: %w", o, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// ref names the app's Rollout, for a patch.
func (a app) ref() *weirv1.Rollout {
	return &weirv1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: a.name}}
}

// setImage changes the app's image with a merge patch (no conflict with the status Weir
// writes meanwhile) and returns the new generation.
func setImage(ctx context.Context, c client.Client, a app, image string) (int64, error) {
	return patchImage(ctx, c, a.ref(), types.MergePatchType, image)
}

// patchImage sets the image of o's container fixture.Container with a patch of type pt on
// spec.template and returns o's new generation.
func patchImage(ctx context.Context, c client.Client, o client.Object, pt types.PatchType, image string) (int64, error) {
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, fixture.Container, image)
	if err := c.Patch(ctx, o, client.RawPatch(pt, []byte(patch))); err != nil {
		return 0, err
	}
	return o.GetGeneration(), nil
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// progress prints a line at most every interval.
type progress struct {
	last  time.Time
	every time.Duration
}

func (p *progress) due() bool {
	if time.Since(p.last) < p.every {
		return false
	}
	p.last = time.Now()
	return true
}

// watchOnly starts a cache holding only obj's kind (a watch, not polling: a LIST every few
// hundred ms would add to the kube-apiserver CPU being measured). Cancel ctx before the
// control plane stops: an open watch makes kube-apiserver wait out its shutdown timeout.
func watchOnly(ctx context.Context, cl *cluster, obj client.Object) (cache.Cache, error) {
	ch, err := cache.New(cl.env.Config, cache.Options{Scheme: cl.env.Scheme, DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{obj: {}}})
	if err != nil {
		return nil, err
	}
	if _, err := ch.GetInformer(ctx, obj); err != nil {
		return nil, err
	}
	go func() { _ = ch.Start(ctx) }()
	if !ch.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the %T informer never synced", obj)
	}
	return ch, nil
}

// waitCount polls count (which reads a cache) every 250 ms until it reaches want, printing
// progress every 10 s, and gives up after timeout.
func waitCount(ctx context.Context, what string, want int, timeout time.Duration, count func() (int, error)) error {
	deadline := time.Now().Add(timeout)
	p := progress{every: 10 * time.Second, last: time.Now()}
	for {
		done, err := count()
		if err != nil {
			return err
		}
		if done == want {
			return nil
		}
		if p.due() {
			logf("  %d/%d %s; load %s", done, want, what, readLoad())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d %s after %s", done, want, what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// watchedApps starts a watch of proto's kind (ending with watchCtx) and names and makes the
// namespaces of n apps (namespacedNames): what the scenarios that create their own apps do
// before they time it.
func watchedApps(ctx, watchCtx context.Context, cl *cluster, proto client.Object, ns, name string, n, perNamespace int) (cache.Cache, []types.NamespacedName, error) {
	ch, err := watchOnly(watchCtx, cl, proto)
	if err != nil {
		return nil, nil, err
	}
	names, err := namespacedNames(ctx, cl.c, ns, name, n, perNamespace)
	return ch, names, err
}

// namespacedNames names n apps "<name>-0000"… spread perNamespace to a namespace
// "<ns>-00"…, and creates the namespaces.
func namespacedNames(ctx context.Context, c client.Client, ns, name string, n, perNamespace int) ([]types.NamespacedName, error) {
	names := make([]types.NamespacedName, n)
	for i := range names {
		names[i] = types.NamespacedName{Namespace: fmt.Sprintf("%s-%02d", ns, i/perNamespace), Name: fmt.Sprintf("%s-%04d", name, i)}
		if i%perNamespace == 0 {
			if err := createNamespace(ctx, c, names[i].Namespace); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

// patchImages gives n objects (obj(i) names each) the next image, 32 at a time, with a patch
// of type pt, and returns their new generations.
func patchImages(ctx context.Context, c client.Client, n int, pt types.PatchType, obj func(i int) client.Object) ([]int64, error) {
	gens := make([]int64, n)
	err := parallel(n, 32, func(i int) error {
		var err error
		gens[i], err = patchImage(ctx, c, obj(i), pt, imageOf(1))
		return err
	})
	return gens, err
}
