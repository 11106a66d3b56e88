// Package gitops runs the blog platform's GitOps workflow for real: a local Git server holding
// the example in the workflow's branch layout, a real Argo CD syncing it, Weir releasing under
// it with real traffic through Traefik and analysis in Prometheus. The GitOps suite (this
// package's tests) and `make demo-gitops` walk the same workflow with it.
package gitops

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/weir-dev/weir/e2e/stack"
	"github.com/weir-dev/weir/internal/testenv"
)

// Environment is one stage of the workflow: a branch synced to a namespace by an Application.
type Environment struct {
	Name      string // dev, staging, prod: also the values-<name>.yaml file
	Branch    string
	App       string // the Argo CD Application
	Namespace string
	Automated bool // Argo CD syncs by itself (else a person runs argocd app sync)
}

// The workflow's three environments, as examples/blog-platform/argocd/apps declares them.
var (
	Dev     = Environment{Name: "dev", Branch: "develop", App: "blog-dev", Namespace: "blog-dev", Automated: true}
	Staging = Environment{Name: "staging", Branch: "staging", App: "blog-staging", Namespace: "blog-staging", Automated: true}
	Prod    = Environment{Name: "prod", Branch: "main", App: "blog-prod", Namespace: "blog-prod"}
)

// Environments in promotion order.
var Environments = []Environment{Dev, Staging, Prod}

// Backend is the environment's canary-released backend behind the gateway.
func (e Environment) Backend() stack.App {
	return stack.App{Namespace: e.Namespace, Name: "backend", Host: "api." + e.Name + ".blog.local"}
}

// ValuesFile is the environment's values file, relative to the repository root.
func (e Environment) ValuesFile() string {
	return "examples/blog-platform/microservices-app/values-" + e.Name + ".yaml"
}

// RootApp is the app of apps (examples/blog-platform/argocd/root.yaml): it owns the others.
const RootApp = "blog-platform"

// RepoName is the repository Argo CD syncs (a fork of Weir's, holding the chart and example).
const RepoName = "weir"

// upstreamRepo is the repoURL the example's Applications name; the fork points them at itself.
const upstreamRepo = "https://github.com/weir-dev/weir.git"

// Platform is the running workflow: stack, Argo CD, Git, and traffic to every backend.
type Platform struct {
	Stack *stack.Stack
	Argo  *stack.ArgoCD
	Git   *stack.GitServer
	Loads map[string]*stack.Load // by environment name
	log   func(format string, args ...any)
	root  string
}

// Start brings everything up and installs the platform the way the example says: the app of
// apps applied by hand, Weir's kit merged into argocd-cm, the first sync of production by hand.
func Start(log func(format string, args ...any)) (*Platform, error) {
	s, err := stack.StartWith(stack.Options{ArgoCD: true}, log)
	if err != nil {
		return nil, err
	}
	p := &Platform{Stack: s, log: log, Loads: map[string]*stack.Load{}}
	fail := func(err error) (*Platform, error) { p.hold(err); p.Stop(); return nil, err }
	ctx := context.Background()
	log("starting Argo CD v2.14 (redis, repo server, application controller) and git daemon")
	if err := s.StartArgoCD(ctx); err != nil {
		return fail(err)
	}
	p.Argo = s.ArgoCD
	if p.Git, err = stack.StartGitServer(s.LogDir, RepoName); err != nil {
		return fail(err)
	}
	if p.root, err = testenv.RepoRoot(); err != nil {
		return fail(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(testenv.BinDir(p.root), "kubectl-weir"), "./cmd/kubectl-weir")
	build.Dir = p.root
	if out, err := build.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("building kubectl-weir: %v\n%s", err, out))
	}
	log("seeding %s: the chart and example on main, develop and staging branched from it", p.Git.URL(RepoName))
	if err := p.seed(); err != nil {
		return fail(err)
	}
	if err := p.install(ctx); err != nil {
		return fail(err)
	}
	for _, e := range Environments {
		p.Loads[e.Name] = s.StartLoad(e.Backend(), 20)
	}
	return p, nil
}

