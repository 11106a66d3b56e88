package controller_test

import (
	"context"
	"fmt"
	"strings"
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
)

// Generous deadlines: CI machines are shared and slow; Eventually returns as soon as it holds.
const (
	timeout = 90 * time.Second
	poll    = 100 * time.Millisecond
)

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
func (r *release) services() { r.servicesNamed("web-stable", "web-canary") }

// servicesNamed creates Services selecting app=web.
func (r *release) servicesNamed(names ...string) {
	for _, name := range names {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.ns},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "web"},
				Ports:    []corev1.ServicePort{{Port: 80}},
			},
		}
		r.g.Expect(k8s.Create(r.ctx, svc)).To(Succeed())
	}
}

func backend(name string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)},
		Weight:                 ptr.To(weight),
	}}
}

// route creates the HTTPRoute "web" sending everything to web-stable, plus any extra rules.
func (r *release) route(annotations map[string]string, extra ...gatewayv1.HTTPRouteRule) *gatewayv1.HTTPRoute {
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: r.ns, Annotations: annotations,
			Labels: map[string]string{"team": "blog"}},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "public"}}},
			Rules: append([]gatewayv1.HTTPRouteRule{{
				Name:        ptr.To[gatewayv1.SectionName]("main"),
				BackendRefs: []gatewayv1.HTTPBackendRef{backend("web-stable", 100), backend("web-canary", 0)},
			}}, extra...),
		},
	}
	r.g.Expect(k8s.Create(r.ctx, route)).To(Succeed())
	return route
}

func (r *release) rollout(replicas int32, steps ...weirv1.CanaryStep) *weirv1.Rollout {
	labels := map[string]string{"app": "web"}
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: r.name, Namespace: r.ns},
		Spec: weirv1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
			},
			Strategy: weirv1.RolloutStrategy{Canary: &weirv1.CanaryStrategy{
				StableService: "web-stable",
				CanaryService: "web-canary",
				TrafficRouting: &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{
					HTTPRoutes: []weirv1.HTTPRouteRef{{Name: "web"}},
				}},
				Steps:                      steps,
				ScaleDownDelaySeconds:      ptr.To[int32](2),
				AbortScaleDownDelaySeconds: ptr.To[int32](3),
			}},
		},
	}
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
func (r *release) waitHealthy() *weirv1.Rollout {
	var ro *weirv1.Rollout
	r.g.Eventually(func() weirv1.RolloutPhase {
		ro = r.get()
		if ro.Status.ObservedGeneration != ro.Generation || ro.Status.StableRS != ro.Status.CurrentPodHash {
			return ""
		}
		return ro.Status.Phase
	}, timeout, poll).Should(Equal(weirv1.PhaseHealthy), func() string { return describe(r.get()) })
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
		var w [2]int32
		for _, br := range rule.BackendRefs {
			switch br.Name {
			case "web-stable":
				w[0] = ptr.Deref(br.Weight, 1)
			case "web-canary":
				w[1] = ptr.Deref(br.Weight, 1)
			}
		}
		return w
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
	var list corev1.EventList
	r.g.Expect(k8s.List(r.ctx, &list, client.InNamespace(r.ns))).To(Succeed())
	var b strings.Builder
	for _, e := range list.Items {
		fmt.Fprintf(&b, "%s %s: %s\n", e.Type, e.Reason, e.Message)
	}
	return b.String()
}

func setWeight(w int32) weirv1.CanaryStep { return weirv1.CanaryStep{SetWeight: ptr.To(w)} }

func pause(d string) weirv1.CanaryStep {
	if d == "" {
		return weirv1.CanaryStep{Pause: &weirv1.RolloutPause{}}
	}
	return weirv1.CanaryStep{Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.Duration(d))}}
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
