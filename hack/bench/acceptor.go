package main

import (
	"context"
	"sync"
	"time"

	"github.com/weir-dev/weir/internal/testenv"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// acceptor plays the gateway: when an HTTPRoute's generation changes, it writes the route's
// parent status Accepted for that generation, as a Gateway API implementation would once it
// has applied the route. It is driven by the watch (no polling), with several workers.
type acceptor struct {
	c     client.Client
	cache cache.Cache
	q     workqueue.TypedDelayingInterface[types.NamespacedName]

	mu     sync.Mutex
	seen   map[types.NamespacedName]seenGen
	delays []time.Duration
	errs   int
}

type seenGen struct {
	gen int64
	t   time.Time
}

func newAcceptor(c client.Client, ch cache.Cache) *acceptor {
	return &acceptor{c: c, cache: ch, q: workqueue.NewTypedDelayingQueue[types.NamespacedName](), seen: map[types.NamespacedName]seenGen{}}
}

func (a *acceptor) run(ctx context.Context, workers int) {
	for range workers {
		go func() {
			for {
				key, shutdown := a.q.Get()
				if shutdown {
					return
				}
				a.process(ctx, key)
				a.q.Done(key)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		a.q.ShutDown()
	}()
}

func (a *acceptor) observe(route *gatewayv1.HTTPRoute) {
	if testenv.AcceptedGeneration(route) == route.Generation {
		return
	}
	key := types.NamespacedName{Namespace: route.Namespace, Name: route.Name}
	a.mu.Lock()
	if s, ok := a.seen[key]; !ok || s.gen != route.Generation {
		a.seen[key] = seenGen{route.Generation, time.Now()}
	}
	a.mu.Unlock()
	a.q.Add(key)
}

func (a *acceptor) process(ctx context.Context, key types.NamespacedName) {
	var route gatewayv1.HTTPRoute
	if err := a.cache.Get(ctx, key, &route); err != nil || testenv.AcceptedGeneration(&route) == route.Generation {
		return
	}
	err := testenv.MarkAccepted(ctx, a.c, &route, "bench.weir.dev/stand-in-gateway")
	switch {
	case apierrors.IsConflict(err):
		a.q.AddAfter(key, 5*time.Millisecond) // a newer route is on its way through the watch
		return
	case apierrors.IsNotFound(err):
		return
	case err != nil:
		a.mu.Lock()
		a.errs++
		a.mu.Unlock()
		a.q.AddAfter(key, 100*time.Millisecond)
		return
	}
	a.mu.Lock()
	if s, ok := a.seen[key]; ok && s.gen == route.Generation {
		a.delays = append(a.delays, time.Since(s.t))
	}
	a.mu.Unlock()
}

// takeDelays returns and forgets the delays measured so far.
func (a *acceptor) takeDelays() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.delays
	a.delays = nil
	return d
}
