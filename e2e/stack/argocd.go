package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv"
)

// ArgoCDNamespace is where Argo CD's configuration and Applications live.
const ArgoCDNamespace = "argocd"

// argoNode is the kwok Node that carries the two placeholder pods `argocd --core` port-forwards
// to. It is tainted so that no workload is scheduled there.
const argoNode = "argocd-node"

// ArgoCD is a real Argo CD v2.14 (bin/argocd, built by hack/argocd.sh) running as local
// processes: redis, the repo server and the application controller, on 127.0.0.1. The CLI runs
// in --core mode (no argocd-server): it talks to the Kubernetes API and reaches redis and the
// repo server through API-server port-forwards to two Ready placeholder pods, which kwok
// forwards to the local processes (test infrastructure; Argo CD itself is unchanged apart from
// its controller's metrics listener, see hack/argocd.sh).
type ArgoCD struct {
	// Kubeconfig is the admin kubeconfig with namespace argocd as its context namespace (the
	// controller and the CLI read their namespace from it).
	Kubeconfig string
	bin        string
	logDir     string
	procs      []*testenv.Process
}

// StartArgoCD brings Argo CD up on the stack's control plane. The stack must have been started
// with Options.ArgoCD.
func (s *Stack) StartArgoCD(ctx context.Context) error {
	for _, name := range []string{"argocd", "helm", "redis-server", "kwok"} {
		if _, err := os.Stat(filepath.Join(s.bin, name)); err != nil {
			return fmt.Errorf("bin/%s not found: run 'make tools'", name)
		}
	}
	a := &ArgoCD{bin: s.bin, logDir: s.LogDir}
	s.ArgoCD = a
	ports, err := testenv.FreePorts(5)
	if err != nil {
		return err
	}
	redis, repo, repoMetrics, controllerMetrics, kwok := ports[0], ports[1], ports[2], ports[3], ports[4]
	if a.Kubeconfig, err = kubeconfigInNamespace(s.Env.Kubeconfig, ArgoCDNamespace); err != nil {
		return err
	}
	if err := createArgoCDConfig(ctx, s.Client); err != nil {
		return err
	}
	p, err := testenv.StartProcess(filepath.Join(s.bin, "redis-server"), s.LogDir, "redis",
		"--bind", "127.0.0.1", "--port", fmt.Sprint(redis), "--save", "", "--appendonly", "no")
	if err != nil {
		return err
	}
	a.procs = append(a.procs, p)
	data := filepath.Join(s.LogDir, "argocd-data")
	for _, d := range []string{"tls", "ssh", "gnupg"} {
		if err := os.MkdirAll(filepath.Join(data, d), 0o700); err != nil {
			return err
		}
	}
	common := []string{"KUBECONFIG=" + a.Kubeconfig, "PATH=" + s.bin + ":" + os.Getenv("PATH"),
		"ARGOCD_GPG_ENABLED=false", "ARGOCD_TLS_DATA_PATH=" + filepath.Join(data, "tls"),
		"ARGOCD_SSH_DATA_PATH=" + filepath.Join(data, "ssh"), "ARGOCD_GNUPGHOME=" + filepath.Join(data, "gnupg"),
		"HOME=" + data}
	if err := a.startRole(s.LogDir, "argocd-repo-server", common,
		"--address", "127.0.0.1", "--port", fmt.Sprint(repo),
		"--metrics-address", "127.0.0.1", "--metrics-port", fmt.Sprint(repoMetrics),
		"--redis", fmt.Sprintf("127.0.0.1:%d", redis), "--loglevel", "info"); err != nil {
		return err
	}
	if err := a.startRole(s.LogDir, "argocd-application-controller", append(common, "ARGOCD_FAKE_IN_CLUSTER=true"),
		"--redis", fmt.Sprintf("127.0.0.1:%d", redis), "--repo-server", fmt.Sprintf("127.0.0.1:%d", repo),
		"--metrics-port", fmt.Sprint(controllerMetrics), "--status-processors", "4", "--operation-processors", "4",
		"--self-heal-timeout-seconds", "2", "--loglevel", "info"); err != nil {
		return err
	}
	if err := a.startPortForwards(ctx, s, redis, repo, kwok); err != nil {
		return err
	}
	// The CLI answering proves the port-forward path to redis and the repo server works.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, err := a.CLI("app", "list")
		if err == nil {
			return nil
		}
		for _, p := range a.procs {
			if p.Exited() {
				return fmt.Errorf("an Argo CD process exited:\n%s", p.Tail())
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("argocd --core app list never worked (logs in %s): %v\n%s", s.LogDir, err, out)
		}
		time.Sleep(time.Second)
	}
}

// startRole runs bin/argocd as one of its roles (the binary picks it by ARGOCD_BINARY_NAME).
func (a *ArgoCD) startRole(logDir, role string, env []string, args ...string) error {
	p, err := testenv.StartProcessEnv(filepath.Join(a.bin, "argocd"), logDir, role, append(env, "ARGOCD_BINARY_NAME="+role), args...)
	if err != nil {
		return err
	}
	a.procs = append(a.procs, p)
	return nil
}

