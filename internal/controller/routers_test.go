package controller_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// grpcRoute is the gRPC service's route: one rule for the greeter's methods, the stable
// and canary weights, and a second rule of the user's for another service.
func (r *release) grpcRoute() {
	backend := func(name string, weight int32) gatewayv1.GRPCBackendRef {
		return gatewayv1.GRPCBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)},
			Weight:                 ptr.To(weight)}}
	}
	route := &gatewayv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "web-grpc", Namespace: r.NS},
		Spec: gatewayv1.GRPCRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "public"}}},
			Rules: []gatewayv1.GRPCRouteRule{
				{
					Name:        ptr.To[gatewayv1.SectionName]("greeter"),
					Matches:     []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{Service: ptr.To("helloworld.Greeter")}}},
					BackendRefs: []gatewayv1.GRPCBackendRef{backend("web-stable", 100), backend("web-canary", 0)},
				},
				{
					Name:        ptr.To[gatewayv1.SectionName]("health"),
					Matches:     []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{Service: ptr.To("grpc.health.v1.Health")}}},
					BackendRefs: []gatewayv1.GRPCBackendRef{backend("web-stable", 1)},
				},
			},
		},
	}
	r.G.Expect(k8s.Create(r.Ctx, route)).To(Succeed())
}

func (r *release) grpcWeights() [2]int32 {
	var route gatewayv1.GRPCRoute
	r.G.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web-grpc"}, &route)).To(Succeed())
	var refs []gatewayv1.BackendRef
	for _, br := range route.Spec.Rules[0].BackendRefs {
		refs = append(refs, br.BackendRef)
	}
	return fixture.Weights(r.Name, refs)
}

// TestGRPCRouteCarriesTheRelease: a Rollout naming an HTTPRoute and a GRPCRoute moves both
// step by step; each weight is verified on both (the stand-in gateway accepting and
// resolving each generation) before the step ends. Weir changes only the weights of the
// rule with both Services, under its own field manager; Git's other rule is untouched.
func TestGRPCRouteCarriesTheRelease(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.Services()
	r.route(nil)
	r.grpcRoute()
	ro := r.Rollout(2, setWeight(25), pause(""), setWeight(60), pause(""))
	ro.Spec.Strategy.Canary.TrafficRouting.GatewayAPI.GRPCRoutes = []weirv1.RouteRef{{Name: "web-grpc"}}
	r.healthy(ro)

	r.setImage("web:2")
	for _, want := range [][2]int32{{75, 25}, {40, 60}} {
		g.Eventually(func() string {
			ro := r.Get()
			return string(ro.Status.Phase) + " " + ro.Status.Message
		}, timeout, poll).Should(ContainSubstring("until promoted"), func() string { return describe(r.Get()) })
		g.Expect(r.grpcWeights()).To(Equal(want))
		g.Expect(r.Weights()).To(Equal(want))
		w := r.Get().Status.Canary.Weights
		g.Expect(w.Verified).To(Equal(&weirv1.WeightPair{Stable: want[0], Canary: want[1]}))
		r.request(weirv1.RequestPromote)
		g.Eventually(func() int32 { return ptr.Deref(r.Get().Status.CurrentStepIndex, -1) }, timeout, poll).Should(BeNumerically(">", 1))
	}
	r.waitHealthy()
	g.Expect(r.grpcWeights()).To(Equal([2]int32{100, 0}))

	var route gatewayv1.GRPCRoute
	g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: "web-grpc"}, &route)).To(Succeed())
	g.Expect(route.Spec.Rules[1].BackendRefs).To(HaveLen(1), "the user's other rule is untouched")
	g.Expect(*route.Spec.Rules[1].BackendRefs[0].Weight).To(Equal(int32(1)))
	managers := map[string]bool{}
	for _, mf := range route.ManagedFields {
		if mf.Operation == metav1.ManagedFieldsOperationApply {
			managers[mf.Manager] = true
		}
	}
	g.Expect(managers).To(HaveKey(controller.FieldManager))
}

