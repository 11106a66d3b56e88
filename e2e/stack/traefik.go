package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/weir-dev/weir/internal/testenv"
)

// GatewayName is the Gateway (namespace default) that routes attach to.
const GatewayName = "public"

// startTraefik runs Traefik out of cluster with the admin kubeconfig, as the Gateway API
// implementation: it routes to Services by ClusterIP (native LB), which the node agent serves.
func (s *Stack) startTraefik(ctx context.Context) error {
	ports, err := testenv.FreePorts(3)
	if err != nil {
		return err
	}
	web, api := ports[0], ports[1]
	s.metricsPort = ports[2]
	s.GatewayPort = web
	s.GatewayURL = fmt.Sprintf("http://127.0.0.1:%d", web)
	s.TraefikAPI = fmt.Sprintf("http://127.0.0.1:%d", api)
	s.traefik, err = testenv.StartProcessEnv(filepath.Join(s.bin, "traefik"), s.LogDir, "traefik",
		[]string{"KUBECONFIG=" + s.Env.Kubeconfig},
		"--global.checkNewVersion=false", "--global.sendAnonymousUsage=false",
		"--providers.kubernetesgateway=true",
		"--providers.kubernetesgateway.statusAddress.ip=127.0.0.1",
		"--providers.kubernetesgateway.nativeLBByDefault=true",
		"--providers.providersThrottleDuration=100ms",
		fmt.Sprintf("--entryPoints.web.address=127.0.0.1:%d", web),
		fmt.Sprintf("--entryPoints.traefik.address=127.0.0.1:%d", api),
		fmt.Sprintf("--entryPoints.metrics.address=127.0.0.1:%d", s.metricsPort),
		"--api.insecure=true", "--api.dashboard=false", "--ping=true",
		"--metrics.prometheus=true", "--metrics.prometheus.entryPoint=metrics",
		"--metrics.prometheus.addServicesLabels=true", "--metrics.prometheus.addRoutersLabels=true",
		"--log.level=INFO")
	if err != nil {
		return err
	}
	if err := s.traefik.WaitHTTP(s.TraefikAPI + "/ping"); err != nil {
		return err
	}
	class := &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "traefik"},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: "traefik.io/gateway-controller"},
	}
	from := gatewayv1.NamespacesFromAll
	gw := &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: GatewayName, Namespace: "default"},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "traefik",
			Listeners: []gatewayv1.Listener{{
				Name: "web", Port: gatewayv1.PortNumber(web), Protocol: gatewayv1.HTTPProtocolType,
				AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &from}},
			}},
		},
	}
	for _, obj := range []client.Object{class, gw} {
		if err := s.Client.Create(ctx, obj); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := s.Client.Get(ctx, client.ObjectKeyFromObject(gw), gw); err == nil &&
			meta.IsStatusConditionTrue(gw.Status.Conditions, string(gatewayv1.GatewayConditionProgrammed)) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("gateway %s never Programmed by Traefik (log: %s)", GatewayName, filepath.Join(s.LogDir, "traefik.log"))
}