// CLI runs `argocd --core ARGS…` and returns its combined output.
func (a *ArgoCD) CLI(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(a.bin, "argocd"), append([]string{"--core"}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+a.Kubeconfig, "PATH="+a.bin+":"+os.Getenv("PATH"),
		"HOME="+filepath.Join(a.logDir, "argocd-data"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("argocd %s: %v", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Stop stops Argo CD's processes.
func (a *ArgoCD) Stop() {
	for i := len(a.procs) - 1; i >= 0; i-- {
		a.procs[i].Stop()
	}
}

// kubeconfigInNamespace writes a copy of path whose current context defaults to namespace ns.
func kubeconfigInNamespace(path, ns string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return "", err
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = ns
	out := strings.TrimSuffix(path, ".kubeconfig") + "-" + ns + ".kubeconfig"
	return out, clientcmd.WriteToFile(*cfg, out)
}

// createArgoCDConfig creates what an Argo CD install ships besides its Deployments: the
// namespace, the configuration ConfigMaps and Secret, and the default AppProject (which only
// argocd-server would create).
func createArgoCDConfig(ctx context.Context, c client.Client) error {
	part := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ArgoCDNamespace, Labels: part}
	}
	project := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
		"metadata": map[string]any{"name": "default", "namespace": ArgoCDNamespace},
		"spec": map[string]any{
			"sourceRepos":              []any{"*"},
			"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		},
	}}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ArgoCDNamespace}},
		&corev1.ConfigMap{ObjectMeta: meta("argocd-cm")},
		&corev1.ConfigMap{ObjectMeta: meta("argocd-rbac-cm")},
		&corev1.ConfigMap{ObjectMeta: meta("argocd-cmd-params-cm")},
		&corev1.Secret{ObjectMeta: meta("argocd-secret"), StringData: map[string]string{"server.secretkey": "weir-gitops-suite"}},
		project,
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// startPortForwards runs kwok for one tainted Node and creates Ready placeholder pods named as
// Argo CD's redis and repo server, so that `argocd --core` (which port-forwards to pods with
// those labels) reaches the local processes.
func (a *ArgoCD) startPortForwards(ctx context.Context, s *Stack, redis, repo, kwokPort int) error {
	stages, err := os.ReadFile(filepath.Join(s.bin, "kwok-stages.yaml"))
	if err != nil {
		return err
	}
	forward := fmt.Sprintf(`---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: argocd
spec:
  forwards:
    - ports: [6379]
      target: {address: 127.0.0.1, port: %d}
    - ports: [8081]
      target: {address: 127.0.0.1, port: %d}
`, redis, repo)
	config := filepath.Join(s.LogDir, "kwok-argocd.yaml")
	if err := os.WriteFile(config, append(stages, []byte(forward)...), 0o600); err != nil {
		return err
	}
	p, err := testenv.StartProcess(filepath.Join(s.bin, "kwok"), s.LogDir, "kwok-argocd",
		"--kubeconfig="+s.Env.Kubeconfig, "--config="+config,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=argocd",
		"--cidr=10.245.0.0/16", "--node-ip=127.0.0.1", "--node-lease-duration-seconds=40",
		fmt.Sprintf("--server-address=127.0.0.1:%d", kwokPort), fmt.Sprintf("--node-port=%d", kwokPort))
	if err != nil {
		return err
	}
	a.procs = append(a.procs, p)
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods: resource.MustParse("10")}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: argoNode, Annotations: map[string]string{"kwok.x-k8s.io/node": "argocd"},
			Labels: map[string]string{"kubernetes.io/hostname": argoNode, "type": "kwok"}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: "weir.dev/argocd-port-forward", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if err := s.Client.Create(ctx, node); err != nil {
		return err
	}
	// kwok skips pods of a Node it hasn't initialised yet, and doesn't look at them again.
	deadline := time.Now().Add(2 * time.Minute)
	for !nodeReady(ctx, s.Client, argoNode) {
		if p.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("the kwok node %s never became Ready:\n%s", argoNode, p.Tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, port := range map[string]int32{"argocd-redis": 6379, "argocd-repo-server": 8081} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ArgoCDNamespace, Labels: map[string]string{"app.kubernetes.io/name": name}},
			Spec: corev1.PodSpec{NodeName: argoNode, Containers: []corev1.Container{{Name: name, Image: "port-forward-placeholder",
				Ports: []corev1.ContainerPort{{ContainerPort: port}}}},
				Tolerations: []corev1.Toleration{{Key: "weir.dev/argocd-port-forward", Operator: corev1.TolerationOpExists}}},
		}
		if err := s.Client.Create(ctx, pod); err != nil {
			return err
		}
	}
	deadline = time.Now().Add(2 * time.Minute)
	for {
		var pods corev1.PodList
		ready := 0
		if err := s.Client.List(ctx, &pods, client.InNamespace(ArgoCDNamespace)); err == nil {
			for _, p := range pods.Items {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
						ready++
					}
				}
			}
		}
		if ready == 2 {
			return nil
		}
		if p.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("the port-forward pods never became Ready (kwok log):\n%s", p.Tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func nodeReady(ctx context.Context, c client.Client, name string) bool {
	var node corev1.Node
	if err := c.Get(ctx, client.ObjectKey{Name: name}, &node); err != nil {
		return false
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
