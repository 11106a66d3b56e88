package packaging

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

const weirNamespace = "weir-system"

// weirVariants are the operator chart's installs under test: the defaults, every option
// on, and the smallest footprint.
var weirVariants = map[string]map[string]any{
	"defaults": nil,
	"everything": {
		"replicaCount":    3,
		"image":           map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)},
		"logLevel":        "debug",
		"logFormat":       "console",
		"instanceID":      "blue",
		"watchNamespaces": []any{"team-a", "team-b"},
		"analysis": map[string]any{"allowedPrometheusAddresses": []any{
			"http://prometheus-operated.monitoring:9090", "https://thanos.example.com"}},
		"podDisruptionBudget": map[string]any{"maxUnavailable": "50%"},
		"metrics":             map[string]any{"serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "prometheus"}}},
		"argocd":              map[string]any{"kit": map[string]any{"enabled": true}},
		"imagePullSecrets":    []any{map[string]any{"name": "ghcr"}},
		"priorityClassName":   "system-cluster-critical",
	},
	"minimal": {
		"replicaCount":        1,
		"crds":                map[string]any{"install": false},
		"rbac":                map[string]any{"create": false},
		"serviceAccount":      map[string]any{"create": false, "name": "weir-existing"},
		"leaderElection":      map[string]any{"enabled": false},
		"podDisruptionBudget": map[string]any{"enabled": false},
		"resources":           map[string]any{},
	},
}

func renderWeir(t *testing.T, values map[string]any) *rendered {
	t.Helper()
	r, err := render(t, release{chart: "charts/weir", name: "weir", namespace: weirNamespace, values: values})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestWeirChartInstalls applies every variant's manifests to a real API server (server-side
// apply, dry run): CRDs, RBAC, the Deployment, PDB, Service, ServiceMonitor, ConfigMap.
func TestWeirChartInstalls(t *testing.T) {
	c := clientWith(t, weirNamespace, "team-a", "team-b")
	ctx := context.Background()
	installServiceMonitorCRD(t, c)
	for name, values := range weirVariants {
		t.Run(name, func(t *testing.T) {
			r := renderWeir(t, values)
			NewWithT(t).Eventually(func() error {
				return apply(ctx, c, weirNamespace, "helm", r.objects, client.DryRunAll)
			}, timeout, poll).Should(Succeed())
		})
	}
}

// installServiceMonitorCRD stands in for the Prometheus Operator's CRD: kind and group only,
// enough for the API server to accept a ServiceMonitor.
func installServiceMonitorCRD(t *testing.T, c client.Client) {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "servicemonitors.monitoring.coreos.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "monitoring.coreos.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "servicemonitors", Singular: "servicemonitor", Kind: "ServiceMonitor", ListKind: "ServiceMonitorList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
	scheme := runtime.NewScheme()
	NewWithT(t).Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(sharedEnv.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// TestWeirChartValuesSchema: bad values fail the install with the path and what was expected.
func TestWeirChartValuesSchema(t *testing.T) {
	for name, values := range weirVariants {
		_, err := render(t, release{chart: "charts/weir", name: "weir", namespace: weirNamespace, values: values})
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), name)
	}
	cases := []struct {
		values map[string]any
		want   string
	}{
		{map[string]any{"replicaCount": "three"}, "at '/replicaCount': got string, want integer"},
		{map[string]any{"replicaCount": -1}, "at '/replicaCount': minimum: got -1, want 0"},
		{map[string]any{"image": map[string]any{"tag": 5}}, "at '/image/tag': got number, want string"},
		{map[string]any{"logLevel": "loud"}, "at '/logLevel': value must be one of 'debug', 'info', 'error'"},
		{map[string]any{"replicas": 2}, "additional properties 'replicas' not allowed"},
		{map[string]any{"watchNamespaces": []any{"Team_A"}}, "at '/watchNamespaces/0': 'Team_A' does not match pattern"},
		{map[string]any{"analysis": map[string]any{"allowedPrometheusAddresses": []any{"prometheus:9090"}}},
			"at '/analysis/allowedPrometheusAddresses/0': 'prometheus:9090' does not match pattern"},
		{map[string]any{"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": "yes"}}},
			"at '/metrics/serviceMonitor/enabled': got string, want boolean"},
	}
	for _, c := range cases {
		_, err := render(t, release{chart: "charts/weir", name: "weir", namespace: weirNamespace, values: c.values})
		g := NewWithT(t)
		g.Expect(err).To(HaveOccurred(), "%v must be refused", c.values)
		g.Expect(err.Error()).To(ContainSubstring("values don't meet the specifications of the schema(s)"))
		g.Expect(err.Error()).To(ContainSubstring(c.want))
	}
}

