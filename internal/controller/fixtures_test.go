package controller_test

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// Deadlines: fixture.Timeout and fixture.Poll.
const timeout, poll = fixture.Timeout, fixture.Poll

// release is one Rollout under test in its own namespace (see fixture.Release), with what
// only the controller suite asks of it.
type release struct{ *fixture.Release }

func newRelease(t *testing.T) *release { return &release{fixture.NewRelease(t, k8s, "")} }

var backend = fixture.Backend

// route creates the HTTPRoute "web" sending everything to web-stable, plus any extra rules.
func (r *release) route(annotations map[string]string, extra ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	route := fixture.Route(r.NS, r.App, 100, 0)
	route.Annotations, route.Labels = annotations, map[string]string{"team": "blog"}
	route.Spec.Rules = append(route.Spec.Rules, extra...)
	r.Create(route)
	return route
}

// healthyWith creates the Services, the route and a Rollout of replicas pods with the steps,
// and waits until it is Healthy.
func (r *release) healthyWith(replicas int32, steps ...weirv1.CanaryStep) *weirv1.Rollout {
	r.Services()
	r.route(nil)
	return r.healthy(r.Rollout(replicas, steps...))
}

// healthy creates ro and waits until it is Healthy.
func (r *release) healthy(ro *weirv1.Rollout) *weirv1.Rollout {
	r.Create(ro)
	return r.waitHealthy()
}

// promotedRun releases image, waits until it is the stable revision and returns the
// AnalysisRun of its step 2 (first attempt).
func (r *release) promotedRun(image string) *weirv1.AnalysisRun {
	stable := r.Get().Status.StableRS
	r.setImage(image)
	r.G.Eventually(func() string { return r.Get().Status.CurrentPodHash }, timeout, poll).ShouldNot(Equal(stable))
	done := r.waitHealthy()
	r.G.Expect(done.Status.StableRS).NotTo(Equal(stable))
	run := r.run(fmt.Sprintf("web-%s-2-1", done.Status.StableRS))
	r.G.Expect(run).NotTo(BeNil())
	return run
}

// abortedReason is the reason of the release's abort, "" while not aborted.
func (r *release) abortedReason() string {
	if a := r.Get().Status.Aborted; a != nil {
		return a.Reason
	}
	return ""
}

// pausedReason is the reason of the release's pause, "" while not paused.
func (r *release) pausedReason() string {
	if p := r.Get().Status.Paused; p != nil {
		return p.Reason
	}
	return ""
}

// condition is the Rollout's condition of type t, the zero Condition when it has none.
func condition(ro *weirv1.Rollout, t string) metav1.Condition {
	if c := meta.FindStatusCondition(ro.Status.Conditions, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// invalidSpec is the message of the Rollout's InvalidSpec condition while it is True, ""
// otherwise.
func (r *release) invalidSpec() string {
	if c := condition(r.Get(), weirv1.ConditionInvalidSpec); c.Status == metav1.ConditionTrue {
		return c.Message
	}
	return ""
}

// pausedAtHalf is a Healthy Rollout of four pods released to web:2 and paused at weight 50;
// it returns the stable and canary revisions.
func (r *release) pausedAtHalf() (stable, canary string) {
	stable = r.healthyWith(4, setWeight(50), pause("")).Status.StableRS
	r.setImage("web:2")
	r.phaseIs(weirv1.PhasePaused)
	return stable, r.Get().Status.CurrentPodHash
}

// setImage changes the pod template: a new revision.
func (r *release) setImage(image string) {
	r.G.Eventually(func() error { // Weir writes the status meanwhile: retry on conflict
		ro := r.Get()
		ro.Spec.Template.Spec.Containers[0].Image = image
		return k8s.Update(r.Ctx, ro)
	}, timeout, poll).Should(Succeed())
}

// request writes an operator request into status, as kubectl weir does.
func (r *release) request(action weirv1.RequestAction) {
	r.G.Eventually(func() error {
		ro := r.Get()
		patch := client.MergeFromWithOptions(ro.DeepCopy(), client.MergeFromWithOptimisticLock{})
		ro.Status.Request = &weirv1.OperatorRequest{Action: action, By: "test", At: metav1.Now()}
		return k8s.Status().Patch(r.Ctx, ro, patch)
	}, timeout, poll).Should(Succeed())
}

// waitHealthy waits until the Rollout is Healthy for its current template.
func (r *release) waitHealthy() *weirv1.Rollout { return r.waitHealthyWithin(timeout) }

// waitHealthyWithin is waitHealthy with its own deadline.
func (r *release) waitHealthyWithin(within time.Duration) *weirv1.Rollout {
	var ro *weirv1.Rollout
	r.G.Eventually(func() weirv1.RolloutPhase {
		ro = r.Get()
		if ro.Status.ObservedGeneration != ro.Generation || ro.Status.StableRS != ro.Status.CurrentPodHash {
			return ""
		}
		return ro.Status.Phase
	}, within, poll).Should(Equal(weirv1.PhaseHealthy), func() string { return describe(r.Get()) })
	return ro
}

func describe(ro *weirv1.Rollout) string {
	return fmt.Sprintf("phase=%s message=%q step=%v stable=%s current=%s progressedAt=%v now=%v", ro.Status.Phase, ro.Status.Message,
		ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.StableRS, ro.Status.CurrentPodHash, ro.Status.ProgressedAt, time.Now())
}

// replicas returns spec.replicas of each revision's ReplicaSet by hash.
func (r *release) replicas() map[string]int32 {
	var list appsv1.ReplicaSetList
	r.G.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS))).To(Succeed())
	out := map[string]int32{}
	for _, rs := range list.Items {
		out[rs.Labels[revision.HashLabel]] = ptr.Deref(rs.Spec.Replicas, 1)
	}
	return out
}

func (r *release) available(hash string) int32 {
	var list appsv1.ReplicaSetList
	r.G.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS))).To(Succeed())
	for _, rs := range list.Items {
		if rs.Labels[revision.HashLabel] == hash {
			return rs.Status.AvailableReplicas
		}
	}
	return 0
}

var setWeight, pause = fixture.SetWeight, fixture.Pause

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
