package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
	// shown is the namespace as printed in golden files and docs (ns without its random
	// suffix), so that tests can run again (-count) in the same cluster.
	shown string
}

// newRelease makes a namespace named prefix-<random> ("t-<random>" without a prefix).
func newRelease(t *testing.T, prefix string) *release {
	t.Parallel()
	g := NewWithT(t)
	ns := uniqueNamespace(g, prefix)
	return &release{t: t, g: g, ctx: context.Background(), ns: ns, name: "web", shown: prefix}
}

func uniqueNamespace(g *WithT, prefix string) string {
	if prefix == "" {
		prefix = "t"
	}
	ns := prefix + "-" + rand.String(5)
	g.Expect(k8s.Create(context.Background(), namespace(ns))).To(Succeed())
	return ns
}

// normalize prints the namespace as the golden files know it.
func (r *release) normalize(s string) string { return strings.ReplaceAll(s, r.ns, r.shown) }

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func (r *release) key() client.ObjectKey { return client.ObjectKey{Namespace: r.ns, Name: r.name} }

// services creates web-stable and web-canary selecting app=web.
func (r *release) services() {
	for _, svc := range fixture.Services(r.ns, "web") {
		r.g.Expect(k8s.Create(r.ctx, svc)).To(Succeed())
	}
}

// route creates the HTTPRoute "web" with the given weights on web-stable and web-canary.
func (r *release) route(stable, canary int32, annotations map[string]string) *gatewayv1.HTTPRoute {
	route := fixture.Route(r.ns, "web", stable, canary)
	route.Annotations = annotations
	r.g.Expect(k8s.Create(r.ctx, route)).To(Succeed())
	return route
}

func template(image string) corev1.PodTemplateSpec { return fixture.PodTemplate("web", image) }

func hashOf(image string) string {
	t := template(image)
	return revision.Hash(&t, nil)
}

func (r *release) rollout(replicas int32, steps ...weirv1.CanaryStep) *weirv1.Rollout {
	// Every Rollout here releases the app "web" (its Services and route), whatever it is called.
	ro := fixture.CanaryRollout(r.ns, "web", replicas, "web:1", steps...)
	ro.Name = r.name
	ro.Spec.Strategy.Canary.ScaleDownDelaySeconds = ptr.To[int32](2)
	ro.Spec.Strategy.Canary.AbortScaleDownDelaySeconds = ptr.To[int32](3)
	return ro
}

// managed creates Services, route and Rollout for the controller, and waits until Healthy.
func (r *release) managed(replicas int32, steps ...weirv1.CanaryStep) {
	r.services()
	r.route(100, 0, nil)
	r.g.Expect(k8s.Create(r.ctx, r.rollout(replicas, steps...))).To(Succeed())
	r.waitVerdict("Healthy", 0)
}

func (r *release) get() *weirv1.Rollout {
	var ro weirv1.Rollout
	r.g.Expect(k8s.Get(r.ctx, r.key(), &ro)).To(Succeed())
	return &ro
}

// waitVerdict runs `kubectl weir status --watch` until it exits with code, as a CI
// pipeline would, and checks its last line names the verdict.
func (r *release) waitVerdict(verdict string, code int) result {
	res := weir("-n", r.ns, "status", r.name, "--watch", "--timeout", timeout.String())
	r.g.Expect(res.code).To(Equal(code), func() string { return res.String() + "\n" + r.describe() + r.diagnose() })
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	r.g.Expect(lines[len(lines)-1]).To(ContainSubstring(verdict), res.String())
	return res
}

// diagnose lists the namespace's ReplicaSets and pods, for failure messages.
func (r *release) diagnose() string {
	var b strings.Builder
	var rss appsv1.ReplicaSetList
	_ = k8s.List(r.ctx, &rss, client.InNamespace(r.ns))
	for _, rs := range rss.Items {
		fmt.Fprintf(&b, "\nReplicaSet %s: replicas %d, status %+v", rs.Name, ptr.Deref(rs.Spec.Replicas, 1), rs.Status)
	}
	var pods corev1.PodList
	_ = k8s.List(r.ctx, &pods, client.InNamespace(r.ns))
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\npod %s: %s deleting=%v conditions=%v", p.Name, p.Status.Phase, p.DeletionTimestamp != nil, p.Status.Conditions)
	}
	return b.String()
}

func (r *release) describe() string {
	ro := r.get()
	return fmt.Sprintf("phase=%s message=%q step=%v stable=%s current=%s request=%v", ro.Status.Phase, ro.Status.Message,
		ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.StableRS, ro.Status.CurrentPodHash, ro.Status.Request)
}

// weights reads the route's stable and canary weights.
func (r *release) weights() [2]int32 {
	var route gatewayv1.HTTPRoute
	r.g.Expect(k8s.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: "web"}, &route)).To(Succeed())
	return fixture.Weights(r.name, fixture.RuleRefs(route.Spec.Rules[len(route.Spec.Rules)-1]))
}

func (r *release) events() string {
	text, err := fixture.Events(r.ctx, k8s, r.ns)
	r.g.Expect(err).NotTo(HaveOccurred())
	return text
}

var setWeight, pause = fixture.SetWeight, fixture.Pause
