package packaging

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/controller"
)

// The chart's traffic guard (templates/traffic-guard.yaml), installed in a real API server:
// writes of a Rollout's HTTPRoute by anyone but Weir keep the weights Weir holds and its weir-*
// rules, writes of its Services keep Weir's revision label in the selector, and everything else
// they say is applied. The GitOps suite proves the same against a real Argo CD.
func TestTrafficGuardKeepsWhatWeirHolds(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const ns = "traffic-guard"
	c := clientWith(t, ns)
	guard := renderWeir(t, nil)
	g.Expect(apply(ctx, c, weirNamespace, "helm", append(guard.ofKind("MutatingAdmissionPolicy"), guard.ofKind("MutatingAdmissionPolicyBinding")...))).To(Succeed())

	// The Rollout is the guard's parameter. Another installation's instance label keeps this
	// package's in-process Weir away from it: here the test plays Weir.
	g.Expect(apply(ctx, c, ns, "git", []*unstructured.Unstructured{{Object: object(t, `
apiVersion: rollouts.weir.dev/v1alpha1
kind: Rollout
metadata:
  name: backend
  labels: {`+controller.InstanceIDLabel+`: traffic-guard-test}
spec:
  replicas: 1
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: backend, image: backend:1}]}
  strategy:
    canary:
      stableService: backend-stable
      canaryService: backend-canary
      trafficRouting: {gatewayAPI: {httpRoutes: [{name: backend}], grpcRoutes: [{name: backend}]}}
      steps: [{setWeight: 30}, {pause: {}}]
`)}})).To(Succeed())

	gitRoute := func(name, rules string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: object(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: `+name+`}
spec:
  parentRefs: [{name: public, namespace: default}]
  rules: `+rules)}
	}
	gitRules := `[{name: api, backendRefs: [{name: backend-stable, port: 80, weight: 100}, {name: backend-canary, port: 80, weight: 0}]}]`
	weirRules := `[{name: api, backendRefs: [{name: backend-stable, port: 80, weight: 70}, {name: backend-canary, port: 80, weight: 30}]},
    {name: weir-header-0, matches: [{headers: [{name: x-canary, value: "on"}]}], backendRefs: [{name: backend-canary, port: 80, weight: 1}]}]`
	// Git's next commit: a path match, a timeout, a new rule to the same backends, a rule to
	// another backend, and still Git's weights.
	gitEdit := `[{name: api, matches: [{path: {type: PathPrefix, value: /v2}}], timeouts: {request: 10s},
      backendRefs: [{name: backend-stable, port: 80, weight: 100}, {name: backend-canary, port: 80, weight: 0}]},
    {name: legacy, matches: [{path: {type: PathPrefix, value: /v1}}], backendRefs: [{name: backend-stable, port: 80, weight: 100}, {name: backend-canary, port: 80, weight: 0}]},
    {name: docs, matches: [{path: {type: PathPrefix, value: /docs}}], backendRefs: [{name: docs, port: 80, weight: 5}]}]`

	// applyAs retries while the API server answers 503 for the kind (seen on a loaded machine
	// right after the policy was installed: "There can be a delay…").
	applyAs := func(owner string, route *unstructured.Unstructured) {
		t.Helper()
		g.Eventually(func() error {
			return apply(ctx, c, ns, owner, []*unstructured.Unstructured{route})
		}, timeout, poll).Should(Succeed())
	}
	for _, name := range []string{"backend", "unrelated"} {
		applyAs("argocd-controller", gitRoute(name, gitRules))
		applyAs(controller.FieldManager, gitRoute(name, weirRules))
	}
	rules := func(name string) []any {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("gateway.networking.k8s.io/v1")
		u.SetKind("HTTPRoute")
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed())
		r, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
		return r
	}
	// What the API server stores: Git's edit, with Weir's weights on the Rollout's two
	// Services (also in Git's new rule), and Weir's header rule kept; the other backend as Git says.
	want := gitRoute("x", `[{name: api, matches: [{path: {type: PathPrefix, value: /v2}}], timeouts: {request: 10s},
      backendRefs: [{group: "", kind: Service, name: backend-stable, port: 80, weight: 70}, {group: "", kind: Service, name: backend-canary, port: 80, weight: 30}]},
    {name: legacy, matches: [{path: {type: PathPrefix, value: /v1}}], backendRefs: [{group: "", kind: Service, name: backend-stable, port: 80, weight: 70}, {group: "", kind: Service, name: backend-canary, port: 80, weight: 30}]},
    {name: docs, matches: [{path: {type: PathPrefix, value: /docs}}], backendRefs: [{group: "", kind: Service, name: docs, port: 80, weight: 5}]},
    {name: weir-header-0, matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-canary, type: Exact, value: "on"}]}], backendRefs: [{group: "", kind: Service, name: backend-canary, port: 80, weight: 1}]}]`)
	wantRules, _, _ := unstructured.NestedSlice(want.Object, "spec", "rules")
	asJSON := func(v any) string { b, err := json.Marshal(v); g.Expect(err).NotTo(HaveOccurred()); return string(b) }
	// Each policy (the routes', the Services') takes effect once the API server has loaded
	// it, apart from the other: until then Git's write goes through as sent, so each try
	// starts again from Weir's write.
	g.Eventually(func() string {
		applyAs(controller.FieldManager, gitRoute("backend", weirRules))
		applyAs("argocd-controller", gitRoute("backend", gitEdit))
		return asJSON(rules("backend"))
	}, timeout, poll).Should(MatchJSON(asJSON(wantRules)))

	// A plain update (kubectl edit, a client-side apply) is guarded the same way.
	// (Read and written again on a conflict, as kubectl edit asks a person to: seen once
	// under load, the route's resourceVersion moved between the read and the write.)
	plain, _, _ := unstructured.NestedSlice(gitRoute("x", gitRules).Object, "spec", "rules")
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("gateway.networking.k8s.io/v1")
		u.SetKind("HTTPRoute")
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "backend"}, u); err != nil {
			return err
		}
		if err := unstructured.SetNestedSlice(u.Object, plain, "spec", "rules"); err != nil {
			return err
		}
		return c.Update(ctx, u, client.FieldOwner("kubectl-edit"))
	})).To(Succeed())
	g.Expect(rules("backend")[0]).To(HaveKeyWithValue("backendRefs", ConsistOf(
		HaveKeyWithValue("weight", BeEquivalentTo(70)), HaveKeyWithValue("weight", BeEquivalentTo(30)))))

	// Weir itself moves its weights.
	applyAs(controller.FieldManager, gitRoute("backend", gitRules))
	g.Expect(rules("backend")).To(HaveLen(1))
	g.Expect(rules("backend")[0]).To(HaveKeyWithValue("backendRefs", ConsistOf(
		HaveKeyWithValue("weight", BeEquivalentTo(100)), HaveKeyWithValue("weight", BeEquivalentTo(0)))))

	// Services: Weir's revision label stays in the selector; Git's new port applies.
	service := func(selector, ports string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: object(t, `
