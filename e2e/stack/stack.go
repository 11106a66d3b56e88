// Package stack starts everything a real release needs, as local processes on 127.0.0.1:
// the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), the
// test node agent, Traefik as the Gateway API data plane, Prometheus scraping Traefik, and
// the Weir controller as its own process. The e2e suite and `make demo` share it.
package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/e2e/nodeagent"
	"github.com/weir-dev/weir/internal/testenv"
)

// Stack is a running local environment.
type Stack struct {
	Env    *testenv.Env
	Client client.Client
	// GatewayURL is where requests enter the gateway (send Host: <route hostname>).
	GatewayURL string
	// TraefikAPI is Traefik's API (GET /api/http/services shows the weights it applies).
	TraefikAPI string
	Prometheus *testenv.Prometheus
	// GatewayPort is the port of the Gateway's listener.
	GatewayPort int
	// LogDir holds every process's log.
	LogDir string
	// ControllerMetricsURL is weir-controller's metrics endpoint (/metrics).
	ControllerMetricsURL string
	// ArgoCD is set once StartArgoCD has run.
	ArgoCD *ArgoCD

	root, bin   string
	cancel      context.CancelFunc
	traefik     *testenv.Process
	controller  *testenv.Process
	agent       *nodeagent.Agent
	metricsPort int
}

// Options choose what runs beside the release machinery.
type Options struct {
	// ArgoCD prepares the control plane for StartArgoCD: Argo CD's CRDs, an API server that
	// reaches kwok's port-forwards by the Node's InternalIP, and no API field newer than
	// Argo CD v2.14 knows.
	ArgoCD bool
}

// Start brings the whole stack up. log receives one line per milestone.
func Start(log func(format string, args ...any)) (*Stack, error) {
	return StartWith(Options{}, log)
}

// StartWith is Start with options.
func StartWith(opts Options, log func(format string, args ...any)) (*Stack, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	s := &Stack{root: root, bin: testenv.BinDir(root)}
	if _, err := os.Stat(filepath.Join(s.bin, "traefik")); err != nil {
		return nil, fmt.Errorf("bin/traefik not found: run 'make tools'")
	}
	log("building weir-controller and the demo app")
	if err := s.build(); err != nil {
		return nil, err
	}
	started := time.Now()
	log("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler")
	envOpts := testenv.Options{Pods: true, NoKwok: true, ServiceCIDR: "127.0.100.0/24"}
	if opts.ArgoCD {
		envOpts.ExtraCRDs = []string{filepath.Join(s.bin, "argocd-crds")}
		envOpts.APIServerFlags = map[string]string{"kubelet-preferred-address-types": "InternalIP",
			// Argo CD v2.14 (the newest that builds from the module proxy) diffs with the
			// Kubernetes 1.31 schemas compiled into it, and fails on a Deployment status field
			// newer than that ("status.terminatingReplicas: field not declared in schema").
			// With the gate off the API server drops the field, as a 1.32 cluster would.
			"feature-gates": "DeploymentReplicaSetTerminatingReplicas=false"}
	}
	s.Env, err = testenv.Start(envOpts)
	if err != nil {
		return nil, err
	}
	s.Client, s.LogDir = s.Env.Client, s.Env.LogDir
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	fail := func(err error) (*Stack, error) { s.Stop(); return nil, err }

	log("starting the test node agent (runs pods as local processes, proxies Service ClusterIPs)")
	if s.agent, err = nodeagent.Start(ctx, s.Client, filepath.Join(s.bin, "weir-demoapp"), s.LogDir); err != nil {
		return fail(err)
	}
	log("starting Traefik (Gateway API) and the Gateway")
	if err := s.startTraefik(ctx); err != nil {
		return fail(err)
	}
	log("starting Prometheus (scrapes Traefik every second)")
	if s.Prometheus, err = testenv.StartPrometheus(fmt.Sprintf("127.0.0.1:%d", s.metricsPort)); err != nil {
		return fail(err)
	}
	log("starting weir-controller")
	if err := s.StartController(); err != nil {
		return fail(err)
	}
	log("stack up in %s; logs in %s", time.Since(started).Round(100*time.Millisecond), s.LogDir)
	return s, nil
}

// build compiles the controller and the demo app into bin/ (the Go build cache makes this
// a relink when nothing changed).
func (s *Stack) build() error {
	for name, pkg := range map[string]string{"weir-controller": "./cmd/weir-controller", "weir-demoapp": "./e2e/demoapp"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(s.bin, name), pkg)
		cmd.Dir = s.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}

// StartController starts weir-controller as its own process.
func (s *Stack) StartController() error {
	ports, err := testenv.FreePorts(2)
	if err != nil {
		return err
	}
	metrics, probes := ports[0], ports[1]
	s.controller, err = testenv.StartProcessEnv(filepath.Join(s.bin, "weir-controller"), s.LogDir, "weir-controller",
		[]string{"KUBECONFIG=" + s.Env.Kubeconfig},
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probes))
	if err != nil {
		return err
	}
	s.ControllerMetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)
	return s.controller.WaitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", probes))
}

// KillController kills the controller with SIGKILL, as a crash would.
func (s *Stack) KillController() {
	if s.controller != nil {
		s.controller.Kill()
	}
}

// ControllerPid is the controller's process id (for reading its /proc figures).
func (s *Stack) ControllerPid() int { return s.controller.Pid() }

// Stop stops everything the stack started.
func (s *Stack) Stop() {
	if s.ArgoCD != nil {
		s.ArgoCD.Stop()
	}
	if s.controller != nil {
		s.controller.Stop()
	}
	if s.Prometheus != nil {
		s.Prometheus.Close()
	}
	if s.traefik != nil {
		s.traefik.Stop()
	}
	if s.cancel != nil {
		s.cancel() // the node agent stops its pods and proxies
	}
	if s.agent != nil {
		s.agent.Wait()
	}
	if s.Env != nil {
		s.Env.Stop()
	}
}
