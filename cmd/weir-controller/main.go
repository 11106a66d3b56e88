// Command weir-controller runs Weir's reconcilers.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/scheme"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// gcPercent is the default GC target. Nearly all of the controller's heap is its informer
// caches: large, long-lived, and churning only when the cluster changes. Go's default of 100
// lets the heap reach twice that before collecting. At 30, 2,000 idle Rollouts sit at
// ~86 MiB instead of 109-138 MiB, for ~3 CPU-s more per 500 releases (make bench, in
// docs/benchmarks.md).
const gcPercent = 30

func main() {
	var metricsAddr, probeAddr, pprofAddr string
	var leaderElect bool
	var leaderElectionNamespace string
	var qps float64
	var burst, rolloutWorkers int
	var watchNamespaces, instanceID, allowedPrometheus, allowedWeb string
	var showVersion bool
	flag.StringVar(&metricsAddr, "metrics-bind-address", "127.0.0.1:8080", "address of the Prometheus metrics endpoint (0 disables it)")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "", "address of Go's /debug/pprof/ profiles, e.g. 127.0.0.1:8082 (default: off)")
	flag.StringVar(&probeAddr, "health-probe-bind-address", "127.0.0.1:8081", "address of the /healthz and /readyz endpoints")
	flag.BoolVar(&leaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles (on in the Helm chart)")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader-election Lease (default: the pod's namespace)")
	flag.Float64Var(&qps, "kube-api-qps", 200, "requests per second to the API server (client-side limit)")
	flag.IntVar(&burst, "kube-api-burst", 400, "burst of requests to the API server above kube-api-qps")
	flag.IntVar(&rolloutWorkers, "rollout-workers", 8, "Rollouts reconciled in parallel")
	flag.StringVar(&watchNamespaces, "watch-namespaces", "", "comma-separated namespaces to watch (default: all)")
	flag.StringVar(&instanceID, "instance-id", "", "handle only Rollouts labelled rollouts.weir.dev/instance-id=<id> (default: only unlabelled ones)")
	flag.StringVar(&allowedPrometheus, "allowed-prometheus-addresses", "", "comma-separated address prefixes analysis may query (default: any)")
	flag.StringVar(&allowedWeb, "allowed-web-addresses", "", "comma-separated URL prefixes the web metric provider may request (default: any)")
	flag.BoolVar(&showVersion, "version", false, "print the version and exit")
	opts := zap.Options{Development: false, TimeEncoder: zapcore.ISO8601TimeEncoder}
	opts.BindFlags(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "weir-controller releases Rollouts step by step (rollouts.weir.dev/v1alpha1).\n\nFlags:\n")
		flag.PrintDefaults()
		fmt.Fprintf(flag.CommandLine.Output(), "\nEnvironment:\n  GOGC\tGo's GC target in percent; %d unless set (the caches are most of the heap and change slowly)\n  GOMEMLIMIT\tGo's soft memory limit (the Helm chart sets it to the container's memory limit)\n", gcPercent)
	}
	flag.Parse()
	if showVersion {
		fmt.Println("weir-controller", version)
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}

	cfg := ctrl.GetConfigOrDie()
	// client-go's default (5 QPS, or 20 from controller-runtime) makes hundreds of releases
	// queue behind the rate limiter; Weir writes only what changed, so a higher cap is safe.
	cfg.QPS, cfg.Burst = float32(qps), burst
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.New(),
		Cache:                         controller.CacheOptionsFor(controller.Scope{Namespaces: split(watchNamespaces), InstanceID: instanceID}),
		Metrics:                       metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:        probeAddr,
		PprofBindAddress:              pprofAddr,
		LeaderElection:                leaderElect,
		LeaderElectionID:              leaseName(instanceID),
		LeaderElectionReleaseOnCancel: true,
		LeaderElectionNamespace:       leaderElectionNamespace,
	})
	if err != nil {
		log.Error(err, "creating the manager")
		os.Exit(1)
	}
	if err := controller.SetupWith(mgr, controller.Options{
		AllowedPrometheusAddresses: split(allowedPrometheus), AllowedWebAddresses: split(allowedWeb), RolloutWorkers: rolloutWorkers}); err != nil {
		log.Error(err, "setting up the reconcilers")
		os.Exit(1)
	}
	_ = mgr.AddHealthzCheck("healthz", healthz.Ping)
	_ = mgr.AddReadyzCheck("caches", controller.CachesSynced(mgr.GetCache()))
	log.Info("starting weir-controller", "version", version)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "running the manager")
		os.Exit(1)
	}
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// leaseName keeps installations with different instance ids from electing one leader.
func leaseName(instanceID string) string {
	if instanceID == "" {
		return "weir-controller.rollouts.weir.dev"
	}
	return "weir-controller-" + instanceID + ".rollouts.weir.dev"
}
