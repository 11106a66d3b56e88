package testenv

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
)

// Guard is test infrastructure: a reverse proxy on 127.0.0.1 in front of a server (a real
// Prometheus in the tests) that answers 401 unless a request carries every wanted header,
// as an authenticating proxy or a multi-tenant Prometheus does.
type Guard struct {
	URL string
	srv *httptest.Server
}

// StartGuard proxies to target, wanting these header values (e.g. Authorization); with tls
// it serves HTTPS with a certificate no client trusts.
func StartGuard(target string, want map[string]string, tls bool) (*Guard, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, value := range want {
			if r.Header.Get(name) != value {
				http.Error(w, "unauthorized: "+name, http.StatusUnauthorized)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	return &Guard{URL: srv.URL, srv: srv}, nil
}

// Close stops the proxy.
func (g *Guard) Close() { g.srv.Close() }
