package kube

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// RolloutLabel is the label Weir puts on the AnalysisRuns of a Rollout (value: its name).
const RolloutLabel = weirv1.AnalysisRunRolloutLabel

// Tree is a Rollout and what it owns, as read from the cluster.
type Tree struct {
	Rollout *weirv1.Rollout
	// ReplicaSets are the Rollout's revisions, newest revision first.
	ReplicaSets []appsv1.ReplicaSet
	// Runs are the Rollout's AnalysisRuns, oldest first.
	Runs []weirv1.AnalysisRun
	// Routes are the routes the strategy names by registry.Named.Key ("HTTPRoute/web");
	// nil entries don't exist.
	Routes map[string]client.Object
}

// GetRollout reads one Rollout, with a message that names it when it doesn't exist.
func GetRollout(ctx context.Context, c client.Reader, ns, name string) (*weirv1.Rollout, error) {
	var ro weirv1.Rollout
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ro); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("rollout %q not found in namespace %q", name, ns)
		}
		return nil, err
	}
	return &ro, nil
}

// ReplicaSetSelector selects a Rollout's ReplicaSets: its own selector plus Weir's hash
// label, so a Deployment's ReplicaSets that happen to share the labels never match.
func ReplicaSetSelector(ro *weirv1.Rollout) (labels.Selector, error) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("spec.selector: %w", err)
	}
	hasHash, err := labels.NewRequirement(revision.HashLabel, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	return sel.Add(*hasHash), nil
}

// RunSelector selects a Rollout's AnalysisRuns.
func RunSelector(ro *weirv1.Rollout) labels.Selector {
	return labels.SelectorFromSet(labels.Set{RolloutLabel: ro.Name})
}

// FetchTree reads a Rollout and what it owns: three scoped calls plus one per route.
func FetchTree(ctx context.Context, c client.Reader, ns, name string) (*Tree, error) {
	ro, err := GetRollout(ctx, c, ns, name)
	if err != nil {
		return nil, err
	}
	t := &Tree{Rollout: ro, Routes: map[string]client.Object{}}
	rsSel, err := ReplicaSetSelector(ro)
	if err != nil {
		return nil, err
	}
	var rsList appsv1.ReplicaSetList
	if err := c.List(ctx, &rsList, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: rsSel}); err != nil {
		return nil, fmt.Errorf("listing the ReplicaSets of rollout %s: %w", name, err)
	}
	t.ReplicaSets = rsList.Items
	var runs weirv1.AnalysisRunList
	if err := c.List(ctx, &runs, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: RunSelector(ro)}); err != nil {
		return nil, fmt.Errorf("listing the AnalysisRuns of rollout %s: %w", name, err)
	}
	t.Runs = runs.Items
	for _, n := range registry.RoutesOf(ro.Spec.Strategy) {
		route := n.Router.New()
		err := c.Get(ctx, client.ObjectKey{Namespace: n.Ref.NamespaceOr(ns), Name: n.Ref.Name}, route)
		switch {
		case apierrors.IsNotFound(err):
			t.Routes[n.Key()] = nil
		case err != nil:
			return nil, fmt.Errorf("reading %s %s: %w", n.Router.Kind(), n.Ref.Name, err)
		default:
			t.Routes[n.Key()] = route
		}
	}
	t.Normalize()
	return t, nil
}

// Normalize keeps only objects the Rollout controls and puts them in display order.
func (t *Tree) Normalize() {
	ro := t.Rollout
	rss := t.ReplicaSets[:0:0]
	for _, rs := range t.ReplicaSets {
		if metav1.IsControlledBy(&rs, ro) {
			rss = append(rss, rs)
		}
	}
	sort.SliceStable(rss, func(i, j int) bool {
		ri, rj := RevisionNumber(&rss[i]), RevisionNumber(&rss[j])
		if ri != rj {
			return ri > rj
		}
		return rss[i].Name < rss[j].Name
	})
	t.ReplicaSets = rss
	runs := t.Runs[:0:0]
	for _, run := range t.Runs {
		if metav1.IsControlledBy(&run, ro) {
			runs = append(runs, run)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		ci, cj := runs[i].CreationTimestamp, runs[j].CreationTimestamp
		if !ci.Equal(&cj) {
			return ci.Before(&cj)
		}
		return runs[i].Name < runs[j].Name
	})
	t.Runs = runs
}

// RevisionNumber reads a ReplicaSet's rollouts.weir.dev/revision annotation (0 if absent).
func RevisionNumber(rs *appsv1.ReplicaSet) int {
	n, _ := strconv.Atoi(rs.Annotations[revision.RevisionAnnotation])
	return n
}
