package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
)

// TestAbortVerifiesWeightZeroBeforeScalingDown aborts mid-release: traffic must be back on
// stable and read back from the route before the canary scales down, and retry resumes.
func TestAbortVerifiesWeightZeroBeforeScalingDown(t *testing.T) {
	r := newRelease(t)
	g := r.G
	stable, canary := r.pausedAtHalf()
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 4, canary: 2}))

	r.request(weirv1.RequestAbort)
	g.Eventually(func() map[string]int32 { return r.replicas() }, timeout, poll).Should(Equal(map[string]int32{stable: 4, canary: 0}))
	ro := r.Get()
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	g.Expect(ro.Status.Phase).To(Equal(weirv1.PhaseDegraded))
	g.Expect(ro.Status.Message).To(And(ContainSubstring("aborted by test"), ContainSubstring("kubectl weir retry web")))
	g.Expect(meta.IsStatusConditionTrue(ro.Status.Conditions, weirv1.ConditionAborted)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(ro.Status.Conditions, weirv1.ConditionAborted).Reason).To(Equal(weirv1.ReasonOperatorAbort))
	g.Expect(ro.Status.Aborted.WeightVerifiedAt).NotTo(BeNil())

	// Order, from the API server's own clocks: the route got weight 0 before Weir recorded
	// it verified, and the canary scaled down abortScaleDownDelaySeconds (3 s) after that.
	var route gatewayv1.HTTPRoute
	g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web"}, &route)).To(Succeed())
	routeWritten := managerTime(route.ManagedFields)
	verified := ro.Status.Aborted.WeightVerifiedAt.Time
	g.Expect(routeWritten).NotTo(BeZero())
	g.Expect(routeWritten.After(verified)).To(BeFalse(), "weight 0 written at %s, verified at %s", routeWritten, verified)
	var rs appsv1.ReplicaSet
	g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web-" + canary}, &rs)).To(Succeed())
	scaledDown := managerTime(rs.ManagedFields)
	g.Expect(scaledDown.Sub(verified.Truncate(time.Second))).To(BeNumerically(">=", 3*time.Second),
		"canary scaled down at %s, weight 0 verified at %s", scaledDown, verified)
	g.Expect(r.Events()).To(ContainSubstring("RolloutAborted"))

	r.request(weirv1.RequestRetry)
	g.Eventually(func() weirv1.RolloutPhase { return r.Get().Status.Phase }, timeout, poll).Should(Equal(weirv1.PhasePaused))
	g.Expect(r.Get().Status.Aborted).To(BeNil())
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 4, canary: 2}))
	g.Expect(r.Events()).To(ContainSubstring("Retried"))
}

// managerTime is when Weir's manager last wrote the object.
func managerTime(fields []metav1.ManagedFieldsEntry) time.Time {
	var last time.Time
	for _, f := range fields {
		if (f.Manager == controller.FieldManager) && f.Time != nil && f.Time.After(last) {
			last = f.Time.Time
		}
	}
	return last
}

