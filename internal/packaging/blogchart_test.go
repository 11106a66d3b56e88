package packaging

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider/registry"
)

const blogChart = "examples/blog-platform/microservices-app"

// blogEnvs are the example's environments: each renders values.yaml plus values-<env>.yaml
// into namespace blog-<env> ("" is values.yaml alone).
var blogEnvs = []string{"", "dev", "staging", "prod"}

func renderBlog(t *testing.T, env string, extra map[string]any) *rendered {
	t.Helper()
	r := release{chart: blogChart, name: "blog", namespace: blogNamespace(env), values: extra}
	if env != "" {
		r.valueFiles = []string{"values-" + env + ".yaml"}
	}
	out, err := render(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func blogNamespace(env string) string {
	if env == "" {
		return "blog-default"
	}
	return "blog-" + env
}

// TestBlogPlatformInstalls applies every environment's manifests to a real API server with
// Weir's and Gateway API's CRDs (server-side apply, dry run): the Rollouts' and templates'
// validation rules, the HTTPRoutes' and Services' schemas all accept them.
func TestBlogPlatformInstalls(t *testing.T) {
	env := controlPlane(t)
	ctx := context.Background()
	for _, e := range blogEnvs {
		t.Run("env="+e, func(t *testing.T) {
			ns := blogNamespace(e)
			ensureNamespace(t, env.Client, ns)
			r := renderBlog(t, e, nil)
			NewWithT(t).Expect(r.names()).To(And(
				ContainSubstring("Rollout/backend"), ContainSubstring("Rollout/frontend"),
				ContainSubstring("AnalysisTemplate/error-rate"), ContainSubstring("AnalysisTemplate/latency"),
				ContainSubstring("HTTPRoute/backend"), ContainSubstring("Service/backend-canary")))
			NewWithT(t).Eventually(func() error {
				return apply(ctx, env.Client, ns, "argocd-controller", r.objects, client.DryRunAll)
			}, timeout, poll).Should(Succeed())
		})
	}

	// The dry run really validates: a step with two actions is refused by the CRD's rule.
	broken := renderBlog(t, "dev", nil).find(t, "Rollout", "backend").DeepCopy()
	steps, _, _ := unstructured.NestedSlice(broken.Object, "spec", "strategy", "canary", "steps")
	steps[0].(map[string]any)["pause"] = map[string]any{}
	NewWithT(t).Expect(unstructured.SetNestedSlice(broken.Object, steps, "spec", "strategy", "canary", "steps")).To(Succeed())
	err := apply(ctx, env.Client, blogNamespace("dev"), "argocd-controller", []*unstructured.Unstructured{broken}, client.DryRunAll)
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("a step must set exactly one of")))
}