// hold keeps a failed platform running for WEIR_GITOPS_HOLD (a duration) so that a person can
// look at it with the printed kubeconfig; for debugging the suite.
func (p *Platform) hold(err error) {
	d, _ := time.ParseDuration(os.Getenv("WEIR_GITOPS_HOLD"))
	if d <= 0 || p.Stack == nil {
		return
	}
	p.log("failed (%v); holding the stack for %s: KUBECONFIG=%s", err, d, p.Stack.Env.Kubeconfig)
	if p.Argo != nil {
		p.log("argocd: KUBECONFIG=%s bin/argocd --core …", p.Argo.Kubeconfig)
	}
	time.Sleep(d)
}

// Stop stops the traffic and the stack.
func (p *Platform) Stop() {
	for _, l := range p.Loads {
		l.Stop()
	}
	if p.Git != nil {
		p.Git.Stop()
	}
	if p.Stack != nil {
		p.Stack.Stop()
	}
}

// seed copies the chart and the example into the fork and adapts it to the local stack (one
// commit, "local stack"), then branches develop and staging from main.
func (p *Platform) seed() error {
	for _, dir := range []string{"charts/weir", "examples/blog-platform"} {
		if err := copyDir(filepath.Join(p.root, dir), filepath.Join(p.Git.Work, dir)); err != nil {
			return err
		}
	}
	if _, err := p.Git.Git("add", "-A"); err != nil {
		return err
	}
	if _, err := p.Git.Git("commit", "-q", "-m", "Weir's chart and the blog platform example"); err != nil {
		return err
	}
	if err := p.adaptToLocalStack(); err != nil {
		return err
	}
	if _, err := p.Git.Git("commit", "-q", "-am", "local stack: this repository, the local gateway and Prometheus, short steps"); err != nil {
		return err
	}
	for _, b := range []string{"develop", "staging"} {
		if _, err := p.Git.Git("branch", b); err != nil {
			return err
		}
	}
	_, err := p.Git.Git("push", "-q", "origin", "main", "develop", "staging")
	return err
}

// adaptToLocalStack points the Applications at this repository and gives every environment a
// values file for the local stack (the local gateway and Prometheus, and steps and analyses of
// seconds instead of minutes, keeping each environment's shape: prod keeps its pause gate).
func (p *Platform) adaptToLocalStack() error {
	apps := filepath.Join(p.Git.Work, "examples/blog-platform/argocd")
	err := filepath.Walk(apps, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		return editFile(path, func(s string) string {
			s = strings.ReplaceAll(s, upstreamRepo, p.Git.URL(RepoName))
			for _, e := range Environments {
				s = strings.Replace(s, "        - values-"+e.Name+".yaml\n",
					"        - values-"+e.Name+".yaml\n        - local-stack/"+e.Name+".yaml\n", 1)
			}
			// The controller runs as a process beside the stack (no container runtime here):
			// Argo CD installs the chart's CRDs, RBAC and kit, with no controller pods.
			return strings.Replace(s, "        argocd:\n          kit:\n            enabled: true\n",
				"        replicaCount: 0\n        argocd:\n          kit:\n            enabled: true\n", 1)
		})
	})
	if err != nil {
		return err
	}
	local := filepath.Join(p.Git.Work, "examples/blog-platform/microservices-app/local-stack")
	if err := os.MkdirAll(local, 0o755); err != nil {
		return err
	}
	common := fmt.Sprintf(`gateway: {name: %s, namespace: default}
prometheus: {address: %q}
analysis: {window: 10s, interval: 2s, count: 3, initialDelay: 8s}
`, stack.GatewayName, p.Stack.Prometheus.URL)
	files := map[string]string{
		"dev": common + "domain: dev.blog.local\n",
		"staging": common + `domain: staging.blog.local
backend:
  canary:
    steps:
      - setWeight: 20
      - pause: {duration: 3s}
      - analysis: {}
      - setWeight: 50
      - analysis: {}
    scaleDownDelaySeconds: 5
frontend: {blueGreen: {autoPromotionSeconds: 5, prePromotionAnalysis: false, scaleDownDelaySeconds: 5}}
`,
		"prod": common + `domain: prod.blog.local
# The suite runs at any hour and releases some tags to production directly (the hook
# specs): production keeps its image rule here, its window spec commits a window of its
# own, and envtest shows the staging soak.
releasePolicy: {windows: null, requireUpstream: null}
backend:
  replicas: 3
  canary:
    steps:
      - setWeight: 20
      - analysis: {}
      - setWeight: 50
      - analysis: {}
      # The manual gate, as in values-prod.yaml.
      - pause: {}
    scaleDownDelaySeconds: 5
frontend: {replicas: 2, blueGreen: {prePromotionAnalysis: false, scaleDownDelaySeconds: 5}}
`,
	}
	for _, e := range Environments {
		if err := os.WriteFile(filepath.Join(local, e.Name+".yaml"), []byte(files[e.Name]), 0o644); err != nil {
			return err
		}
	}
	_, err = p.Git.Git("add", "-A")
	return err
}

