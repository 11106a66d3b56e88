// Command demoapp is the application released in Weir's demo and e2e suite: an HTTP service
// whose version, error rate and latency come from its flags (the test node agent maps a Pod's
// image tag and env to them). It answers "<version>\n", fails a share of requests with 500,
// and exposes /healthz and /metrics. Over cleartext HTTP/2 it also answers the gRPC method
// /weir.demo.v1.Version/Get with its version (a message {string version = 1}).
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
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
	mux.HandleFunc("/"+GRPCMethod, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the request message: empty
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		if rand.Float64() < *errorRate {
			failed.Add(1)
			w.Header().Set("Grpc-Status", "13") // INTERNAL
			w.Header().Set("Grpc-Message", *version+" failed")
			return
		}
		ok.Add(1)
		_, _ = w.Write(grpcFrame(*version))
		w.Header().Set("Grpc-Status", "0")
		w.Header().Set("Grpc-Message", "")
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true) // h2c, as gateways reach gRPC backends
	log.Printf("demoapp %s serving on %s (error rate %.2f)", *version, *listen, *errorRate)
	log.Fatal(srv.ListenAndServe())
}

// GRPCMethod is the one gRPC method the app serves.
const GRPCMethod = "weir.demo.v1.Version/Get"

// grpcFrame is a gRPC length-prefixed message holding the protobuf encoding of
// {string version = 1}: field 1, wire type 2 (0x0a), the length, the bytes.
func grpcFrame(version string) []byte {
	msg := append([]byte{0x0a, byte(len(version))}, version...)
	frame := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(msg)))
	return append(frame, msg...)
}