// TestWeirChartCRDs: the chart ships exactly the generated CRDs, kept on uninstall.
func TestWeirChartCRDs(t *testing.T) {
	g := NewWithT(t)
	generated, err := filepath.Glob(repoPath(t, "config", "crd", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(generated).To(HaveLen(5))
	shipped, err := filepath.Glob(repoPath(t, "charts", "weir", "files", "crds", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names(shipped)).To(Equal(names(generated)), "charts/weir/files/crds must hold config/crd's files")

	rendered := renderWeir(t, nil).ofKind("CustomResourceDefinition")
	g.Expect(rendered).To(HaveLen(len(generated)))
	for _, path := range generated {
		want, err := os.ReadFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		got, err := os.ReadFile(repoPath(t, "charts", "weir", "files", "crds", filepath.Base(path)))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(got)).To(Equal(string(want)), "%s is stale: cp config/crd/*.yaml charts/weir/files/crds/", filepath.Base(path))

		var crd map[string]any
		g.Expect(yaml.Unmarshal(want, &crd)).To(Succeed())
		name := crd["metadata"].(map[string]any)["name"].(string)
		i := slices.IndexFunc(rendered, func(u *unstructured.Unstructured) bool { return u.GetName() == name })
		g.Expect(i).NotTo(Equal(-1), name)
		g.Expect(rendered[i].Object["spec"]).To(Equal(crd["spec"]), "%s: the template must not change the schema", name)
		g.Expect(rendered[i].GetAnnotations()).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"), name)
	}

	g.Expect(renderWeir(t, map[string]any{"crds": map[string]any{"install": false}}).ofKind("CustomResourceDefinition")).To(BeEmpty())
	for _, crd := range renderWeir(t, map[string]any{"crds": map[string]any{"keep": false}}).ofKind("CustomResourceDefinition") {
		g.Expect(crd.GetAnnotations()).NotTo(HaveKey("helm.sh/resource-policy"))
	}
}

func names(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	return out
}

// grant is one verb on one resource of one API group.
type grant struct{ group, resource, verb string }

func grants(rules []rbacv1.PolicyRule) map[grant]bool {
	out := map[grant]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[grant{g, res, v}] = true
				}
			}
		}
	}
	return out
}

func split(all map[grant]bool, keep func(grant) bool) map[grant]bool {
	out := map[grant]bool{}
	for g := range all {
		if keep(g) {
			out[g] = true
		}
	}
	return out
}

