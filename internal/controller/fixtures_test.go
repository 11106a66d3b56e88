package controller_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// Deadlines: fixture.Timeout and fixture.Poll.
const timeout, poll = fixture.Timeout, fixture.Poll

// release is one Rollout under test in its own namespace, with its Services and HTTPRoute.
type release struct {
	t    *testing.T
	g    *WithT
	ctx  context.Context
	ns   string
	name string
}

func newRelease(t *testing.T) *release {
	t.Parallel()
	ns := "t-" + rand.String(6)
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	return &release{t: t, g: g, ctx: ctx, ns: ns, name: "web"}
}

func (r *release) key() client.ObjectKey { return client.ObjectKey{Namespace: r.ns, Name: r.name} }

// services creates web-stable and web-canary selecting app=web.
func (r *release) services() {
	r.servicesNamed(fixture.StableService(r.name), fixture.CanaryService(r.name))
}

// servicesNamed creates Services selecting app=web.
func (r *release) servicesNamed(names ...string) {
	for _, name := range names {
		r.g.Expect(k8s.Create(r.ctx, fixture.Service(r.ns, name, r.name))).To(Succeed())
	}
}

var backend = fixture.Backend

// route creates the HTTPRoute "web" sending everything to web-stable, plus any extra rules.
func (r *release) route(annotations map[string]string, extra ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	route := fixture.Route(r.ns, r.name, 100, 0)
	route.Annotations, route.Labels = annotations, map[string]string{"team": "blog"}
	route.Spec.Rules = append(route.Spec.Rules, extra...)
	r.g.Expect(k8s.Create(r.ctx, route)).To(Succeed())
	return route
}

func (r *release) rollout(replicas int32, steps ...weirv1.CanaryStep) *weirv1.Rollout {
	ro := fixture.CanaryRollout(r.ns, r.name, replicas, "web:1", steps...)
	ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](2)
	ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = ptr.To[int32](3)
	return ro
}

func (r *release) create(ro *weirv1.Rollout) {
	r.g.Expect(k8s.Create(r.ctx, ro)).To(Succeed())
}

func (r *release) get() *weirv1.Rollout {
	var ro weirv1.Rollout
	r.g.Expect(k8s.Get(r.ctx, r.key(), &ro)).To(Succeed())
	return &ro
}

// healthyWith creates the Services, the route and a Rollout of replicas pods with the steps,
// and waits until it is Healthy.
func (r *release) healthyWith(replicas int32, steps ...weirv1.CanaryStep) *weirv1.Rollout {
	r.services()
	r.route(nil)
	r.create(r.rollout(replicas, steps...))
	return r.waitHealthy()
}

// promotedRun releases image, waits until it is the stable revision and returns the
// AnalysisRun of its step 2 (first attempt).
func (r *release) promotedRun(image string) *weirv1.AnalysisRun {
	stable := r.get().Status.StableRS
	r.setImage(image)
	r.g.Eventually(func() string { return r.get().Status.CurrentPodHash }, timeout, poll).ShouldNot(Equal(stable))
	done := r.waitHealthy()
	r.g.Expect(done.Status.StableRS).NotTo(Equal(stable))
	run := r.run(fmt.Sprintf("web-%s-2-1", done.Status.StableRS))
	r.g.Expect(run).NotTo(BeNil())
	return run
}

// abortedReason is the reason of the release's abort, "" while not aborted.
func (r *release) abortedReason() string {
	if a := r.get().Status.Aborted; a != nil {
		return a.Reason
	}
	return ""
}

// pausedReason is the reason of the release's pause, "" while not paused.
func (r *release) pausedReason() string {
	if p := r.get().Status.Paused; p != nil {
		return p.Reason
	}
	return ""
}

// pausedAtHalf is a Healthy Rollout of four pods released to web:2 and paused at weight 50;
// it returns the stable and canary revisions.
func (r *release) pausedAtHalf() (stable, canary string) {
	stable = r.healthyWith(4, setWeight(50), pause("")).Status.StableRS
	r.setImage("web:2")
	r.phaseIs(weirv1.PhasePaused)
	return stable, r.get().Status.CurrentPodHash
}

