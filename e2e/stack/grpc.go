package stack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// grpcMethod is the demo app's gRPC method (e2e/demoapp.GRPCMethod).
const grpcMethod = "weir.demo.v1.Version/Get"

// GRPCHost is the hostname of the app's gRPC API at the gateway.
func (a App) GRPCHost() string { return "grpc." + a.Host }

// GRPCRouteName names the app's GRPCRoute.
func (a App) GRPCRouteName() string { return a.Name + "-grpc" }

// WithGRPC adds to an app's objects its gRPC API: a GRPCRoute for the demo's Version
// service with the stable and canary weights, named by the Rollout beside its HTTPRoute.
func (a App) WithGRPC(objs []client.Object) []client.Object {
	ref := func(name string, w int32) gatewayv1.GRPCBackendRef {
		return gatewayv1.GRPCBackendRef{BackendRef: gatewayv1.BackendRef{Weight: ptr.To(w),
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}}}
	}
	route := &gatewayv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Name: a.GRPCRouteName(), Namespace: a.Namespace},
		Spec: gatewayv1.GRPCRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: GatewayName, Namespace: ptr.To[gatewayv1.Namespace]("default")}}},
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(a.GRPCHost())},
			Rules: []gatewayv1.GRPCRouteRule{{
				Matches:     []gatewayv1.GRPCRouteMatch{{Method: &gatewayv1.GRPCMethodMatch{Service: ptr.To("weir.demo.v1.Version")}}},
				BackendRefs: []gatewayv1.GRPCBackendRef{ref(a.StableService(), 100), ref(a.CanaryService(), 0)},
			}},
		},
	}
	for _, obj := range objs {
		if ro, ok := obj.(*weirv1.Rollout); ok {
			gw := ro.Spec.Strategy.Canary.TrafficRouting.GatewayAPI
			gw.GRPCRoutes = append(gw.GRPCRoutes, weirv1.RouteRef{Name: a.GRPCRouteName()})
		}
	}
	return append(objs, route)
}

// SendGRPC makes n gRPC calls of the demo's Version/Get through the gateway, over
// cleartext HTTP/2, concurrency at a time. A call whose grpc-status isn't 0 counts as failed
// (by status); Versions counts the answers by the version they carry.
func (s *Stack) SendGRPC(a App, n, concurrency int) Sample {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http2Cleartext{}}
	return sample(n, concurrency, func() (string, int, error) { return callVersion(client, s.GatewayURL, a.GRPCHost()) })
}

// callVersion is one unary call: an empty request message, the answer's version field and
// the grpc-status trailer.
func callVersion(c *http.Client, gateway, host string) (string, int, error) {
	req, err := http.NewRequest(http.MethodPost, gateway+"/"+grpcMethod, bytes.NewReader([]byte{0, 0, 0, 0, 0}))
	if err != nil {
		return "", 0, err
	}
	req.Host = host
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", 0, err
	}
	if resp.ProtoMajor != 2 {
		return "", 0, fmt.Errorf("answered over HTTP/%d", resp.ProtoMajor)
	}
	status := resp.Trailer.Get("Grpc-Status")
	if status == "" {
		status = resp.Header.Get("Grpc-Status") // a trailers-only answer
	}
	var code int
	if _, err := fmt.Sscan(status, &code); err != nil {
		return "", 0, fmt.Errorf("no grpc-status (HTTP %d)", resp.StatusCode)
	}
	if code != 0 {
		return "", code, nil
	}
	if len(body) < 7 || body[5] != 0x0a || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
		return "", 0, fmt.Errorf("not a Version message: %q", body)
	}
	return string(body[7 : 7+int(body[6])]), 0, nil
}

// http2Cleartext is a RoundTripper speaking HTTP/2 with prior knowledge over TCP (h2c), as
// gRPC clients do to a plaintext endpoint.
type http2Cleartext struct {
	once sync.Once
	t    *http.Transport
}

func (h *http2Cleartext) RoundTrip(r *http.Request) (*http.Response, error) {
	h.once.Do(func() {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		h.t = &http.Transport{Protocols: p, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, MaxIdleConnsPerHost: 16}
	})
	return h.t.RoundTrip(r)
}
