package testenv

import (
	"context"
	"fmt"
	"os"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/scheme"
)

// StartWeir runs Weir's reconcilers in this process against the environment, with the
// given cache options (controller.CacheOptions() unless a suite hides some objects), and the
// stand-in gateway, until ctx ends. Logs only errors unless WEIR_TEST_VERBOSE is set.
func (e *Env) StartWeir(ctx context.Context, cacheOpts cache.Options) error {
	level := zapcore.Level(2)
	if os.Getenv("WEIR_TEST_VERBOSE") != "" {
		level = -2
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{
		Scheme:                 scheme.New(),
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return err
	}
	if err := controller.Setup(mgr); err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	go StandInGateway(ctx, e.Client)
	return nil
}

// RunWithWeir is a suite's TestMain: a control plane whose pods become Ready, Weir in this
// process with cacheOpts and the stand-in gateway, then the tests. use receives the
// environment before Weir starts (to set the suite's globals). It returns the exit code.
func RunWithWeir(m interface{ Run() int }, cacheOpts cache.Options, use func(*Env)) int {
	env, err := Start(Options{Pods: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		return 1
	}
	defer env.Stop()
	use(env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := env.StartWeir(ctx, cacheOpts); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		return 1
	}
	return m.Run()
}