// setImage changes the pod template: a new revision.
func (r *release) setImage(image string) {
	r.g.Eventually(func() error { // Weir writes the status meanwhile: retry on conflict
		ro := r.get()
		ro.Spec.Template.Spec.Containers[0].Image = image
		return k8s.Update(r.ctx, ro)
	}, timeout, poll).Should(Succeed())
}

// request writes an operator request into status, as kubectl weir does.
func (r *release) request(action weirv1.RequestAction) {
	r.g.Eventually(func() error {
		ro := r.get()
		patch := client.MergeFromWithOptions(ro.DeepCopy(), client.MergeFromWithOptimisticLock{})
		ro.Status.Request = &weirv1.OperatorRequest{Action: action, By: "test", At: metav1.Now()}
		return k8s.Status().Patch(r.ctx, ro, patch)
	}, timeout, poll).Should(Succeed())
}

// waitHealthy waits until the Rollout is Healthy for its current template.
func (r *release) waitHealthy() *weirv1.Rollout { return r.waitHealthyWithin(timeout) }

// waitHealthyWithin is waitHealthy with its own deadline.
func (r *release) waitHealthyWithin(within time.Duration) *weirv1.Rollout {
	var ro *weirv1.Rollout
	r.g.Eventually(func() weirv1.RolloutPhase {
		ro = r.get()
		if ro.Status.ObservedGeneration != ro.Generation || ro.Status.StableRS != ro.Status.CurrentPodHash {
			return ""
		}
		return ro.Status.Phase
	}, within, poll).Should(Equal(weirv1.PhaseHealthy), func() string { return describe(r.get()) })
	return ro
}

func describe(ro *weirv1.Rollout) string {
	return fmt.Sprintf("phase=%s message=%q step=%v stable=%s current=%s progressedAt=%v now=%v", ro.Status.Phase, ro.Status.Message,
		ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.StableRS, ro.Status.CurrentPodHash, ro.Status.ProgressedAt, time.Now())
}

// weights reads the route's main rule: stable and canary weights.
func (r *release) weights() [2]int32 {
	var route gatewayv1.HTTPRoute
	r.g.Expect(k8s.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: "web"}, &route)).To(Succeed())
	for _, rule := range route.Spec.Rules {
		if rule.Name == nil || string(*rule.Name) != "main" {
			continue
		}
		return fixture.Weights(r.name, fixture.RuleRefs(rule))
	}
	r.t.Fatalf("route has no rule named main")
	return [2]int32{}
}

// replicas returns spec.replicas of each revision's ReplicaSet by hash.
func (r *release) replicas() map[string]int32 {
	var list appsv1.ReplicaSetList
	r.g.Expect(k8s.List(r.ctx, &list, client.InNamespace(r.ns))).To(Succeed())
	out := map[string]int32{}
	for _, rs := range list.Items {
		out[rs.Labels[revision.HashLabel]] = ptr.Deref(rs.Spec.Replicas, 1)
	}
	return out
}

func (r *release) available(hash string) int32 {
	var list appsv1.ReplicaSetList
	r.g.Expect(k8s.List(r.ctx, &list, client.InNamespace(r.ns))).To(Succeed())
	for _, rs := range list.Items {
		if rs.Labels[revision.HashLabel] == hash {
			return rs.Status.AvailableReplicas
		}
	}
	return 0
}

func (r *release) selector(svc string) string {
	var s corev1.Service
	r.g.Expect(k8s.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: svc}, &s)).To(Succeed())
	return s.Spec.Selector[revision.HashLabel]
}

func (r *release) events() string {
	text, err := fixture.Events(r.ctx, k8s, r.ns)
	r.g.Expect(err).NotTo(HaveOccurred())
	return text
}

var setWeight, pause = fixture.SetWeight, fixture.Pause

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