// TestBlogPlatformAnalysis: the templates reach Weir with their {{args.x}} placeholders
// intact (not eaten by Helm), their conditions compile, and every analysis gives them all
// their arguments.
func TestBlogPlatformAnalysis(t *testing.T) {
	g := NewWithT(t)
	r := renderBlog(t, "prod", nil)
	templates := map[string]*weirv1.AnalysisTemplateSpec{}
	for _, u := range r.ofKind("AnalysisTemplate") {
		tmpl := decode[weirv1.AnalysisTemplate](t, u)
		g.Expect(registry.ValidateTemplate(&tmpl.Spec)).To(BeEmpty(), tmpl.Name)
		templates[tmpl.Name] = &tmpl.Spec
		query, err := analysis.RenderQuery(tmpl.Spec.Metrics[0].Provider.Prometheus.Query,
			map[string]string{"service": "backend-canary", "namespace": "blog-prod"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(query).To(ContainSubstring(`service=~".*-svc-blog-prod-backend-canary-[0-9]+@kubernetesgateway"`), tmpl.Name)
	}
	g.Expect(templates).To(HaveLen(2))

	var analyses []weirv1.RolloutAnalysis
	backend := decode[weirv1.Rollout](t, r.find(t, "Rollout", "backend"))
	for _, s := range backend.Spec.Strategy.Canary.Steps {
		if s.Analysis != nil {
			analyses = append(analyses, *s.Analysis)
		}
	}
	frontend := decode[weirv1.Rollout](t, r.find(t, "Rollout", "frontend"))
	g.Expect(frontend.Spec.Strategy.BlueGreen.PrePromotionAnalysis).NotTo(BeNil())
	analyses = append(analyses, *frontend.Spec.Strategy.BlueGreen.PrePromotionAnalysis)
	for _, a := range analyses {
		given := map[string]bool{}
		for _, arg := range a.Args {
			given[arg.Name] = true
		}
		for _, ref := range a.Templates {
			g.Expect(templates).To(HaveKey(ref.TemplateName))
			g.Expect(analysis.MissingArgs(templates[ref.TemplateName], given)).To(BeEmpty(), ref.TemplateName)
		}
	}
}

// TestBlogPlatformEnvironments: each environment releases as its values promise.
func TestBlogPlatformEnvironments(t *testing.T) {
	for _, e := range blogEnvs {
		g := NewWithT(t)
		r := renderBlog(t, e, nil)
		backend := decode[weirv1.Rollout](t, r.find(t, "Rollout", "backend"))
		canary := backend.Spec.Strategy.Canary
		g.Expect(canary).NotTo(BeNil(), e)
		g.Expect(canary.StableService).To(Equal("backend-stable"))
		g.Expect(canary.CanaryService).To(Equal("backend-canary"))
		g.Expect(canary.TrafficRouting.GatewayAPI.HTTPRoutes).To(Equal([]weirv1.RouteRef{{Name: "backend"}}))

		route := decode[gatewayv1.HTTPRoute](t, r.find(t, "HTTPRoute", "backend"))
		g.Expect(route.Spec.Rules).To(HaveLen(1))
		weights := map[string]int32{}
		for _, b := range route.Spec.Rules[0].BackendRefs {
			weights[string(b.Name)] = *b.Weight
		}
		g.Expect(weights).To(Equal(map[string]int32{"backend-stable": 100, "backend-canary": 0}), "Git keeps all traffic on stable")
		for _, name := range []string{"backend-stable", "backend-canary"} {
			svc := decode[corev1.Service](t, r.find(t, "Service", name))
			g.Expect(svc.Spec.Selector).To(Equal(backend.Spec.Selector.MatchLabels), name)
		}

		frontend := decode[weirv1.Rollout](t, r.find(t, "Rollout", "frontend"))
		bg := frontend.Spec.Strategy.BlueGreen
		g.Expect(bg).NotTo(BeNil(), e)
		g.Expect([]string{bg.ActiveService, bg.PreviewService}).To(Equal([]string{"frontend-active", "frontend-preview"}))

		// The workflow's rules as a ReleasePolicy: no :latest anywhere; production adds
		// no Fridays, no evening peak, and an hour in staging first.
		policy := decode[weirv1.ReleasePolicy](t, r.find(t, "ReleasePolicy", "release-rules")).Spec
		want := weirv1.ReleasePolicySpec{Images: &weirv1.ImageRules{}}
		if e == "prod" {
			berlin := "Europe/Berlin"
			want.Windows = &weirv1.ReleaseWindows{Deny: []weirv1.ReleaseWindow{
				{Name: "no-friday-releases", Days: []weirv1.Weekday{"Friday"}, TimeZone: berlin},
				{Name: "evening-peak", Start: "18:00", End: "22:00", TimeZone: berlin}}}
			want.RequireUpstream = &weirv1.UpstreamRequirement{Namespace: "blog-staging", Soak: "1h"}
		}
		g.Expect(policy).To(Equal(want), e)

		steps := canary.Steps
		gate := steps[len(steps)-1].Pause != nil && steps[len(steps)-1].Pause.Duration == nil
		switch e {
		case "prod":
			g.Expect(gate).To(BeTrue(), "prod ends with a manual promotion gate")
			// Every weight is checked before the next one.
			for i, s := range steps {
				if s.SetWeight == nil {
					continue
				}
				next := len(steps)
				for j := i + 1; j < len(steps); j++ {
					if steps[j].SetWeight != nil {
						next = j
						break
					}
				}
				checked := false
				for _, later := range steps[i+1 : next] {
					checked = checked || later.Analysis != nil
				}
				g.Expect(checked).To(BeTrue(), "prod: no analysis after setWeight %d", *s.SetWeight)
			}
			g.Expect(*bg.AutoPromotionEnabled).To(BeFalse(), "prod: the frontend waits for a person")
			g.Expect(backend.Spec.ProgressDeadlineAbort).To(BeTrue())
			g.Expect(len(steps)).To(BeNumerically(">", len(decode[weirv1.Rollout](t, renderBlog(t, "staging", nil).find(t, "Rollout", "backend")).Spec.Strategy.Canary.Steps)))
		default:
			g.Expect(gate).To(BeFalse(), "%s: promoted without a person", e)
			g.Expect(*bg.AutoPromotionEnabled).To(BeTrue(), e)
		}
	}
}

// argoApp is the part of an Argo CD Application these tests look at.
type argoApp struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			RepoURL        string `json:"repoURL"`
			TargetRevision string `json:"targetRevision"`
			Path           string `json:"path"`
			Helm           struct {
				ValueFiles []string `json:"valueFiles"`
			} `json:"helm"`
		} `json:"source"`
		Destination struct {
			Namespace string `json:"namespace"`
		} `json:"destination"`
		IgnoreDifferences []map[string]any `json:"ignoreDifferences"`
		SyncPolicy        struct {
			Automated   *map[string]any `json:"automated"`
			SyncOptions []string        `json:"syncOptions"`
		} `json:"syncPolicy"`
	} `json:"spec"`
}

