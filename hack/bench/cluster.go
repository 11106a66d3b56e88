package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv"
)

// cluster is a local control plane with pods, the Weir controller as its own process, the
// bench's watches and the stand-in gateway.
type cluster struct {
	env    *testenv.Env
	c      client.Client
	cs     kubernetes.Interface
	rec    *recorder
	acc    *acceptor
	cancel context.CancelFunc

	ctrlBin    string
	ctrlArgs   []string
	ctrlEnv    []string
	ctrl       *testenv.Process
	ctrlPort   int // metrics
	pprofPort  int // the controller's --pprof-bind-address; 0: not asked for
	ctrlStarts int
	pids       map[string]int   // control-plane components by name
	peer       *testenv.Process // the peer's controller, in scenario 6
}

// apiQPS is the client QPS of kube-controller-manager and kube-scheduler (burst twice it):
// high enough that the cluster's own components never cap a release.
const apiQPS = 5000

// clusterOptions say what runs on a bench cluster besides the control plane.
type clusterOptions struct {
	ctrlBin           string // weir-controller to run; "": none (the peer scenario)
	ctrlArgs, ctrlEnv []string
	pprof             bool
	extraCRDs         []string
}

func startCluster(ctx context.Context, o clusterOptions) (*cluster, error) {
	env, err := testenv.Start(testenv.Options{
		Pods:   true,
		APIQPS: apiQPS,
		// 4,000+ Services need ClusterIPs: envtest's default range has 254.
		ServiceCIDR: "10.96.0.0/16",
		ExtraCRDs:   o.extraCRDs,
	})
	if err != nil {
		return nil, err
	}
	cl := &cluster{env: env, ctrlBin: o.ctrlBin, ctrlArgs: o.ctrlArgs, ctrlEnv: o.ctrlEnv, rec: newRecorder(), pids: map[string]int{}}
	ctx, cl.cancel = context.WithCancel(ctx)
	fail := func(err error) (*cluster, error) { cl.stop(); return nil, err }
	if o.pprof {
		if cl.pprofPort, err = testenv.FreePort(); err != nil {
			return fail(err)
		}
	}

	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = -1, 0 // the bench must never be the one throttled
	if cl.c, err = client.New(cfg, client.Options{Scheme: env.Scheme}); err != nil {
		return fail(err)
	}
	if cl.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return fail(err)
	}
	ch, err := cache.New(cfg, cache.Options{Scheme: env.Scheme, DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return fail(err)
	}
	cl.acc = newAcceptor(cl.c, ch)
	if err := watchAll(ctx, ch, cl.rec, cl.acc); err != nil {
		return fail(err)
	}
	go func() { _ = ch.Start(ctx) }()
	if !ch.WaitForCacheSync(ctx) {
		return fail(fmt.Errorf("the bench's informers never synced"))
	}
	cl.acc.run(ctx, 8)

	u, err := url.Parse(env.Config.Host)
	if err != nil {
		return fail(err)
	}
	cl.pids["kube-apiserver"] = childByName("kube-apiserver", "--secure-port="+u.Port())
	cl.pids["etcd"] = childByName("etcd", "")
	for _, name := range []string{"kube-controller-manager", "kube-scheduler", "kwok"} {
		cl.pids[name] = childByName(name, env.Kubeconfig)
	}
	if cl.pids["kube-apiserver"] == 0 {
		return fail(fmt.Errorf("kube-apiserver of this env not found among the bench's child processes"))
	}
	if o.ctrlBin == "" {
		return cl, nil
	}
	if err := cl.startController(); err != nil {
		return fail(err)
	}
	return cl, nil
}

func (cl *cluster) stop() {
	if cl.ctrl != nil {
		cl.ctrl.Stop()
	}
	if cl.peer != nil {
		cl.peer.Stop()
	}
	if cl.cancel != nil {
		cl.cancel()
	}
	if cl.env != nil {
		cl.env.Stop()
	}
}