// TestThirdPartyWeightEditIsUndone: a GitOps self-heal (or a person) sets the weights back;
// Weir restores its own within seconds and leaves an unrelated backend and rule untouched.
func TestThirdPartyWeightEditIsUndone(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.ServicesNamed("docs", "web-legacy") // backends a gateway resolves
	docs := gatewayv1.HTTPRouteRule{
		Name: ptr.To[gatewayv1.SectionName]("docs"),
		Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
			Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/docs")}}},
		Filters: []gatewayv1.HTTPRouteFilter{{Type: gatewayv1.HTTPRouteFilterRequestHeaderModifier,
			RequestHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: []gatewayv1.HTTPHeader{{Name: "x-docs", Value: "1"}}}}},
		BackendRefs: []gatewayv1.HTTPBackendRef{backend("docs", 1)},
	}
	r.route(nil, docs)
	// An unrelated backend in the main rule (the stand-in gateway writes the status meanwhile).
	g.Eventually(func() error {
		route := r.routeObject()
		route.Spec.Rules[0].BackendRefs = append(route.Spec.Rules[0].BackendRefs, backend("web-legacy", 5))
		return k8s.Update(r.Ctx, route)
	}, timeout, poll).Should(Succeed())
	r.healthy(r.Rollout(4, setWeight(30), pause("")))
	r.setImage("web:2")
	g.Eventually(func() weirv1.RolloutPhase { return r.Get().Status.Phase }, timeout, poll).Should(Equal(weirv1.PhasePaused))
	g.Expect(r.Weights()).To(Equal([2]int32{70, 30}))

	// A third party writes 100/0 with a plain update, under its own field manager.
	g.Eventually(func() error {
		var route gatewayv1.HTTPRoute
		if err := k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web"}, &route); err != nil {
			return err
		}
		for i, br := range route.Spec.Rules[0].BackendRefs {
			switch br.Name {
			case "web-stable":
				route.Spec.Rules[0].BackendRefs[i].Weight = ptr.To[int32](100)
			case "web-canary":
				route.Spec.Rules[0].BackendRefs[i].Weight = ptr.To[int32](0)
			}
		}
		return k8s.Update(r.Ctx, &route, client.FieldOwner("argocd-controller"))
	}, timeout, poll).Should(Succeed())
	g.Eventually(r.Weights, 30*time.Second, poll).Should(Equal([2]int32{70, 30}), "Weir re-asserts its weights")

	var route gatewayv1.HTTPRoute
	g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web"}, &route)).To(Succeed())
	g.Expect(route.Spec.Rules).To(HaveLen(2))
	g.Expect(route.Spec.Rules[1].Name).To(Equal(docs.Name))
	g.Expect(route.Spec.Rules[1].Matches).To(Equal(docs.Matches))
	g.Expect(route.Spec.Rules[1].Filters).To(Equal(docs.Filters))
	g.Expect(route.Spec.Rules[1].BackendRefs[0].Name).To(Equal(gatewayv1.ObjectName("docs")))
	g.Expect(route.Spec.Rules[1].BackendRefs[0].Weight).To(Equal(ptr.To[int32](1)))
	legacy := route.Spec.Rules[0].BackendRefs[2]
	g.Expect(legacy.Name).To(Equal(gatewayv1.ObjectName("web-legacy")))
	g.Expect(legacy.Weight).To(Equal(ptr.To[int32](5)))
	g.Expect(route.Spec.ParentRefs).To(HaveLen(1))
	g.Expect(route.Labels).To(Equal(map[string]string{"team": "blog"}))
}

// TestNewRevisionMidReleaseRestartsSteps, then promote-full jumps to the end.
func TestNewRevisionMidReleaseRestartsSteps(t *testing.T) {
	r := newRelease(t)
	g := r.G
	stable := r.healthyWith(4, setWeight(25), pause(""), setWeight(75), pause("")).Status.StableRS

	r.setImage("web:2")
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(1)))
	v2 := r.Get().Status.CurrentPodHash
	r.request(weirv1.RequestPromote)
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(3)))
	g.Expect(r.Weights()).To(Equal([2]int32{25, 75}))

	r.setImage("web:3")
	var v3 string
	g.Eventually(func() bool {
		ro := r.Get()
		v3 = ro.Status.CurrentPodHash
		return v3 != v2 && ro.Status.Phase == weirv1.PhasePaused && ptr.Deref(ro.Status.CurrentStepIndex, -1) == 1
	}, timeout, poll).Should(BeTrue(), "the new revision starts again at step 1")
	g.Expect(r.Weights()).To(Equal([2]int32{75, 25}))
	g.Expect(r.Selector("web-canary")).To(Equal(v3))
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{stable: 4, v2: 0, v3: 1}))
	g.Expect(r.Events()).To(ContainSubstring("NewRevision"))

	r.request(weirv1.RequestPromoteFull)
	done := r.waitHealthy()
	g.Expect(done.Status.StableRS).To(Equal(v3))
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{stable: 0, v2: 0, v3: 4}))
}

