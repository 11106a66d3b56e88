// Command demoapp is the application released in Weir's demo and e2e suite: an HTTP service
// whose version, error rate and latency come from its flags (the test node agent maps a Pod's
// image tag and env to them). It answers "<version>\n", fails a share of requests with 500,
// and exposes /healthz and /metrics.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	version := flag.String("version", "v1", "version to report")
	errorRate := flag.Float64("error-rate", 0, "share of requests answered with 500, 0..1")
	latency := flag.Duration("latency", 0, "added latency per request")
	flag.Parse()

	var ok, failed atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "demoapp_requests_total{version=%q,code=\"200\"} %d\n", *version, ok.Load())
		fmt.Fprintf(w, "demoapp_requests_total{version=%q,code=\"500\"} %d\n", *version, failed.Load())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		if *latency > 0 {
			time.Sleep(*latency)
		}
		if rand.Float64() < *errorRate {
			failed.Add(1)
			http.Error(w, *version+" failed", http.StatusInternalServerError)
			return
		}
		ok.Add(1)
		fmt.Fprintln(w, *version)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("demoapp %s serving on %s (error rate %.2f)", *version, *listen, *errorRate)
	log.Fatal(srv.ListenAndServe())
}
