package testenv

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
)

// Exporter serves /metrics with series whose values the test sets: the smallest stand-in
// for an application's metrics endpoint.
type Exporter struct {
	// Addr is host:port to scrape.
	Addr   string
	mu     sync.Mutex
	series map[string]float64
	srv    *http.Server
}

// StartExporter serves on a free port of 127.0.0.1.
func StartExporter() (*Exporter, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Exporter{Addr: l.Addr().String(), series: map[string]float64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.serve)
	e.srv = &http.Server{Handler: mux}
	go func() { _ = e.srv.Serve(l) }()
	return e, nil
}

// Add adds delta to a series such as `http_requests_total{code="500"}`.
func (e *Exporter) Add(series string, delta float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.series[series] += delta
}

// Set sets a series' value.
func (e *Exporter) Set(series string, v float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.series[series] = v
}

func (e *Exporter) serve(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	names := make([]string, 0, len(e.series))
	for name := range e.series {
		names = append(names, name)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	for _, name := range names {
		fmt.Fprintf(w, "%s %g\n", name, e.series[name])
	}
}

// Close stops serving.
func (e *Exporter) Close() { _ = e.srv.Close() }
