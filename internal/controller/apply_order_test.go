package controller

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/revision"
)

// The order of writes within one reconcile decides what traffic sees in between: at the end
// of a release the stable Service must select the new revision before the route sends it
// everything; on an abort the route must pull the canary's weight first. The client here
// only records the writes: what they do is tested against a real API server elsewhere.
func TestApplyOrder(t *testing.T) {
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: weirv1.RolloutSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Strategy: weirv1.RolloutStrategy{Canary: &weirv1.CanaryStrategy{
				StableService: "web-stable", CanaryService: "web-canary",
				TrafficRouting: &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{
					HTTPRoutes: []weirv1.HTTPRouteRef{{Name: "web"}}}},
			}},
		},
	}
	backend := func(name string, weight int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)},
			Weight:                 ptr.To(weight)}}
	}
	observe := func(stableSelects string) *observed {
		svc := func(name, hash string) *corev1.Service {
			return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web", revision.HashLabel: hash}}}
		}
		return &observed{
			input: planner.Input{Rollout: ro, CurrentHash: "v2",
				Services: map[string]planner.Service{"web-stable": {Hash: stableSelects}, "web-canary": {Hash: "v2"}}},
			services: map[string]*corev1.Service{"web-stable": svc("web-stable", stableSelects), "web-canary": svc("web-canary", "v2")},
			routes: map[string]*gatewayv1.HTTPRoute{"web": {ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "7"},
				Spec: gatewayv1.HTTPRouteSpec{Rules: []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{
					backend("web-stable", 25), backend("web-canary", 75)}}}}}},
		}
	}
	cases := []struct {
		name  string
		obs   *observed
		plan  planner.Plan
		order string
	}{
		{"release completes: stable Service first, then 100/0", observe("v1"),
			planner.Plan{Traffic: &planner.Traffic{Weights: weirv1.WeightPair{Stable: 100}},
				Selectors: map[string]string{"web-stable": "v2", "web-canary": "v2"}},
			"Service/web-stable,HTTPRoute/web"},
		{"abort: the route pulls the canary's weight before anything else", observe("v1"),
			planner.Plan{Traffic: &planner.Traffic{Weights: weirv1.WeightPair{Stable: 100}},
				Selectors: map[string]string{"web-stable": "v1", "web-canary": "v1"}},
			"HTTPRoute/web,Service/web-canary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var writes []string
			c := interceptor.NewClient(fake.NewClientBuilder().WithScheme(NewScheme()).Build(), interceptor.Funcs{
				Patch: func(_ context.Context, _ client.WithWatch, obj client.Object, _ client.Patch, _ ...client.PatchOption) error {
					writes = append(writes, obj.GetObjectKind().GroupVersionKind().Kind+"/"+obj.GetName())
					return nil
				},
			})
			r := &RolloutReconciler{Client: c}
			if err := r.apply(context.Background(), ro, tc.obs, &tc.plan); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(writes, ","); got != tc.order {
				t.Errorf("writes %s, want %s", got, tc.order)
			}
		})
	}
}
