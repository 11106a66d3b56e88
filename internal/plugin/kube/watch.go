package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// ErrRolloutDeleted ends a watch whose Rollout went away.
var ErrRolloutDeleted = errors.New("the rollout was deleted")

// errRoutesChanged restarts a watch whose Rollout now names other routes.
var errRoutesChanged = errors.New("the rollout names other routes")

// debounce collects the burst of events one reconcile causes (status, ReplicaSet, route)
// into a single redraw.
const debounce = 50 * time.Millisecond

// WatchTree sends a fresh Tree whenever the Rollout or anything it owns changes, until ctx
// ends or the Rollout is deleted. It lists once, then follows watch events (re-listing
// only when a watch breaks), and never polls.
func WatchTree(ctx context.Context, c client.WithWatch, ns, name string, trees chan<- *Tree) error {
	for {
		err := watchTreeOnce(ctx, c, ns, name, trees)
		if !errors.Is(err, errRoutesChanged) {
			return err
		}
	}
}

func watchTreeOnce(ctx context.Context, c client.WithWatch, ns, name string, trees chan<- *Tree) error {
	ro, err := GetRollout(ctx, c, ns, name)
	if err != nil {
		return err
	}
	rsSel, err := ReplicaSetSelector(ro)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := make(chan change, 64)
	start := func(kind string, list func() client.ObjectList, opts client.ListOptions) {
		if opts.Namespace == "" {
			opts.Namespace = ns
		}
		go follow(ctx, c, kind, list, opts, changes)
	}
	byName := func(n string) fields.Selector { return fields.OneTermEqualSelector("metadata.name", n) }
	start("rollout", func() client.ObjectList { return &weirv1.RolloutList{} }, client.ListOptions{FieldSelector: byName(name)})
	start("rs", func() client.ObjectList { return &appsv1.ReplicaSetList{} }, client.ListOptions{LabelSelector: rsSel})
	start("run", func() client.ObjectList { return &weirv1.AnalysisRunList{} }, client.ListOptions{LabelSelector: RunSelector(ro)})
	routeNames := map[string]bool{}
	for _, n := range registry.RoutesOf(ro.Spec.Strategy) {
		routeNames[n.Key()] = true
		start("route/"+n.Key(), n.Router.NewList, client.ListOptions{FieldSelector: byName(n.Ref.Name), Namespace: n.Ref.NamespaceOr(ns)})
	}

	s := newSnapshot(len(routeNames))
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch := <-changes:
			if ch.err != nil {
				return ch.err
			}
			s.apply(ch)
			if timer == nil {
				timer = time.After(debounce)
			}
		case <-timer:
			timer = nil
			if !s.ready() {
				continue
			}
			if s.rollout == nil {
				return ErrRolloutDeleted
			}
			if !sameRoutes(routeNames, registry.RoutesOf(s.rollout.Spec.Strategy)) {
				return errRoutesChanged
			}
			select {
			case trees <- s.tree():
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func sameRoutes(have map[string]bool, routes []registry.Named) bool {
	if len(have) != len(routes) {
		return false
	}
	for _, r := range routes {
		if !have[r.Key()] {
			return false
		}
	}
	return true
}

// WatchRollout sends the Rollout each time it changes, until ctx ends or it is deleted.
func WatchRollout(ctx context.Context, c client.WithWatch, ns, name string, out chan<- *weirv1.Rollout) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := make(chan change, 16)
	go follow(ctx, c, "rollout", func() client.ObjectList { return &weirv1.RolloutList{} },
		client.ListOptions{Namespace: ns, FieldSelector: fields.OneTermEqualSelector("metadata.name", name)}, changes)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch := <-changes:
			var ro *weirv1.Rollout
			switch {
			case ch.err != nil:
				return ch.err
			case ch.listed && len(ch.items) == 0, ch.deleted:
				return fmt.Errorf("rollout %q in namespace %q: %w", name, ns, ErrRolloutDeleted)
			case ch.listed:
				ro = ch.items[0].(*weirv1.Rollout)
			default:
				ro = ch.obj.(*weirv1.Rollout)
			}
			select {
			case out <- ro:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// change is one thing a watched source reported: a full list, an object, or an error.
type change struct {
	kind    string
	listed  bool
	items   []client.Object
	obj     client.Object
	deleted bool
	err     error
}

// follow lists a source, then follows its watch from the list's resourceVersion; when the
// watch ends (server timeout, expired resourceVersion) it lists again and goes on.
func follow(ctx context.Context, c client.WithWatch, kind string, newList func() client.ObjectList, opts client.ListOptions, out chan<- change) {
	send := func(ch change) bool {
		ch.kind = kind
		select {
		case out <- ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	failures := 0
	for ctx.Err() == nil {
		list := newList()
		if err := c.List(ctx, list, &opts); err != nil {
			if failures++; failures > 5 || ctx.Err() != nil {
				send(change{err: fmt.Errorf("listing %s: %w", kind, err)})
				return
			}
			sleep(ctx, time.Duration(failures)*time.Second)
			continue
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			send(change{err: err})
			return
		}
		objs := make([]client.Object, 0, len(items))
		for _, it := range items {
			objs = append(objs, it.(client.Object))
		}
		if !send(change{listed: true, items: objs}) {
			return
		}
		watchOpts := opts
		watchOpts.Raw = &metav1.ListOptions{ResourceVersion: list.GetResourceVersion(), AllowWatchBookmarks: true}
		w, err := c.Watch(ctx, newList(), &watchOpts)
		if err != nil {
			failures++
			sleep(ctx, time.Duration(min(failures, 5))*time.Second)
			continue
		}
		failures = 0
		if !drain(w, send) {
			w.Stop()
			return
		}
		w.Stop()
	}
}

// drain forwards a watch's events until it ends; false means the receiver is gone.
func drain(w watch.Interface, send func(change) bool) bool {
	for ev := range w.ResultChan() {
		obj, ok := ev.Object.(client.Object)
		switch {
		case ev.Type == watch.Error || !ok:
			return true // relist
		case ev.Type == watch.Bookmark:
			continue
		case !send(change{obj: obj, deleted: ev.Type == watch.Deleted}):
			return false
		}
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
