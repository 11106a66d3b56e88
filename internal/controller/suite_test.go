package controller_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/testenv"
)

var (
	k8s client.Client
	env *testenv.Env
)

// noGatewayAnnotation on a test's HTTPRoute keeps the stand-in gateway away from it, so the
// route is never Accepted.
const noGatewayAnnotation = "test.weir.dev/no-gateway"

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
	go acceptRoutes(ctx)
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

// acceptRoutes plays the gateway: it marks every HTTPRoute Accepted for its current
// generation, as Traefik does ~50 ms after a change.
func acceptRoutes(ctx context.Context) {
	for ctx.Err() == nil {
		var routes gatewayv1.HTTPRouteList
		if err := k8s.List(ctx, &routes); err == nil {
			for i := range routes.Items {
				route := &routes.Items[i]
				if route.Annotations[noGatewayAnnotation] != "" || acceptedAt(route) == route.Generation {
					continue
				}
				markAccepted(ctx, route)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func acceptedAt(route *gatewayv1.HTTPRoute) int64 {
	if len(route.Status.Parents) == 0 {
		return -1
	}
	c := meta.FindStatusCondition(route.Status.Parents[0].Conditions, string(gatewayv1.RouteConditionAccepted))
	if c == nil {
		return -1
	}
	return c.ObservedGeneration
}

func markAccepted(ctx context.Context, route *gatewayv1.HTTPRoute) {
	var parents []gatewayv1.RouteParentStatus
	for _, ref := range route.Spec.ParentRefs {
		parents = append(parents, gatewayv1.RouteParentStatus{
			ParentRef:      ref,
			ControllerName: "test.weir.dev/stand-in-gateway",
			Conditions: []metav1.Condition{{
				Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue,
				Reason: "Accepted", ObservedGeneration: route.Generation, LastTransitionTime: metav1.Now(),
			}},
		})
	}
	route.Status.Parents = parents
	_ = k8s.Status().Update(ctx, route)
}
