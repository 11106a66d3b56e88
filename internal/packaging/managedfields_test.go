package packaging

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
)

// weirOwned is, for each object Weir writes during a canary release, the only fields its
// field manager may own: what the Applications' ignoreDifferences (managedFieldsManagers:
// [weir]) then hides from Argo CD.
var weirOwned = map[string]map[string]any{
	"HTTPRoute/backend":      {"f:spec": map[string]any{"f:rules": map[string]any{}}},
	"Service/backend-stable": {"f:spec": map[string]any{"f:selector": map[string]any{}}},
	"Service/backend-canary": {"f:spec": map[string]any{"f:selector": map[string]any{}}},
}

// TestWeirOwnsOnlyWhatArgoCDIgnores releases the blog backend the way Argo CD would: the
// chart rendered with values-dev.yaml and server-side applied as argocd-controller, a new
// image synced mid-way with RespectIgnoreDifferences, the manual gate passed with the Kit's
// promote action. Throughout, Weir's manager owns spec.rules of the route and spec.selector
// of the two Services and nothing else, and those fields are all that differ from Git.
func TestWeirOwnsOnlyWhatArgoCDIgnores(t *testing.T) {
	ctx := context.Background()
	g := NewWithT(t)
	ns := "blog-release-" + rand.String(5) // a fresh app: the first sync is a first revision
	c := clientWith(t, ns)

	// values-dev.yaml with a manual gate, so the release can be looked at half-way.
	desired := func(tag string) []*unstructured.Unstructured {
		r := renderBlog(t, "dev", map[string]any{"backend": map[string]any{
			"replicas": 2,
			"image":    map[string]any{"tag": tag},
			"canary": map[string]any{"steps": []any{
				map[string]any{"setWeight": 50}, map[string]any{"pause": map[string]any{}},
			}, "scaleDownDelaySeconds": 2},
		}})
		var out []*unstructured.Unstructured
		for _, key := range []string{"Service/backend-stable", "Service/backend-canary", "HTTPRoute/backend", "Rollout/backend"} {
			kind, name, _ := strings.Cut(key, "/")
			out = append(out, r.find(t, kind, name))
		}
		return out
	}
	sync := func(objs []*unstructured.Unstructured) {
		g.Eventually(func() error { return apply(ctx, c, ns, "argocd-controller", respectIgnoreDifferences(t, c, ns, objs)) },
			timeout, poll).Should(Succeed())
	}

	sync(desired("1.0.0"))
	first := waitRollout(t, c, ns, func(ro *weirv1.Rollout) bool { return healthy(ro) })
	owned, drifted := checkOwnership(t, c, ns, desired("1.0.0"))
	g.Expect(owned).To(ContainElements("Service/backend-canary", "Service/backend-stable"), "the selectors now name the revision")
	g.Expect(owned).To(ContainElements(drifted), "whatever differs from Git is Weir's")

	sync(desired("2.0.0"))
	paused := waitRollout(t, c, ns, func(ro *weirv1.Rollout) bool {
		return ro.Status.Phase == weirv1.PhasePaused && ro.Status.Canary != nil && ro.Status.Canary.Weights != nil &&
			ro.Status.Canary.Weights.Verified != nil && *ro.Status.Canary.Weights.Verified == weirv1.WeightPair{Stable: 50, Canary: 50}
	})
	g.Expect(paused.Status.CurrentPodHash).NotTo(Equal(first.Status.StableRS))
	all := []string{"HTTPRoute/backend", "Service/backend-canary", "Service/backend-stable"}
	owned, drifted = checkOwnership(t, c, ns, desired("2.0.0"))
	g.Expect(owned).To(Equal(all))
	g.Expect(drifted).To(Equal(all), "half-way, the weights and the selectors differ from Git, and only in Weir's fields")

	// A sync in the middle of the release (Argo CD's selfHeal, or someone pressing Sync)
	// keeps Weir's values: the release stays where it is.
	sync(desired("2.0.0"))
	again := getRollout(t, c, ns)
	g.Expect(again.Status.Phase).To(Equal(weirv1.PhasePaused))
	g.Expect(*again.Status.Canary.Weights.Verified).To(Equal(weirv1.WeightPair{Stable: 50, Canary: 50}))
	owned, drifted = checkOwnership(t, c, ns, desired("2.0.0"))
	g.Expect(owned).To(Equal(all))
	g.Expect(drifted).To(Equal(all))

	runArgoAction(t, c, ns, "promote")
	done := waitRollout(t, c, ns, func(ro *weirv1.Rollout) bool {
		return healthy(ro) && ro.Status.StableRS == paused.Status.CurrentPodHash
	})
	g.Expect(done.Status.Request).To(BeNil(), "Weir acted on the action's request and cleared it")
	owned, _ = checkOwnership(t, c, ns, desired("2.0.0"))
	g.Expect(owned).To(Equal(all), "after the release Weir still owns exactly these fields")
}