apiVersion: v1
kind: Service
metadata: {name: backend-stable}
spec:
  selector: `+selector+`
  ports: `+ports)}
	}
	var svc corev1.Service
	g.Eventually(func() map[string]string {
		applyAs("argocd-controller", service(`{app: backend}`, `[{name: http, port: 80}]`))
		applyAs(controller.FieldManager, service(`{app: backend, rollouts.weir.dev/pod-template-hash: abc123}`, `[{name: http, port: 80}]`))
		applyAs("argocd-controller", service(`{app: backend}`, `[{name: http, port: 80}, {name: admin, port: 9090}]`))
		g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "backend-stable"}, &svc)).To(Succeed())
		return svc.Spec.Selector
	}, timeout, poll).Should(Equal(map[string]string{"app": "backend", "rollouts.weir.dev/pod-template-hash": "abc123"}))
	g.Expect(svc.Spec.Ports).To(HaveLen(2))

	// A GRPCRoute the Rollout names is guarded the same way: Git's new match applies, the
	// weights Weir holds stay.
	grpcRoute := func(rules string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: object(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: backend}
spec:
  parentRefs: [{name: public, namespace: default}]
  rules: `+rules)}
	}
	applyAs("argocd-controller", grpcRoute(`[{name: api, backendRefs: [{name: backend-stable, port: 80, weight: 100}, {name: backend-canary, port: 80, weight: 0}]}]`))
	applyAs(controller.FieldManager, grpcRoute(`[{name: api, backendRefs: [{name: backend-stable, port: 80, weight: 60}, {name: backend-canary, port: 80, weight: 40}]}]`))
	applyAs("argocd-controller", grpcRoute(`[{name: api, matches: [{method: {service: blog.v1.Posts}}],
      backendRefs: [{name: backend-stable, port: 80, weight: 100}, {name: backend-canary, port: 80, weight: 0}]}]`))
	grpc := &unstructured.Unstructured{}
	grpc.SetAPIVersion("gateway.networking.k8s.io/v1")
	grpc.SetKind("GRPCRoute")
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "backend"}, grpc)).To(Succeed())
	grpcRules, _, _ := unstructured.NestedSlice(grpc.Object, "spec", "rules")
	g.Expect(grpcRules).To(HaveLen(1))
	g.Expect(grpcRules[0]).To(And(
		HaveKeyWithValue("matches", ConsistOf(HaveKeyWithValue("method", HaveKeyWithValue("service", "blog.v1.Posts")))),
		HaveKeyWithValue("backendRefs", ConsistOf(
			HaveKeyWithValue("weight", BeEquivalentTo(60)), HaveKeyWithValue("weight", BeEquivalentTo(40))))))

	// A route no Rollout names is written as sent.
	applyAs("argocd-controller", gitRoute("unrelated", gitEdit))
	g.Expect(rules("unrelated")).To(HaveLen(3))
	g.Expect(rules("unrelated")[0]).To(HaveKeyWithValue("backendRefs", ConsistOf(
		HaveKeyWithValue("weight", BeEquivalentTo(100)), HaveKeyWithValue("weight", BeEquivalentTo(0)))))
}
