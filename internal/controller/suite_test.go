package controller_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

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
	if err := env.StartWeir(ctx, controller.CacheOptions()); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	cancel()
	env.Stop()
	os.Exit(code)
}