func getRollout(t *testing.T, c client.Client, ns string) *weirv1.Rollout {
	t.Helper()
	var ro weirv1.Rollout
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "backend"}, &ro); err != nil {
		t.Fatal(err)
	}
	return &ro
}

func healthy(ro *weirv1.Rollout) bool {
	return ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase == weirv1.PhaseHealthy &&
		ro.Status.StableRS != "" && ro.Status.StableRS == ro.Status.CurrentPodHash
}

func waitRollout(t *testing.T, c client.Client, ns string, ok func(*weirv1.Rollout) bool) *weirv1.Rollout {
	t.Helper()
	var ro *weirv1.Rollout
	NewWithT(t).Eventually(func() bool {
		ro = getRollout(t, c, ns)
		return ro.Status.ObservedGeneration == ro.Generation && ok(ro)
	}, timeout, poll).Should(BeTrue(), func() string {
		return fmt.Sprintf("phase=%s message=%q stable=%s current=%s", ro.Status.Phase, ro.Status.Message, ro.Status.StableRS, ro.Status.CurrentPodHash)
	})
	return ro
}

// live reads an object of the same kind and name as u; nil when it doesn't exist.
func live(t *testing.T, c client.Client, ns string, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	l := &unstructured.Unstructured{}
	l.SetGroupVersionKind(u.GroupVersionKind())
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: u.GetName()}, l); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil
		}
		t.Fatal(err)
	}
	return l
}

