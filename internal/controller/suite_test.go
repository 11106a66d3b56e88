package controller_test

import (
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
	os.Exit(testenv.RunWithWeir(m, controller.CacheOptionsFor(controller.Scope{}), func(e *testenv.Env) { env, k8s = e, e.Client }))
}