// TestBlogPlatformApplications: the app of apps points at what exists, each environment
// ignores exactly Weir's fields, dev and staging sync by themselves and prod does not.
func TestBlogPlatformApplications(t *testing.T) {
	g := NewWithT(t)
	dir := repoPath(t, "examples", "blog-platform", "argocd")
	root := readApp(t, filepath.Join(dir, "root.yaml"))
	g.Expect(root.Spec.Source.Path).To(Equal("examples/blog-platform/argocd/apps"))
	g.Expect(root.Spec.SyncPolicy.Automated).NotTo(BeNil())
	// An environment's auto-sync turned off for a rollback stays off (the GitOps suite saw the
	// root self-heal it back on, and the environment sync the bad commit again).
	g.Expect(root.Spec.IgnoreDifferences).To(Equal([]map[string]any{
		{"group": "argoproj.io", "kind": "Application", "jsonPointers": []any{"/spec/syncPolicy/automated"}}}))
	g.Expect(root.Spec.SyncPolicy.SyncOptions).To(ContainElement("RespectIgnoreDifferences=true"))

	files, err := filepath.Glob(filepath.Join(dir, "apps", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	apps := map[string]argoApp{}
	for _, f := range files {
		a := readApp(t, f)
		g.Expect(a.Kind).To(Equal("Application"), f)
		g.Expect(repoPath(t, a.Spec.Source.Path)).To(BeADirectory(), f)
		apps[a.Metadata.Name] = a
	}
	g.Expect(apps).To(HaveKey("weir"))
	g.Expect(apps["weir"].Spec.Source.Path).To(Equal("charts/weir"))
	g.Expect(apps["weir"].Spec.SyncPolicy.SyncOptions).To(ContainElement("ServerSideApply=true"), "the Rollout CRD is too big for client-side apply")

	// Exactly what Weir holds: its two Services' weights on the route, its label in the
	// Services' selectors (the traffic guard keeps both when Argo CD writes the objects). The
	// core group is left out, not spelled "": argocd app set writes an Application back
	// without it, and the app of apps then sees drift in every child it touched.
	ignoreWeir := []map[string]any{
		{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "backend", "jqPathExpressions": []any{
			`.spec.rules[]?.backendRefs[]? | select(.name == "backend-stable" or .name == "backend-canary") | .weight`}},
		{"kind": "Service", "jqPathExpressions": []any{`.spec.selector["rollouts.weir.dev/pod-template-hash"]`}},
	}
	branch := map[string]string{"dev": "develop", "staging": "staging", "prod": "main"}
	for _, e := range []string{"dev", "staging", "prod"} {
		a, ok := apps["blog-"+e]
		g.Expect(ok).To(BeTrue(), e)
		g.Expect(a.Spec.Source.Path).To(Equal(blogChart))
		g.Expect(a.Spec.Source.Helm.ValueFiles).To(Equal([]string{"values-" + e + ".yaml"}))
		g.Expect(filepath.Join(repoPath(t, blogChart), "values-"+e+".yaml")).To(BeAnExistingFile())
		g.Expect(a.Spec.Destination.Namespace).To(Equal("blog-" + e))
		g.Expect(a.Spec.IgnoreDifferences).To(Equal(ignoreWeir), e)
		g.Expect(a.Spec.Source.TargetRevision).To(Equal(branch[e]), "the workflow's branch for %s", e)
		g.Expect(a.Metadata.Annotations).To(HaveKeyWithValue("argocd.argoproj.io/compare-options", "ServerSideDiff=true"), e)
		g.Expect(a.Spec.SyncPolicy.SyncOptions).To(ContainElement("ServerSideApply=true"), e)
		g.Expect(a.Spec.SyncPolicy.SyncOptions).NotTo(ContainElement("RespectIgnoreDifferences=true"), "it would sync the live rules back over Git's")
		if e == "prod" {
			g.Expect(a.Spec.SyncPolicy.Automated).To(BeNil(), "prod syncs by hand")
		} else {
			g.Expect(a.Spec.SyncPolicy.Automated).NotTo(BeNil(), e)
			g.Expect(*a.Spec.SyncPolicy.Automated).To(Equal(map[string]any{"prune": true, "selfHeal": true}), e)
		}
	}

	// docs/gitops.md shows the same snippet.
	doc, err := os.ReadFile(repoPath(t, "docs", "gitops.md"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(doc)).To(ContainSubstring(`'.spec.selector["rollouts.weir.dev/pod-template-hash"]'`))
	g.Expect(string(doc)).To(ContainSubstring("argocd.argoproj.io/compare-options: ServerSideDiff=true"))
}

func readApp(t *testing.T, path string) argoApp {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decoded[argoApp](t, path, raw)
}
