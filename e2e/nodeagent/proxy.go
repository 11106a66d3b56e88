package nodeagent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// serviceProxy plays kube-proxy: it listens on each Service's ClusterIP:port (loopback
// addresses, thanks to a service CIDR inside 127.0.0.0/8) and forwards to the ready pods its
// current selector picks, round robin. It is HTTP-aware because the only workload here is the
// HTTP demo app.
type serviceProxy struct {
	c        client.Client
	backends func(ns string, selector map[string]string, port int32) []string

	mu        sync.Mutex
	listeners map[string]*listener // by ClusterIP:port
}

type listener struct {
	l        net.Listener
	ns       string
	selector atomic.Pointer[map[string]string]
	target   int32
	next     atomic.Uint64
}

func newServiceProxy(c client.Client, backends func(string, map[string]string, int32) []string) *serviceProxy {
	return &serviceProxy{c: c, backends: backends, listeners: map[string]*listener{}}
}

func (p *serviceProxy) run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.sync(ctx)
		}
	}
}

func (p *serviceProxy) sync(ctx context.Context) {
	var svcs corev1.ServiceList
	if err := p.c.List(ctx, &svcs); err != nil {
		return
	}
	for _, svc := range svcs.Items {
		if !strings.HasPrefix(svc.Spec.ClusterIP, "127.") {
			continue
		}
		for _, port := range svc.Spec.Ports {
			addr := fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, port.Port)
			sel := svc.Spec.Selector
			p.mu.Lock()
			l, ok := p.listeners[addr]
			p.mu.Unlock()
			if ok {
				l.selector.Store(&sel) // selectors change during a release
				continue
			}
			nl, err := net.Listen("tcp", addr)
			if err != nil {
				continue
			}
			target := port.TargetPort.IntVal
			if target == 0 {
				target = port.Port
			}
			l = &listener{l: nl, ns: svc.Namespace, target: target}
			l.selector.Store(&sel)
			p.mu.Lock()
			p.listeners[addr] = l
			p.mu.Unlock()
			go p.serve(l)
		}
	}
}

// serve proxies each HTTP request (not each TCP connection) to a ready backend that the
// Service's current selector picks: a gateway's keep-alive connections must not stay pinned
// to a revision the selector has moved away from. It speaks HTTP/1.1 and cleartext HTTP/2
// (h2c, what a gateway sends gRPC backends), each onward in the protocol it came in.
func (p *serviceProxy) serve(l *listener) {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			backends := p.backends(l.ns, *l.selector.Load(), l.target)
			if len(backends) == 0 {
				r.Out.URL.Host = "" // no ready endpoint: the transport fails and the client gets 502
				return
			}
			sort.Strings(backends)
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = backends[int(l.next.Add(1)-1)%len(backends)]
			r.Out.Host = r.In.Host
		},
		Transport: sameProtocol{
			h1:  &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
			h2c: &http.Transport{Protocols: h2cOnly(), IdleConnTimeout: 30 * time.Second},
		},
	}
	srv := &http.Server{Handler: proxy, Protocols: new(http.Protocols), ReadHeaderTimeout: 10 * time.Second}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	_ = srv.Serve(l.l)
}

func h2cOnly() *http.Protocols {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return p
}

// sameProtocol forwards an HTTP/2 request as HTTP/2 (gRPC needs it end to end) and others
// as HTTP/1.1.
type sameProtocol struct{ h1, h2c http.RoundTripper }

func (t sameProtocol) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.ProtoMajor == 2 {
		return t.h2c.RoundTrip(r)
	}
	return t.h1.RoundTrip(r)
}

func (p *serviceProxy) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.listeners {
		l.l.Close()
	}
}