// install applies the app of apps as the example's README says, merges Weir's Argo CD kit into
// argocd-cm as docs/gitops.md says, and syncs production by hand for the first time.
func (p *Platform) install(ctx context.Context) error {
	p.log("kubectl apply -n argocd -f examples/blog-platform/argocd/root.yaml")
	if out, err := p.Kubectl("apply", "-n", stack.ArgoCDNamespace, "-f", filepath.Join(p.Git.Work, "examples/blog-platform/argocd/root.yaml")); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	if err := p.waitApp(ctx, "weir", "Synced", "Healthy", 2*time.Minute); err != nil {
		return err
	}
	if err := p.MergeKit(); err != nil {
		return err
	}
	for _, e := range []Environment{Dev, Staging} {
		if err := p.waitApp(ctx, e.App, "Synced", "Healthy", 5*time.Minute); err != nil {
			return err
		}
	}
	p.log("argocd app sync blog-prod (production syncs by hand)")
	if out, err := p.Argo.CLI("app", "sync", Prod.App, "--timeout", "300"); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return p.waitApp(ctx, Prod.App, "Synced", "Healthy", 5*time.Minute)
}

// MergeKit merges the weir-argocd-kit ConfigMap (rendered by Argo CD's sync of Weir's chart)
// into argocd-cm with the command docs/gitops.md gives.
func (p *Platform) MergeKit() error {
	p.log("merging the weir-argocd-kit ConfigMap into argocd-cm (docs/gitops.md)")
	merge := exec.Command("bash", "-o", "pipefail", "-c",
		`kubectl -n weir-system get configmap weir-argocd-kit -o json | jq '{data: .data}' \
  | kubectl -n argocd patch configmap argocd-cm --type merge --patch-file /dev/stdin`)
	merge.Env = p.env()
	if out, err := merge.CombinedOutput(); err != nil {
		return fmt.Errorf("merging the kit: %v\n%s", err, out)
	}
	return nil
}

// Kubectl runs bin/kubectl against the stack.
func (p *Platform) Kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(testenv.BinDir(p.root), "kubectl"), args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Weir runs kubectl-weir against the stack.
func (p *Platform) Weir(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(testenv.BinDir(p.root), "kubectl-weir"), args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *Platform) env() []string {
	return append(os.Environ(), "KUBECONFIG="+p.Stack.Env.Kubeconfig, "PATH="+testenv.BinDir(p.root)+":"+os.Getenv("PATH"))
}

var tagLine = regexp.MustCompile(`(?m)^    tag: "[^"]*"(.*)$`)
var envLine = regexp.MustCompile(`(?m)^  env: .*\n`)

// setBackend rewrites an environment values file: the backend's image tag and, when
// errorRate isn't empty, the demo app's ERROR_RATE (how a bad build behaves here).
func setBackend(s, tag, errorRate string) string {
	s = envLine.ReplaceAllString(s, "")
	s = tagLine.ReplaceAllString(s, `    tag: "`+tag+`"$1`)
	if errorRate != "" {
		loc := tagLine.FindStringIndex(s)
		s = s[:loc[1]] + "\n  env: [{name: ERROR_RATE, value: \"" + errorRate + "\"}]" + s[loc[1]:]
	}
	return s
}

// BackendTag is the backend tag an environment's values file names on a branch.
func (p *Platform) BackendTag(e Environment, branch string) (string, error) {
	out, err := p.Git.Git("show", branch+":"+e.ValuesFile())
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^    tag: "([^"]*)"`).FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no backend tag in %s on %s", e.ValuesFile(), branch)
	}
	return m[1], nil
}

func editFile(path string, edit func(string) string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(edit(string(data))), 0o644)
}

func copyDir(from, to string) error {
	return filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