// TestRouteNeverAcceptedHitsTheDeadline: no gateway ever accepts the route. The Rollout says
// so and, past progressDeadlineSeconds, reports ProgressDeadlineExceeded and aborts the release.
func TestRouteNeverAcceptedHitsTheDeadline(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.route(map[string]string{noGatewayAnnotation: "true"})
	ro := r.Rollout(2, setWeight(50), pause(""))
	ro.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
	ro.Spec.ProgressDeadlineAbort = true
	r.Create(ro)

	g.Eventually(func() string {
		c := meta.FindStatusCondition(r.Get().Status.Conditions, weirv1.ConditionProgressing)
		if c == nil || c.Status != metav1.ConditionFalse {
			return ""
		}
		return c.Reason + ": " + c.Message
	}, timeout, poll).Should(And(ContainSubstring(weirv1.ReasonProgressDeadlineExceeded), ContainSubstring("not Accepted")),
		func() string { return describe(r.Get()) })
	c := meta.FindStatusCondition(r.Get().Status.Conditions, weirv1.ConditionTrafficVerified)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(weirv1.ReasonNotAccepted))
	g.Expect(r.Get().Status.Phase).To(Equal(weirv1.PhaseDegraded))

	r.setImage("web:2")
	g.Eventually(func() string {
		a := r.Get().Status.Aborted
		if a == nil {
			return ""
		}
		return a.Reason
	}, timeout, poll).Should(Equal(weirv1.ReasonProgressDeadlineExceeded))
	g.Expect(r.Events()).To(ContainSubstring(weirv1.ReasonProgressDeadlineExceeded))
	// Weight 0 was never verified, so the canary is not scaled down on faith.
	g.Expect(r.Get().Status.Aborted.WeightVerifiedAt).To(BeNil())
}

// TestHeaderRouteStepAddsAndRemovesItsRule.
func TestHeaderRouteStepAddsAndRemovesItsRule(t *testing.T) {
	r := newRelease(t)
	g := r.G
	header := weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta",
		Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}}
	remove := weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta"}}
	r.healthyWith(2, setWeight(10), header, pause(""), remove, pause(""))
	r.setImage("web:2")
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(2)))

	route := r.routeObject()
	g.Expect(route.Spec.Rules).To(HaveLen(2))
	injected := route.Spec.Rules[0]
	g.Expect(*injected.Name).To(Equal(gatewayv1.SectionName("weir-header-beta")))
	g.Expect(injected.Matches).To(HaveLen(1))
	g.Expect(injected.Matches[0].Headers).To(ConsistOf(gatewayv1.HTTPHeaderMatch{
		Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "x-beta", Value: "1"}))
	g.Expect(injected.BackendRefs).To(HaveLen(1))
	g.Expect(injected.BackendRefs[0].Name).To(Equal(gatewayv1.ObjectName("web-canary")))
	g.Expect(r.Weights()).To(Equal([2]int32{90, 10}), "setWeight never touches the injected rule")
	g.Expect(r.Get().Status.Canary.HeaderRoutes).To(Equal([]string{"beta"}))

	r.request(weirv1.RequestPromote)
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(4)))
	g.Expect(r.routeObject().Spec.Rules).To(HaveLen(1), "the later step removed the injected rule")
	g.Expect(r.Weights()).To(Equal([2]int32{90, 10}))
}

