package controller_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/testenv"
)

var (
	k8s client.Client
	env *testenv.Env
)

// noGatewayAnnotation on a test's HTTPRoute keeps the stand-in gateway away from it.
const noGatewayAnnotation = testenv.NoGatewayAnnotation

// TestMain starts a real control plane (with pods that become Ready), the Weir manager, and a
// stand-in for a gateway that accepts HTTPRoutes. No gateway runs in these tests: the
// stand-in only writes the route's parent status, as a gateway implementation would.
func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start(testenv.Options{Pods: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		os.Exit(1)
	}
	k8s = env.Client
	ctx, cancel := context.WithCancel(context.Background())
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(zapLevel()))))
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 controller.NewScheme(),
		Cache:                  controller.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err == nil {
		err = controller.Setup(mgr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		env.Stop()
		os.Exit(1)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	go testenv.StandInGateway(ctx, k8s)
	code := m.Run()
	cancel()
	env.Stop()
	os.Exit(code)
}

func zapLevel() int8 {
	if os.Getenv("WEIR_TEST_VERBOSE") != "" {
		return -2
	}
	return 2 // errors only
}
