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

// setImage changes the Rollout's image with a merge patch (no conflict with the status
// Weir writes meanwhile) and returns the new generation.
func setImage(ctx context.Context, c client.Client, a app, image string) (int64, error) {
	ro := &weirv1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: a.ns, Name: a.name}}
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, fixture.Container, image)
	if err := c.Patch(ctx, ro, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return 0, err
	}
	return ro.Generation, nil
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
