package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
)

// blueGreenFrontend is the blog's frontend: a blue-green Rollout behind frontend-active,
// which the route sends every request to.
func blueGreenFrontend() stack.App {
	ns := "e2e-bg-" + rand.String(5)
	app := stack.App{Namespace: ns, Name: "frontend", Host: "frontend." + ns + ".example"}
	labels := map[string]string{"app": "frontend"}
	svc := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	}
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend", Namespace: ns},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: stack.GatewayName, Namespace: ptr.To[gatewayv1.Namespace]("default")}}},
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(app.Host)},
			Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
				BackendObjectReference: gatewayv1.BackendObjectReference{Name: "frontend-active", Port: ptr.To[gatewayv1.PortNumber](80)}}}}}},
		},
	}
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend", Namespace: ns},
		Spec: weirv1.RolloutSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "frontend", Image: "demoapp:v1",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}},
			Strategy: weirv1.RolloutStrategy{BlueGreen: &weirv1.BlueGreenStrategy{
				ActiveService: "frontend-active", PreviewService: "frontend-preview",
				AutoPromotionEnabled: ptr.To(false), ScaleDownDelaySeconds: ptr.To[int32](5)}},
		},
	}
	for _, obj := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		svc("frontend-active"), svc("frontend-preview"), route, ro} {
		Expect(env.Client.Create(ctx, obj)).To(Succeed())
	}
	return app
}

var _ = Describe("a blue-green release", func() {
	It("keeps every request on the old version until promotion, then every request on the new one, none failing", func() {
		app := blueGreenFrontend()
		waitHealthy(app)
		Eventually(func() float64 { return env.Send(app, 50, 5).Share("v1") }, timeout, poll).Should(Equal(100.0))
		load := env.StartLoad(app, 40)
		DeferCleanup(load.Stop)

		Expect(app.Release(ctx, env.Client, "demoapp:v2", "")).To(Succeed())
		waitPausedAt(app, 0)
		before := env.Send(app, 400, 8)
		GinkgoWriter.Printf("preview up, before promotion: %v of %d requests\n", before.Versions, before.Requests)
		Expect(before.Share("v1")).To(Equal(100.0))

		request(app, weirv1.RequestPromote)
		waitHealthy(app)
		Eventually(func() float64 { return env.Send(app, 400, 8).Share("v2") }, timeout, poll).Should(Equal(100.0))
		during := load.Take()
		GinkgoWriter.Printf("across the switch: %v by version, failures %v, transport errors %d\n", during.Versions, during.Failed, during.Errors)
		Expect(during.Failed).To(BeEmpty())
		Expect(during.Errors).To(BeZero())
	})
})
