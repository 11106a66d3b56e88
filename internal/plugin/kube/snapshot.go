package kube

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// snapshot is the latest state of every watched source, kept from list and watch events.
type snapshot struct {
	rollout *weirv1.Rollout
	rs      map[string]*appsv1.ReplicaSet
	runs    map[string]*weirv1.AnalysisRun
	routes  map[string]client.Object // by registry.Named.Key
	// listed counts the sources that delivered their first list; a tree drawn before every
	// source listed would show a Rollout without its revisions for a moment.
	listed  map[string]bool
	sources int
}

func newSnapshot(routes int) *snapshot {
	return &snapshot{
		rs:      map[string]*appsv1.ReplicaSet{},
		runs:    map[string]*weirv1.AnalysisRun{},
		routes:  map[string]client.Object{},
		listed:  map[string]bool{},
		sources: 3 + routes,
	}
}

func (s *snapshot) ready() bool { return len(s.listed) == s.sources }

func (s *snapshot) apply(ch change) {
	if ch.listed {
		s.listed[ch.kind] = true
		s.clear(ch.kind)
		for _, obj := range ch.items {
			s.put(ch.kind, obj, false)
		}
		return
	}
	s.put(ch.kind, ch.obj, ch.deleted)
}

func (s *snapshot) clear(kind string) {
	switch {
	case kind == "rollout":
		s.rollout = nil
	case kind == "rs":
		clear(s.rs)
	case kind == "run":
		clear(s.runs)
	case strings.HasPrefix(kind, "route/"):
		delete(s.routes, strings.TrimPrefix(kind, "route/"))
	}
}

func (s *snapshot) put(kind string, obj client.Object, deleted bool) {
	name := obj.GetName()
	if key, ok := strings.CutPrefix(kind, "route/"); ok {
		if deleted {
			delete(s.routes, key)
		} else {
			s.routes[key] = obj
		}
		return
	}
	switch o := obj.(type) {
	case *weirv1.Rollout:
		if deleted {
			s.rollout = nil
		} else {
			s.rollout = o
		}
	case *appsv1.ReplicaSet:
		if deleted {
			delete(s.rs, name)
		} else {
			s.rs[name] = o
		}
	case *weirv1.AnalysisRun:
		if deleted {
			delete(s.runs, name)
		} else {
			s.runs[name] = o
		}
	}
}

// tree copies the snapshot into a Tree the caller may keep.
func (s *snapshot) tree() *Tree {
	t := &Tree{Rollout: s.rollout.DeepCopy(), Routes: map[string]client.Object{}}
	for _, rs := range s.rs {
		t.ReplicaSets = append(t.ReplicaSets, *rs.DeepCopy())
	}
	for _, run := range s.runs {
		t.Runs = append(t.Runs, *run.DeepCopy())
	}
	for _, n := range registry.RoutesOf(s.rollout.Spec.Strategy) {
		t.Routes[n.Key()] = nil
		if route, ok := s.routes[n.Key()]; ok {
			t.Routes[n.Key()] = route.DeepCopyObject().(client.Object)
		}
	}
	t.Normalize()
	return t
}
