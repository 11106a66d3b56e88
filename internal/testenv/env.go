package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/weir-dev/weir/internal/scheme"
)

// Options choose what runs beside etcd and kube-apiserver.
type Options struct {
	// Pods also runs kube-controller-manager, kube-scheduler and kwok with one fake Node, so
	// ReplicaSets create pods that become Ready.
	Pods bool
	// NoKwok leaves kwok and its fake Node out (with Pods): a test's own node agent runs the
	// pods instead.
	NoKwok bool
	// ServiceCIDR for kube-apiserver; e2e uses a range inside 127.0.0.0/8 so Service
	// ClusterIPs are loopback addresses a local proxy can bind.
	ServiceCIDR string
	// APIQPS, when set, is the --kube-api-qps of kube-controller-manager and kube-scheduler
	// (burst twice that), so that benchmarks at scale aren't capped by the cluster's own
	// client rate limits. Default: 500 for kube-controller-manager, the scheduler's default.
	APIQPS int
	// APIServerFlags are extra kube-apiserver flags (name without dashes -> value).
	APIServerFlags map[string]string
	// ExtraCRDs are more CRD files or directories to install beside Weir's and Gateway
	// API's (the bench installs another release controller's to measure it side by side).
	ExtraCRDs []string
}

// Env is a running control plane.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme
	// Kubeconfig is an admin (system:masters) kubeconfig file for other processes.
	Kubeconfig string
	// LogDir holds the logs of the processes the harness started.
	LogDir string

	env   *envtest.Environment
	procs []*Process
}

// Start brings up the control plane. Call Stop when done, also on failure paths.
func Start(opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	bin := BinDir(root)
	if err := requireBinaries(bin, "etcd", "kube-apiserver", "kubectl"); err != nil {
		return nil, err
	}
	gatewayCRDs, err := GatewayAPICRDDir(root)
	if err != nil {
		return nil, err
	}
	logDir, err := os.MkdirTemp("", "weir-testenv-")
	if err != nil {
		return nil, err
	}
	e := &Env{Scheme: scheme.New(), LogDir: logDir}
	// ReferenceGrants too: the stand-in gateway reads them (Weir itself leaves that to the
	// gateway and reads its verdict).
	if err := gatewayv1beta1.Install(e.Scheme); err != nil {
		return nil, err
	}
	e.env = &envtest.Environment{
		BinaryAssetsDirectory: bin,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:              append([]string{filepath.Join(root, "config", "crd"), gatewayCRDs}, opts.ExtraCRDs...),
			ErrorIfPathMissing: true,
			Scheme:             e.Scheme,
		},
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	if opts.ServiceCIDR != "" {
		e.env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", opts.ServiceCIDR)
	}
	for name, value := range opts.APIServerFlags {
		e.env.ControlPlane.GetAPIServer().Configure().Set(name, value)
	}
	if e.Config, err = e.env.Start(); err != nil {
		_ = e.env.Stop() // a failed start (e.g. a CRD refused) leaves etcd and kube-apiserver running
		return nil, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	if e.Client, err = client.New(e.Config, client.Options{Scheme: e.Scheme}); err != nil {
		e.Stop()
		return nil, err
	}
	if err := e.writeAdminKubeconfig(); err != nil {
		e.Stop()
		return nil, err
	}
	if opts.Pods {
		if err := e.startPodMachinery(bin, !opts.NoKwok, opts.APIQPS); err != nil {
			e.Stop()
			return nil, err
		}
	}
	return e, nil
}

func (e *Env) writeAdminKubeconfig() error {
	user, err := e.env.AddUser(envtest.User{Name: "weir-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.LogDir, "admin.kubeconfig")
	return os.WriteFile(e.Kubeconfig, data, 0o600)
}

// startPodMachinery runs what turns ReplicaSets into Ready pods without a kubelet.
func (e *Env) startPodMachinery(bin string, kwok bool, qps int) error {
	if err := requireBinaries(bin, "kube-controller-manager", "kube-scheduler"); err != nil {
		return err
	}
	kc := "--kubeconfig=" + e.Kubeconfig
	kcmQPS := []string{"--kube-api-qps=500", "--kube-api-burst=1000"}
	var schedQPS []string
	if qps > 0 {
		kcmQPS = []string{fmt.Sprintf("--kube-api-qps=%d", qps), fmt.Sprintf("--kube-api-burst=%d", 2*qps)}
		schedQPS = kcmQPS
	}
	starts := []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", []string{kc, "--authentication-kubeconfig=" + e.Kubeconfig,
			"--authorization-kubeconfig=" + e.Kubeconfig, "--leader-elect=false", "--secure-port=0",
			"--controllers=*", kcmQPS[0], kcmQPS[1],
			"--concurrent-replicaset-syncs=10", "--concurrent-gc-syncs=10"}},
		{"kube-scheduler", append([]string{kc, "--authentication-kubeconfig=" + e.Kubeconfig,
			"--authorization-kubeconfig=" + e.Kubeconfig, "--leader-elect=false",
			"--bind-address=127.0.0.1", "--secure-port=0"}, schedQPS...)},
		{"kwok", []string{kc, "--config=" + filepath.Join(bin, "kwok-stages.yaml"),
			"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
			"--cidr=10.244.0.0/16", "--node-ip=127.0.0.1", "--node-lease-duration-seconds=40",
			"--server-address=127.0.0.1:0"}},
	}
	if !kwok {
		starts = starts[:2]
	} else if err := requireBinaries(bin, "kwok", "kwok-stages.yaml"); err != nil {
		return err
	}
	for _, s := range starts {
		p, err := startProcess(bin, e.LogDir, s.name, s.args...)
		if err != nil {
			return err
		}
		e.procs = append(e.procs, p)
	}
	if !kwok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Client.Create(ctx, fakeNode()); err != nil {
		return fmt.Errorf("creating the fake node: %w", err)
	}
	return e.waitNodeReady(ctx)
}

func fakeNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1000"),
		corev1.ResourceMemory: resource.MustParse("4Ti"),
		corev1.ResourcePods:   resource.MustParse("10000"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "kwok-node-0",
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": "kwok-node-0"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

func (e *Env) waitNodeReady(ctx context.Context) error {
	for {
		for _, p := range e.procs {
			if p.Exited() {
				return fmt.Errorf("%s exited:\n%s", p.name, p.Tail())
			}
		}
		var node corev1.Node
		if err := e.Client.Get(ctx, client.ObjectKey{Name: "kwok-node-0"}, &node); err == nil {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fake node never became Ready (logs in %s)", e.LogDir)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops every process the harness started, then kube-apiserver and etcd.
func (e *Env) Stop() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].Stop()
	}
	e.procs = nil
	if e.env != nil {
		_ = e.env.Stop()
	}
}