// ownedPaths lists the two-level paths (such as spec.rules) that manager owns on u's main
// resource (not its status subresource, which Argo CD doesn't sync).
func ownedPaths(t *testing.T, u *unstructured.Unstructured, manager string) [][]string {
	t.Helper()
	var out [][]string
	for _, mf := range u.GetManagedFields() {
		if mf.Manager != manager || mf.Subresource != "" {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(mf.FieldsV1.Raw, &fields); err != nil {
			t.Fatal(err)
		}
		for top, sub := range fields {
			for field := range sub.(map[string]any) {
				if len(top) > 2 && len(field) > 2 { // "f:spec" → spec; "." is the object itself
					out = append(out, []string{top[2:], field[2:]})
				}
			}
		}
	}
	return out
}

// respectIgnoreDifferences does what Argo CD's RespectIgnoreDifferences=true does before
// applying: fields owned by an ignored manager (weir) keep their live values.
func respectIgnoreDifferences(t *testing.T, c client.Client, ns string, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		o = o.DeepCopy()
		if l := live(t, c, ns, o); l != nil {
			for _, path := range ownedPaths(t, l, controller.FieldManager) {
				if v, found, _ := unstructured.NestedFieldCopy(l.Object, path...); found {
					if err := unstructured.SetNestedField(o.Object, v, path...); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		out = append(out, o)
	}
	return out
}

// checkOwnership checks that Weir owns nothing but weirOwned on each object and stamped no
// label or annotation on it. It returns the objects Weir owns fields of, and those that
// differ from Git: every difference must lie in Weir's fields (what Argo CD's
// managedFieldsManagers ignores).
func checkOwnership(t *testing.T, c client.Client, ns string, desired []*unstructured.Unstructured) (owned, drifted []string) {
	t.Helper()
	g := NewWithT(t)
	for _, d := range desired {
		key := d.GetKind() + "/" + d.GetName()
		l := live(t, c, ns, d)
		g.Expect(l).NotTo(BeNil(), key)
		want, isWeirs := weirOwned[key]
		var weir []map[string]any
		for _, mf := range l.GetManagedFields() {
			if mf.Manager != controller.FieldManager {
				continue
			}
			if !isWeirs && mf.Subresource == "" && d.GetKind() == "Rollout" {
				// Its finalizer, which gives traffic and selectors back when the Rollout is
				// deleted: a field Git never sets, so Argo CD's diff doesn't see it.
				var fields map[string]any
				g.Expect(json.Unmarshal(mf.FieldsV1.Raw, &fields)).To(Succeed())
				g.Expect(fields).To(Equal(map[string]any{"f:metadata": map[string]any{"f:finalizers": map[string]any{
					".": map[string]any{}, `v:"` + controller.RestoreFinalizer + `"`: map[string]any{}}}}),
					"%s: on the Rollout itself Weir owns only its finalizer", key)
				continue
			}
			if !isWeirs {
				g.Expect(mf.Subresource).To(Equal("status"), "%s: Weir writes only the Rollout's status (and its finalizer)", key)
				continue
			}
			var fields map[string]any
			g.Expect(json.Unmarshal(mf.FieldsV1.Raw, &fields)).To(Succeed())
			weir = append(weir, fields)
			g.Expect(string(mf.Operation)).To(Equal("Apply"), key)
			g.Expect(mf.Subresource).To(BeEmpty(), key)
		}
		if !isWeirs {
			continue
		}
		if len(weir) == 0 {
			continue // Weir hasn't had to write it yet (a first release writes no weights)
		}
		g.Expect(weir).To(Equal([]map[string]any{want}), "%s: Weir's managed fields", key)
		owned = append(owned, key)
		g.Expect(l.GetLabels()).To(Equal(d.GetLabels()), "%s: Weir stamps no labels", key)
		g.Expect(l.GetAnnotations()).To(BeEmpty(), "%s: Weir stamps no annotations", key)

		// Argo CD's comparison with the ignored fields left out: Git ⊆ live.
		paths := ownedPaths(t, l, controller.FieldManager)
		masked, liveMasked := d.DeepCopy(), l.DeepCopy()
		for _, p := range paths {
			unstructured.RemoveNestedField(masked.Object, p...)
			unstructured.RemoveNestedField(liveMasked.Object, p...)
		}
		g.Expect(subset(masked.Object, liveMasked.Object)).To(BeTrue(), "%s differs from Git outside Weir's fields", key)
		for _, p := range paths {
			dv, _, _ := unstructured.NestedFieldNoCopy(d.Object, p...)
			lv, _, _ := unstructured.NestedFieldNoCopy(l.Object, p...)
			if differs(dv, lv) {
				drifted = append(drifted, key)
				break
			}
		}
	}
	slices.Sort(owned)
	slices.Sort(drifted)
	return owned, drifted
}

// subset reports whether every field set in want has the same value in have (the API
// server adds defaults, which are not differences).
func subset(want, have any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, h[k]) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], h[i]) {
				return false
			}
		}
		return true
	case int64, float64:
		return fmt.Sprint(toFloat(w)) == fmt.Sprint(toFloat(have))
	default:
		return want == have
	}
}

// differs compares one of Weir's fields in Git and live. Both are atomic (Gateway API's
// rules, a Service's selector), so a key Weir added to a map is a difference.
func differs(want, have any) bool {
	if w, ok := want.(map[string]any); ok {
		if h, ok := have.(map[string]any); !ok || len(h) != len(w) {
			return true
		}
	}
	return !subset(want, have)
}

func toFloat(v any) any {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case int:
		return float64(n)
	}
	return v
}

// runArgoAction does what Argo CD's server does for a resource action: run the action's Lua
// on the live object, diff the result against it as a JSON merge patch, and send the status
// part to the status subresource (argo-cd server/application: patchResource).
func runArgoAction(t *testing.T, c client.Client, ns, action string) {
	t.Helper()
	g := NewWithT(t)
	script := renderKit(t, false).actions[action]
	g.Eventually(func() error {
		l := &unstructured.Unstructured{}
		l.SetGroupVersionKind(weirv1.GroupVersion.WithKind("Rollout"))
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "backend"}, l); err != nil {
			return err
		}
		before, err := json.Marshal(l.Object)
		if err != nil {
			return err
		}
		out, err := runArgoLua(script, l.Object)
		if err != nil {
			return err
		}
		after, err := json.Marshal(out)
		if err != nil {
			return err
		}
		patch, err := jsonpatch.CreateMergePatch(before, after)
		if err != nil {
			return err
		}
		var fields map[string]any
		if err := json.Unmarshal(patch, &fields); err != nil {
			return err
		}
		g.Expect(fields).To(HaveLen(1), "the action changes status only: %s", patch)
		g.Expect(fields).To(HaveKey("status"))
		return c.Status().Patch(context.Background(), l, client.RawPatch(types.MergePatchType, patch))
	}, timeout, poll).Should(Succeed())
}
