package cli_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// Deadlines: fixture.Timeout and fixture.Poll.
const timeout, poll = fixture.Timeout, fixture.Poll

// release is one Rollout under test in its own namespace (see fixture.Release), with what
// only the plugin suite asks of it.
type release struct {
	*fixture.Release
	// shown is the namespace as printed in golden files and docs (NS without its random
	// suffix), so that tests can run again (-count) in the same cluster.
	shown string
}

// newRelease makes a namespace named prefix-<random> ("t-<random>" without a prefix).
func newRelease(t *testing.T, prefix string) *release {
	return &release{Release: fixture.NewRelease(t, k8s, prefix), shown: prefix}
}

// sibling is another release of the test in a namespace named prefix-<random>.
func (r *release) sibling(prefix string) *release {
	return &release{Release: r.Sibling(prefix), shown: prefix}
}

// normalize prints the namespace as the golden files know it.
func (r *release) normalize(s string) string { return strings.ReplaceAll(s, r.NS, r.shown) }

// serve creates the Services web-stable and web-canary and the HTTPRoute "web" with the
// given weights on them.
func (r *release) serve(stable, canary int32, annotations map[string]string) {
	r.Services()
	route := fixture.Route(r.NS, r.App, stable, canary)
	route.Annotations = annotations
	r.Create(route)
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func template(image string) corev1.PodTemplateSpec { return fixture.PodTemplate("web", image) }

func hashOf(image string) string {
	t := template(image)
	return revision.Hash(&t, nil)
}

// revisionSet is the ReplicaSet of template t as revision n of ro, of replicas pods, as the
// controller would make it: named and labelled after t's hash.
func revisionSet(ro *weirv1.Rollout, t corev1.PodTemplateSpec, n int, replicas int32) *appsv1.ReplicaSet {
	hash := revision.Hash(&t, nil)
	t = *t.DeepCopy()
	t.Labels[revision.HashLabel] = hash
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: ro.Name + "-" + hash, Namespace: ro.Namespace, Labels: t.Labels,
			Annotations: map[string]string{revision.RevisionAnnotation: strconv.Itoa(n)}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: t.Labels}, Template: t},
	}
}

// managed creates Services, route and Rollout for the controller, and waits until Healthy.
func (r *release) managed(replicas int32, steps ...weirv1.CanaryStep) {
	r.serve(100, 0, nil)
	r.Create(r.Rollout(replicas, steps...))
	r.waitVerdict("Healthy", 0)
}

// setImage releases image with kubectl weir set image, as an operator would.
func (r *release) setImage(image string) result {
	res := weir("-n", r.NS, "set", "image", r.Name, fixture.Container+"="+image)
	r.G.Expect(res.code).To(Equal(0), res.String())
	return res
}

// pausedAtHalf is a managed Rollout of two pods released to web:2 and paused at weight 50.
func (r *release) pausedAtHalf() {
	r.managed(2, setWeight(50), pause(""))
	r.setImage("web:2")
	r.waitVerdict("Paused", 2)
}

// waitVerdict runs `kubectl weir status --watch` until it exits with code, as a CI
// pipeline would, and checks its last line names the verdict.
func (r *release) waitVerdict(verdict string, code int) result {
	res := weir("-n", r.NS, "status", r.Name, "--watch", "--timeout", timeout.String())
	r.G.Expect(res.code).To(Equal(code), func() string { return res.String() + "\n" + r.describe() + r.diagnose() })
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	r.G.Expect(lines[len(lines)-1]).To(ContainSubstring(verdict), res.String())
	return res
}

// diagnose lists the namespace's ReplicaSets and pods, for failure messages.
func (r *release) diagnose() string {
	var b strings.Builder
	var rss appsv1.ReplicaSetList
	_ = k8s.List(r.Ctx, &rss, client.InNamespace(r.NS))
	for _, rs := range rss.Items {
		fmt.Fprintf(&b, "\nReplicaSet %s: replicas %d, status %+v", rs.Name, ptr.Deref(rs.Spec.Replicas, 1), rs.Status)
	}
	var pods corev1.PodList
	_ = k8s.List(r.Ctx, &pods, client.InNamespace(r.NS))
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\npod %s: %s deleting=%v conditions=%v", p.Name, p.Status.Phase, p.DeletionTimestamp != nil, p.Status.Conditions)
	}
	return b.String()
}

func (r *release) describe() string {
	ro := r.Get()
	return fmt.Sprintf("phase=%s message=%q step=%v stable=%s current=%s request=%v", ro.Status.Phase, ro.Status.Message,
		ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.StableRS, ro.Status.CurrentPodHash, ro.Status.Request)
}

var setWeight, pause = fixture.SetWeight, fixture.Pause