func decode[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	var out T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestWeirChartRBAC: the chart grants exactly what config/rbac/role.yaml (generated from
// the controller's markers) asks for — leases only in the release namespace — so a new
// marker fails here until the chart follows.
func TestWeirChartRBAC(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile(repoPath(t, "config", "rbac", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var generated rbacv1.ClusterRole
	g.Expect(yaml.Unmarshal(raw, &generated)).To(Succeed())
	want := grants(generated.Rules)
	isLease := func(x grant) bool { return x.resource == "leases" }
	isClusterScoped := func(x grant) bool { return strings.HasPrefix(x.resource, "clusteranalysistemplates") }
	isEvent := func(x grant) bool { return x.resource == "events" }

	// All namespaces: one ClusterRole with everything but leases.
	r := renderWeir(t, nil)
	cluster := grants(decode[rbacv1.ClusterRole](t, r.find(t, "ClusterRole", "weir")).Rules)
	g.Expect(cluster).To(Equal(split(want, func(x grant) bool { return !isLease(x) })))
	election := grants(decode[rbacv1.Role](t, r.find(t, "Role", "weir-leader-election")).Rules)
	g.Expect(election).To(Equal(split(want, func(x grant) bool { return isLease(x) || isEvent(x) })))
	g.Expect(r.find(t, "Role", "weir-leader-election").GetNamespace()).To(Equal(weirNamespace))

	// Watched namespaces: the ClusterRole only reaches the cluster-scoped kind.
	r = renderWeir(t, weirVariants["everything"])
	cluster = grants(decode[rbacv1.ClusterRole](t, r.find(t, "ClusterRole", "weir")).Rules)
	g.Expect(cluster).To(Equal(split(want, isClusterScoped)))
	var watched []string
	for _, role := range r.ofKind("Role") {
		if role.GetName() == "weir" {
			watched = append(watched, role.GetNamespace())
			g.Expect(grants(decode[rbacv1.Role](t, role).Rules)).To(Equal(split(want, func(x grant) bool { return !isLease(x) && !isClusterScoped(x) })))
		}
	}
	g.Expect(watched).To(ConsistOf("team-a", "team-b"))
	g.Expect(r.ofKind("RoleBinding")).To(HaveLen(3), "one per watched namespace and the leader election's")

	g.Expect(renderWeir(t, weirVariants["minimal"]).names()).NotTo(ContainSubstring("Role"), "rbac.create=false")
}

// TestWeirChartDeployment: a hardened, leader-elected controller whose probes and metrics
// reach the pod IP, and the new flags only when their values are set.
func TestWeirChartDeployment(t *testing.T) {
	g := NewWithT(t)
	r := renderWeir(t, nil)
	d := decode[appsv1.Deployment](t, r.find(t, "Deployment", "weir"))
	g.Expect(*d.Spec.Replicas).To(Equal(int32(2)))
	pod := d.Spec.Template.Spec
	g.Expect(pod.SecurityContext.RunAsNonRoot).To(Equal(ptr.To(true)))
	g.Expect(pod.SecurityContext.RunAsUser).To(Equal(ptr.To[int64](65532)), "the image's user")
	g.Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(pod.ServiceAccountName).To(Equal("weir"))
	g.Expect(pod.Containers).To(HaveLen(1))
	c := pod.Containers[0]
	g.Expect(c.Image).To(Equal("ghcr.io/weir-dev/weir-controller:v0.1.0"), "v<appVersion>")
	g.Expect(c.SecurityContext.ReadOnlyRootFilesystem).To(Equal(ptr.To(true)))
	g.Expect(c.SecurityContext.AllowPrivilegeEscalation).To(Equal(ptr.To(false)))
	g.Expect(c.SecurityContext.Capabilities.Drop).To(Equal([]corev1.Capability{"ALL"}))
	g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceCPU))
	g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceMemory))
	g.Expect(c.Resources.Limits).To(HaveKey(corev1.ResourceMemory))
	g.Expect(c.Args).To(ConsistOf(
		"--metrics-bind-address=0.0.0.0:8080",
		"--health-probe-bind-address=0.0.0.0:8081",
		"--leader-elect=true",
		"--leader-election-namespace="+weirNamespace,
		"--zap-log-level=info",
		"--zap-encoder=json",
	), "no flag the controller doesn't know yet in a default install")
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	g.Expect(ports).To(Equal(map[string]int32{"metrics": 8080, "probes": 8081}))
	g.Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	g.Expect(c.LivenessProbe.HTTPGet.Port.String()).To(Equal("probes"))
	g.Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	g.Expect(c.ReadinessProbe.HTTPGet.Port.String()).To(Equal("probes"))

	svc := decode[corev1.Service](t, r.find(t, "Service", "weir-metrics"))
	g.Expect(svc.Spec.Selector).To(Equal(d.Spec.Selector.MatchLabels))
	pdb := r.find(t, "PodDisruptionBudget", "weir")
	g.Expect(pdb.Object["spec"].(map[string]any)["maxUnavailable"]).To(BeEquivalentTo(1))
	g.Expect(r.names()).NotTo(ContainSubstring("ServiceMonitor"))
	g.Expect(r.names()).NotTo(ContainSubstring("argocd-kit"))

	r = renderWeir(t, weirVariants["everything"])
	c = decode[appsv1.Deployment](t, r.find(t, "Deployment", "weir")).Spec.Template.Spec.Containers[0]
	g.Expect(c.Image).To(Equal("ghcr.io/weir-dev/weir-controller@sha256:" + strings.Repeat("ab", 32)))
	g.Expect(c.Args).To(ContainElements(
		"--zap-log-level=debug",
		"--zap-encoder=console",
		"--watch-namespaces=team-a,team-b",
		"--instance-id=blue",
		"--allowed-prometheus-addresses=http://prometheus-operated.monitoring:9090,https://thanos.example.com",
	))
	sm := r.find(t, "ServiceMonitor", "weir")
	g.Expect(sm.GetLabels()).To(HaveKeyWithValue("release", "prometheus"))

	d = decode[appsv1.Deployment](t, renderWeir(t, weirVariants["minimal"]).find(t, "Deployment", "weir"))
	g.Expect(d.Spec.Template.Spec.ServiceAccountName).To(Equal("weir-existing"))
	g.Expect(d.Spec.Template.Spec.Containers[0].Args).To(ContainElement("--leader-elect=false"))
}
