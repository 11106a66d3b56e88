package nodeagent

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// serviceProxy plays kube-proxy: it listens on each Service's ClusterIP:port (loopback
// addresses, thanks to a service CIDR inside 127.0.0.0/8) and forwards each connection to a
// ready pod its current selector picks, round robin.
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

func (p *serviceProxy) serve(l *listener) {
	for {
		conn, err := l.l.Accept()
		if err != nil {
			return
		}
		go p.forward(l, conn)
	}
}

func (p *serviceProxy) forward(l *listener, conn net.Conn) {
	defer conn.Close()
	backends := p.backends(l.ns, *l.selector.Load(), l.target)
	if len(backends) == 0 {
		return // no ready endpoint: the connection closes, as with kube-proxy's reject
	}
	sort.Strings(backends)
	backend := backends[int(l.next.Add(1)-1)%len(backends)]
	up, err := net.DialTimeout("tcp", backend, 2*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

func (p *serviceProxy) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.listeners {
		l.l.Close()
	}
}
