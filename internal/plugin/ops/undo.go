package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/state"
	"github.com/weir-dev/weir/internal/revision"
)

// Undo is the way back to an earlier revision: its template and how it differs from now.
type Undo struct {
	Rollout *weirv1.Rollout
	Target  *appsv1.ReplicaSet
	// TargetRevision is the revision number undo goes back to; Why says why that one.
	TargetRevision int
	Why            string
	// Template is the target's template as the Rollout held it (defaults the API server
	// added to the ReplicaSet removed); Exact says whether that is proven by its hash.
	Template corev1.PodTemplateSpec
	Exact    bool
	// Images lists "container web: web:2 → web:1" for each image that changes.
	Images []string
	// Diff is the unified diff of spec.template, now → target.
	Diff string
}

// PlanUndo finds the revision to go back to (toRevision, or by default the stable one
// during a release and the previous one otherwise) and what would change.
func PlanUndo(ctx context.Context, c client.Client, ns, name string, toRevision int) (*Undo, error) {
	tree, err := kube.FetchTree(ctx, c, ns, name)
	if err != nil {
		return nil, err
	}
	ro := tree.Rollout
	if err := templateElsewhere(ro, "undo the change there (in Git, or kubectl rollout undo deployment/%s)"); err != nil {
		return nil, err
	}
	st := state.Of(ro)
	u := &Undo{Rollout: ro}
	var current *appsv1.ReplicaSet
	for i := range tree.ReplicaSets {
		rs := &tree.ReplicaSets[i]
		hash := rs.Labels[revision.HashLabel]
		switch {
		case hash == st.CurrentHash:
			current = rs
		case toRevision > 0 && kube.RevisionNumber(rs) == toRevision:
			u.Target, u.Why = rs, fmt.Sprintf("revision %d as asked", toRevision)
		case toRevision == 0 && st.Releasing && hash == st.StableHash:
			u.Target, u.Why = rs, "the stable revision: the release in progress is dropped"
		case toRevision == 0 && !st.Releasing && u.Target == nil:
			u.Target, u.Why = rs, "the revision before the current one" // newest first
		}
	}
	if toRevision > 0 && current != nil && kube.RevisionNumber(current) == toRevision {
		return nil, fmt.Errorf("revision %d is the current template of rollout %s: nothing to undo", toRevision, name)
	}
	if u.Target == nil {
		return nil, fmt.Errorf("rollout %s has no revision to go back to%s; revisions kept: %s", name,
			map[bool]string{true: fmt.Sprintf(" numbered %d", toRevision), false: ""}[toRevision > 0], revisionList(tree.ReplicaSets))
	}
	u.TargetRevision = kube.RevisionNumber(u.Target)
	u.Template, u.Exact = originalTemplate(ctx, c, ro, current, u.Target)
	u.Images = imageChanges(ro.Spec.Template, u.Template)
	from, err := yaml.Marshal(ro.Spec.Template)
	if err != nil {
		return nil, err
	}
	to, err := yaml.Marshal(u.Template)
	if err != nil {
		return nil, err
	}
	u.Diff = UnifiedDiff("spec.template (now)", fmt.Sprintf("spec.template (revision %d)", u.TargetRevision), string(from), string(to))
	return u, nil
}

// ApplyUndo writes the target template into spec.template, re-reading after conflicts.
func ApplyUndo(ctx context.Context, c client.Client, u *Undo) error {
	return retry.RetryOnConflict(conflictBackoff, func() error {
		ro, err := kube.GetRollout(ctx, c, u.Rollout.Namespace, u.Rollout.Name)
		if err != nil {
			return err
		}
		ro.Spec.Template = *u.Template.DeepCopy()
		return c.Update(ctx, ro) // resourceVersion makes it conditional
	})
}

// originalTemplate recovers the template the Rollout held when the target revision was
// made. The ReplicaSet's copy carries Weir's hash label and the API server's defaults
// (imagePullPolicy, dnsPolicy, …); the defaults are found by comparing the current
// template with the current revision's ReplicaSet (or a dry-run create when there is
// none yet) and removed. exact reports that the result hashes to the target's hash, so
// undoing returns to that very revision instead of making a new one.
func originalTemplate(ctx context.Context, c client.Client, ro *weirv1.Rollout, current, target *appsv1.ReplicaSet) (corev1.PodTemplateSpec, bool) {
	want := target.Labels[revision.HashLabel]
	raw := stripHashLabel(target.Spec.Template)
	defaulted := current
	if defaulted == nil {
		defaulted = dryRunReplicaSet(ctx, c, ro)
	}
	if defaulted != nil {
		var undone corev1.PodTemplateSpec
		if err := undefault(raw, ro.Spec.Template, stripHashLabel(defaulted.Spec.Template), &undone); err == nil &&
			revision.Hash(&undone, ro.Status.CollisionCount) == want {
			return undone, true
		}
	}
	return raw, revision.Hash(&raw, ro.Status.CollisionCount) == want
}

// dryRunReplicaSet asks the API server how it would default the current template.
func dryRunReplicaSet(ctx context.Context, c client.Client, ro *weirv1.Rollout) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{}
	rs.GenerateName = ro.Name + "-undo-"
	rs.Namespace = ro.Namespace
	rs.Spec.Selector = ro.Spec.Selector.DeepCopy()
	rs.Spec.Template = *ro.Spec.Template.DeepCopy()
	if err := c.Create(ctx, rs, client.DryRunAll); err != nil {
		return nil
	}
	return rs
}

func stripHashLabel(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	t = *t.DeepCopy()
	delete(t.Labels, revision.HashLabel)
	if len(t.Labels) == 0 {
		t.Labels = nil
	}
	return t
}

func imageChanges(from, to corev1.PodTemplateSpec) []string {
	images := func(t corev1.PodTemplateSpec) map[string]string {
		m := map[string]string{}
		for _, c := range t.Spec.InitContainers {
			m["init container "+c.Name] = c.Image
		}
		for _, c := range t.Spec.Containers {
			m["container "+c.Name] = c.Image
		}
		return m
	}
	a, b := images(from), images(to)
	var out []string
	for name, img := range b {
		switch old, ok := a[name]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s: added with image %s", name, img))
		case old != img:
			out = append(out, fmt.Sprintf("%s: image %s → %s", name, old, img))
		}
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			out = append(out, fmt.Sprintf("%s: removed", name))
		}
	}
	sort.Strings(out)
	return out
}

func revisionList(rss []appsv1.ReplicaSet) string {
	if len(rss) == 0 {
		return "none"
	}
	var parts []string
	for i := range rss {
		parts = append(parts, fmt.Sprintf("%d (%s)", kube.RevisionNumber(&rss[i]), rss[i].Name))
	}
	return strings.Join(parts, ", ")
}