// buildController compiles ./cmd/weir-controller into dir (a relink when nothing changed).
func buildController(dir string) (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "weir-controller")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/weir-controller")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/weir-controller: %v\n%s", err, b)
	}
	return out, nil
}

// startController runs weir-controller at its default settings as its own process.
func (cl *cluster) startController() error {
	ports, err := testenv.FreePorts(2)
	if err != nil {
		return err
	}
	metrics, probes := ports[0], ports[1]
	cl.ctrlStarts++
	name := "weir-controller"
	if cl.ctrlStarts > 1 {
		name = fmt.Sprintf("weir-controller-%d", cl.ctrlStarts)
	}
	args := append([]string{
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probes),
	}, cl.ctrlArgs...)
	if cl.pprofPort != 0 {
		args = append(args, fmt.Sprintf("--pprof-bind-address=127.0.0.1:%d", cl.pprofPort))
	}
	p, err := testenv.StartProcessEnv(cl.ctrlBin, cl.env.LogDir, name, append([]string{"KUBECONFIG=" + cl.env.Kubeconfig}, cl.ctrlEnv...), args...)
	if err != nil {
		return err
	}
	cl.ctrl, cl.ctrlPort = p, metrics
	return p.WaitHTTP(fmt.Sprintf("http://127.0.0.1:%d/readyz", probes))
}

func (cl *cluster) restartController() error {
	cl.ctrl.Stop()
	return cl.startController()
}

func (cl *cluster) ctrlPid() int { return cl.ctrl.Pid() }

func (cl *cluster) ctrlMetrics() (metrics, error) {
	return scrapeURL(fmt.Sprintf("http://127.0.0.1:%d/metrics", cl.ctrlPort))
}

// pprof fetches a profile from the controller's --pprof-bind-address, if it serves one.
func (cl *cluster) pprof(path, dest string) error {
	c := &http.Client{Timeout: 10 * time.Minute}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/%s", cl.pprofPort, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the controller serves no /debug/pprof/ (%s)", resp.Status)
	}
	f, err := os.Create(dest)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func (cl *cluster) hasPprof() bool {
	if cl.pprofPort == 0 {
		return false
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", cl.pprofPort))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// apiserverMetrics scrapes kube-apiserver's /metrics as the admin user.
func (cl *cluster) apiserverMetrics(ctx context.Context) (metrics, error) {
	data, err := cl.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	// Keep only the families the bench reads: the whole page is several MB.
	var keep []string
	for _, line := range strings.Split(string(data), "\n") {
		// The latency histogram's _sum and _count, without its TYPE line, parse as plain series.
		if strings.Contains(line, "apiserver_request_total") ||
			strings.HasPrefix(line, "apiserver_request_duration_seconds_sum") ||
			strings.HasPrefix(line, "apiserver_request_duration_seconds_count") {
			keep = append(keep, line)
		}
	}
	return parseMetrics([]byte(strings.Join(keep, "\n") + "\n"))
}

// apiserverProfile takes a CPU profile of kube-apiserver (it serves /debug/pprof by default).
func (cl *cluster) apiserverProfile(ctx context.Context, seconds int, dest string) error {
	data, err := cl.cs.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").
		Param("seconds", fmt.Sprint(seconds)).Timeout(time.Duration(seconds+60) * time.Second).DoRaw(ctx)
	if err != nil {
		return err
	}
	return os.WriteFile(dest, data, 0o644)
}

// procs reads /proc for the controller and every control-plane component.
func (cl *cluster) procs() map[string]procStat {
	out := map[string]procStat{}
	if s, err := readProc(os.Getpid()); err == nil {
		out["bench (this process)"] = s
	}
	if cl.ctrl != nil {
		if s, err := readProc(cl.ctrlPid()); err == nil {
			out["weir-controller"] = s
		}
	}
	for name, pid := range cl.pids {
		if pid == 0 {
			continue
		}
		if s, err := readProc(pid); err == nil {
			out[name] = s
		}
	}
	return out
}