// TestUnresolvedCanaryBackendHoldsTraffic: the canary Service has no port 80, so the gateway
// reports ResolvedRefs False. The release stops at its first weight before the canary gets
// any traffic and says which backend doesn't resolve; once the Service is fixed it goes on
// by itself.
func TestUnresolvedCanaryBackendHoldsTraffic(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyWith(2, setWeight(50), pause(""))

	var canary corev1.Service
	g.Eventually(func() error {
		g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, fixture.CanaryService("web")), &canary)).To(Succeed())
		canary.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 8080}}
		return k8s.Update(r.Ctx, &canary)
	}, timeout, poll).Should(Succeed())
	r.setImage("web:2")
	g.Eventually(func() string { return r.Get().Status.Message }, timeout, poll).Should(
		ContainSubstring("a backend doesn't resolve"), func() string { return describe(r.Get()) })
	ro := r.Get()
	g.Expect(ro.Status.Message).To(And(ContainSubstring("weight 50 held"), ContainSubstring("Service "+r.NS+"/web-canary has no port 80")))
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}), func() string {
		var live gatewayv1.HTTPRoute
		g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, "web"), &live)).To(Succeed())
		return fmt.Sprintf("no traffic to a canary the gateway can't reach: %s; weights %+v; route generation %d, status %+v",
			describe(ro), *ro.Status.Canary.Weights, live.Generation, live.Status.Parents)
	})
	g.Expect(condition(ro, weirv1.ConditionStalled)).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", weirv1.ReasonBackendNotResolved)),
		"a person must fix it: kstatus Stalled")
	g.Expect(r.Events()).NotTo(ContainSubstring("StepCompleted"))

	g.Eventually(func() error {
		g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, fixture.CanaryService("web")), &canary)).To(Succeed())
		canary.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80}}
		return k8s.Update(r.Ctx, &canary)
	}, timeout, poll).Should(Succeed())
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{50, 50}))
	g.Eventually(func() string { return r.Get().Status.Message }, timeout, poll).Should(ContainSubstring("until promoted"))
	g.Expect(r.Get().Status.Message).NotTo(ContainSubstring("resolve"))
}

// TestRouteInAnotherNamespaceNeedsAReferenceGrant: the HTTPRoute lives in a platform team's
// namespace and names the Rollout's Services with their namespace. Until a ReferenceGrant in
// the Rollout's namespace lets that namespace's routes reach them, the gateway doesn't
// resolve them and Weir says so without sending traffic; with the grant, the release sets
// the weights on the route over there.
func TestRouteInAnotherNamespaceNeedsAReferenceGrant(t *testing.T) {
	r := newRelease(t)
	g := r.G
	platform := r.Namespace("platform")
	r.Services()
	route := fixture.Route(platform, "web", 100, 0)
	for i := range route.Spec.Rules[0].BackendRefs {
		route.Spec.Rules[0].BackendRefs[i].Namespace = ptr.To(gatewayv1.Namespace(r.NS))
	}
	r.Create(route)
	ro := r.Rollout(2, setWeight(50), pause(""))
	ro.Spec.Strategy.Canary.TrafficRouting.GatewayAPI.HTTPRoutes = []weirv1.RouteRef{{Name: "web", Namespace: platform}}
	r.Create(ro)
	g.Eventually(func() string { return r.Get().Status.Message }, timeout, poll).Should(
		ContainSubstring("no ReferenceGrant in "+r.NS+" lets routes of "+platform+" reach it"), func() string { return describe(r.Get()) })

	r.Create(&gatewayv1beta1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Name: "platform-routes", Namespace: r.NS},
		Spec: gatewayv1beta1.ReferenceGrantSpec{
			From: []gatewayv1beta1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "HTTPRoute", Namespace: gatewayv1.Namespace(platform)}},
			To:   []gatewayv1beta1.ReferenceGrantTo{{Group: "", Kind: "Service"}},
		}})
	r.waitHealthy()
	r.setImage("web:2")
	r.phaseIs(weirv1.PhasePaused)
	var live gatewayv1.HTTPRoute
	g.Expect(k8s.Get(r.Ctx, clientKey(platform, "web"), &live)).To(Succeed())
	g.Expect(fixture.Weights("web", fixture.RuleRefs(live.Spec.Rules[0]))).To(Equal([2]int32{50, 50}), "the weights are set on the platform namespace's route")
	g.Expect(r.Get().Status.Canary.Weights.Verified).To(Equal(&weirv1.WeightPair{Stable: 50, Canary: 50}))
}