// TestMirrorRouteStepAddsFollowsAndRemovesItsRule: a setMirrorRoute step injects a rule that
// serves like the base rule (at the current weights) and mirrors a share to the canary; the
// API server's Gateway API validation accepts it, later weights reach it, percent 0 removes it.
func TestMirrorRouteStepAddsFollowsAndRemovesItsRule(t *testing.T) {
	r := newRelease(t)
	g := r.G
	mirror := weirv1.CanaryStep{SetMirrorRoute: &weirv1.SetMirrorRoute{Name: "shadow", Percent: 20,
		Match: []weirv1.HeaderMatch{{Name: "x-shadow", Value: "yes"}}}}
	stop := weirv1.CanaryStep{SetMirrorRoute: &weirv1.SetMirrorRoute{Name: "shadow"}}
	r.healthyWith(2, setWeight(10), mirror, pause(""), setWeight(30), pause(""), stop, pause(""))
	r.setImage("web:2")
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(2)))

	injected := r.routeObject().Spec.Rules[0]
	g.Expect(*injected.Name).To(Equal(gatewayv1.SectionName("weir-mirror-shadow")))
	g.Expect(injected.Matches).To(HaveLen(1))
	g.Expect(injected.Matches[0].Headers).To(ConsistOf(gatewayv1.HTTPHeaderMatch{
		Type: ptr.To(gatewayv1.HeaderMatchExact), Name: "x-shadow", Value: "yes"}))
	g.Expect(injected.Filters).To(HaveLen(1))
	g.Expect(injected.Filters[0].Type).To(Equal(gatewayv1.HTTPRouteFilterRequestMirror))
	g.Expect(injected.Filters[0].RequestMirror.BackendRef.Name).To(Equal(gatewayv1.ObjectName("web-canary")))
	g.Expect(*injected.Filters[0].RequestMirror.Percent).To(Equal(int32(20)))
	mirrorWeights := func() [2]int32 {
		rule := r.routeObject().Spec.Rules[0]
		return [2]int32{*rule.BackendRefs[0].Weight, *rule.BackendRefs[1].Weight}
	}
	g.Expect(mirrorWeights()).To(Equal([2]int32{90, 10}), "mirrored requests are served at the release's weights")
	g.Expect(r.Weights()).To(Equal([2]int32{90, 10}))
	g.Expect(r.Get().Status.Canary.MirrorRoutes).To(Equal([]string{"shadow"}))

	r.request(weirv1.RequestPromote)
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(4)))
	g.Expect(mirrorWeights()).To(Equal([2]int32{70, 30}), "a later setWeight reaches the mirror rule too")

	r.request(weirv1.RequestPromote)
	g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(Equal(int32(6)))
	g.Expect(r.routeObject().Spec.Rules).To(HaveLen(1), "percent 0 removed the injected rule")
	g.Expect(r.Get().Status.Canary.MirrorRoutes).To(BeEmpty())
	g.Expect(r.Weights()).To(Equal([2]int32{70, 30}))
}

func (r *release) routeObject() *gatewayv1.HTTPRoute {
	var route gatewayv1.HTTPRoute
	r.G.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web"}, &route)).To(Succeed())
	return &route
}

// TestScaleSubresourceResizesBothRevisions: an HPA writes the scale subresource mid-release;
// both revisions follow in proportion, and dropping spec.replicas from Git keeps the scale.
func TestScaleSubresourceResizesBothRevisions(t *testing.T) {
	r := newRelease(t)
	g := r.G
	stable, canary := r.pausedAtHalf()
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 4, canary: 2}))

	scale := &autoscalingv1.Scale{}
	g.Expect(k8s.SubResource("scale").Get(r.Ctx, r.Get(), scale)).To(Succeed())
	g.Expect(scale.Spec.Replicas).To(Equal(int32(4)))
	g.Expect(scale.Status.Selector).To(ContainSubstring("app=web"))
	scale.Spec.Replicas = 8
	g.Expect(k8s.SubResource("scale").Update(r.Ctx, r.Get(), client.WithSubResourceBody(scale))).To(Succeed())
	g.Eventually(r.replicas, timeout, poll).Should(Equal(map[string]int32{stable: 8, canary: 4}))

	// Git drops spec.replicas: the running Rollout keeps its scale, it doesn't fall to 1.
	g.Eventually(func() error {
		ro := r.Get()
		ro.Spec.Replicas = nil
		return k8s.Update(r.Ctx, ro)
	}, timeout, poll).Should(Succeed())
	g.Eventually(func() bool { ro := r.Get(); return ro.Status.ObservedGeneration == ro.Generation }, timeout, poll).Should(BeTrue())
	g.Expect(r.replicas()).To(Equal(map[string]int32{stable: 8, canary: 4}))
	g.Expect(*r.Get().Status.DesiredReplicas).To(Equal(int32(8)))
}

// TestMissingReferencesAreReported: a Rollout naming a Service that doesn't exist says so in
// a condition and an Event, and picks up as soon as the Service appears.
func TestMissingReferencesAreReported(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.route(nil)
	r.Create(r.Rollout(2, setWeight(50), pause("")))
	g.Eventually(func() string {
		c := condition(r.Get(), weirv1.ConditionInvalidSpec)
		if c.Status != metav1.ConditionTrue {
			return ""
		}
		return c.Reason + ": " + c.Message
	}, timeout, poll).Should(Equal(weirv1.ReasonReferenceNotFound + ": Service " + r.NS + "/web-stable not found"))
	g.Expect(r.Get().Status.Phase).To(Equal(weirv1.PhaseDegraded))
	g.Expect(r.Events()).To(ContainSubstring("Service " + r.NS + "/web-stable not found"))

	r.Services()
	r.waitHealthy()
}
