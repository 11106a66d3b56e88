package convert

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// gatewayPlugin is the key of Argo Rollouts' Gateway API plugin under trafficRouting.plugins.
const gatewayPlugin = "argoproj-labs/gatewayAPI"

// argoRouting translates trafficRouting. Gateway API routes carry over; a mesh or an ingress
// becomes an HTTPRoute written here, whose Gateway a person names.
func (c *converter) argoRouting(src *source, n notes, at, stable, canary string) *weirv1.TrafficRouting {
	gw := &weirv1.GatewayAPITrafficRouting{}
	plugin := fmt.Sprintf("%s.plugins[%q]", at, gatewayPlugin)
	if src.has(plugin) {
		if name := src.str(plugin + ".httpRoute"); name != "" {
			gw.HTTPRoutes = append(gw.HTTPRoutes, weirv1.RouteRef{Name: name})
		}
		for i := range src.list(plugin + ".httpRoutes") {
			r := fmt.Sprintf("%s.httpRoutes[%d]", plugin, i)
			gw.HTTPRoutes = append(gw.HTTPRoutes, weirv1.RouteRef{Name: src.str(r + ".name")})
			if src.has(r + ".useHeaderRoutes") {
				src.at(r + ".useHeaderRoutes")
				n.add(Translated, r+".useHeaderRoutes", "Weir puts header and mirror rules on every HTTPRoute it names")
			}
		}
		if name := src.str(plugin + ".grpcRoute"); name != "" {
			gw.GRPCRoutes = append(gw.GRPCRoutes, weirv1.RouteRef{Name: name})
		}
		if ns := src.str(plugin + ".namespace"); ns != "" {
			for i := range gw.HTTPRoutes {
				gw.HTTPRoutes[i].Namespace = ns
			}
			for i := range gw.GRPCRoutes {
				gw.GRPCRoutes[i].Namespace = ns
			}
			if own := src.str("metadata.namespace"); own != ns {
				n.add(Decision, plugin+".namespace", "the routes are in namespace %s: unless the Rollout is applied there too, their backendRefs must name the Rollout's namespace, and a ReferenceGrant in the Rollout's namespace must let routes of %s reach its Services (docs/migrating.md)", ns, ns)
			}
		}
	}
	mesh := func(field, what string, hosts []string) {
		name := c.name(src)
		gw.HTTPRoutes = append(gw.HTTPRoutes, weirv1.RouteRef{Name: name})
		c.route(src, name, stable, canary, hosts)
		n.add(Decision, field, "Weir routes through Gateway API, not %s: HTTPRoute %s is written in its place, with a parentRef to Gateway %q to replace with yours and backendRefs on port 80 (the Services' port?)", what, name, placeholderGateway)
	}
	if src.has(at + ".istio") {
		var hosts []string
		for _, vs := range append(src.keysOfList(at+".istio.virtualServices", "name"), src.str(at+".istio.virtualService.name")) {
			hosts = append(hosts, c.virtualServiceHosts(vs)...)
		}
		mesh(at+".istio", "Istio", hosts) // its other fields are reported as left out
	}
	if src.has(at + ".nginx") {
		hosts := c.ingressHosts(src.str(at + ".nginx.stableIngress"))
		mesh(at+".nginx", "an NGINX Ingress", hosts)
	}
	if src.has(at + ".smi") {
		mesh(at+".smi", "SMI", nil)
	}
	if len(gw.HTTPRoutes)+len(gw.GRPCRoutes) == 0 {
		n.add(Dropped, at, "no traffic router Weir knows: without trafficRouting the canary's share of pods is its share of traffic")
		for _, k := range src.keys(at) {
			src.at(at + "." + k)
		}
		return nil
	}
	return &weirv1.TrafficRouting{GatewayAPI: gw}
}

// placeholderGateway is the parentRef of a written HTTPRoute: a person names the real one.
const placeholderGateway = "gateway"

// route writes an HTTPRoute in place of a mesh's or an ingress's, on port 80 (the report
// says it is a guess) and with a parentRef a person replaces.
func (c *converter) route(src *source, name, stable, canary string, hosts []string) {
	c.out = append(c.out, newRoute(name, src.str("metadata.namespace"), 80, stable, canary, hosts, nil))
}

// newRoute is an HTTPRoute of one rule sending all traffic to stable (canary at weight 0) on
// port, with the hostnames and parents (the placeholder Gateway when there are none).
func newRoute(name, ns string, port int32, stable, canary string, hosts []string, parents []gatewayv1.ParentReference) *gatewayv1.HTTPRoute {
	p := gatewayv1.PortNumber(port)
	ref := func(svc string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(svc), Port: &p}, Weight: ptr.To(w)}}
	}
	if len(parents) == 0 {
		parents = []gatewayv1.ParentReference{{Name: placeholderGateway}}
	}
	route := &gatewayv1.HTTPRoute{TypeMeta: metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: parents},
			Rules:           []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{ref(stable, 100), ref(canary, 0)}}},
		}}
	for _, h := range hosts {
		route.Spec.Hostnames = append(route.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	return route
}

// virtualServiceHosts are the hosts of an Istio VirtualService among the inputs, which the
// HTTPRoute written in its place takes over; the VirtualService itself is left out.
func (c *converter) virtualServiceHosts(name string) []string {
	vs := c.byKind["VirtualService/"+name]
	if vs == nil {
		return nil
	}
	c.replaced["VirtualService/"+name] = true
	var hosts []string
	decode(lookup(vs, "spec.hosts"), &hosts)
	return hosts
}

// ingressHosts are the hosts of an Ingress among the inputs (it stays: other paths may use it).
func (c *converter) ingressHosts(name string) []string {
	ing := c.byKind["Ingress/"+name]
	var hosts []string
	for i := 0; ; i++ {
		h := lookup(ing, fmt.Sprintf("spec.rules[%d].host", i))
		if h == nil {
			return hosts
		}
		hosts = append(hosts, fmt.Sprint(h))
	}
}
