package prometheus_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider/prometheus"
	"github.com/weir-dev/weir/internal/testenv"
)

var promURL string

// TestMain runs a real Prometheus scraping a test exporter every second.
func TestMain(m *testing.M) {
	exp, err := testenv.StartExporter()
	if err != nil {
		panic(err)
	}
	exp.Set(`test_ratio{svc="a"}`, 0.3)
	exp.Set(`test_ratio{svc="b"}`, 0.1)
	exp.Set(`test_nan`, math.NaN())
	exp.Set(`test_latency{rev="stable"}`, 0.100)
	exp.Set(`test_latency{rev="canary-slow"}`, 0.130)
	exp.Set(`test_latency{rev="canary-same"}`, 0.100)
	prom, err := testenv.StartPrometheus(exp.Addr)
	if err != nil {
		println("prometheus:", err.Error())
		os.Exit(1)
	}
	promURL = prom.URL
	// Wait for the first scrape, so every test sees data.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		res, err := query(`test_ratio`, "")
		if err == nil && len(res.Values) == 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	code := m.Run()
	prom.Close()
	exp.Close()
	os.Exit(code)
}

func query(q string, timeout weirv1.Duration) (analysis.Result, error) {
	return queryAt(promURL, q, timeout)
}

func queryAt(address, q string, timeout weirv1.Duration) (analysis.Result, error) {
	p := &weirv1.PrometheusProvider{PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: address, Timeout: timeout}, Query: q}
	return prometheus.QueryPrometheus(context.Background(), p, q, prometheus.Credentials{}, time.Now())
}

func TestPrometheusResults(t *testing.T) {
	cases := []struct {
		name   string
		query  string
		values []float64
		noData bool
	}{
		{"one series", `test_ratio{svc="a"}`, []float64{0.3}, false},
		{"several series", `sort(test_ratio)`, []float64{0.1, 0.3}, false},
		{"scalar", `scalar(test_ratio{svc="b"})`, []float64{0.1}, false},
		{"empty vector is no data", `test_ratio{svc="nope"}`, nil, true},
		{"NaN is no data", `test_nan`, nil, true},
		{"0/0 is no data", `sum(test_ratio{svc="a"}) * 0 / 0`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := query(tc.query, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.NoData != tc.noData || len(res.Values) != len(tc.values) {
				t.Fatalf("result %+v, want values %v noData %v", res, tc.values, tc.noData)
			}
			for i := range tc.values {
				if math.Abs(res.Values[i]-tc.values[i]) > 1e-9 {
					t.Errorf("value %d = %v, want %v", i, res.Values[i], tc.values[i])
				}
			}
		})
	}
}

// Every way of not getting an answer is an error (→ an Error measurement), never a result.
func TestPrometheusFailures(t *testing.T) {
	status500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer status500.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	port, _ := testenv.FreePort() // nothing listens there
	cases := []struct {
		name, address, query string
		timeout              weirv1.Duration
		want                 string
	}{
		{"unreachable", "http://127.0.0.1:" + strconv.Itoa(port), "up", "", "connection refused"},
		{"500", status500.URL, "up", "", "500"},
		{"slower than the timeout", slow.URL, "up", "300ms", "did not answer within 300ms"},
		{"a query Prometheus refuses", promURL, "sum(", "", "parse error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			started := time.Now()
			_, err := queryAt(tc.address, tc.query, tc.timeout)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
			if time.Since(started) > 4*time.Second {
				t.Errorf("the timeout was not honoured: %s", time.Since(started))
			}
		})
	}
}

// TestJudgeAgainstPrometheus compares range samples of a slow and an equal canary with the
// stable baseline through the real query API.
func TestJudgeAgainstPrometheus(t *testing.T) {
	judge := func(canary string) (analysis.Result, string) {
		j := &weirv1.JudgeProvider{Prometheus: weirv1.PrometheusEndpoint{Address: promURL}, Window: "20s", Step: "1s",
			MinSamples: ptrInt32(10)}
		deadline := time.Now().Add(time.Minute)
		for {
			res, msg, err := prometheus.QueryJudge(context.Background(), j, `test_latency{rev="`+canary+`"}`, `test_latency{rev="stable"}`,
				prometheus.Credentials{}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !res.NoData || time.Now().After(deadline) {
				return res, msg
			}
			time.Sleep(500 * time.Millisecond) // Prometheus gathers a sample a second
		}
	}
	if res, msg := judge("canary-slow"); res.NoData || res.Values[0] != analysis.JudgeFail {
		t.Errorf("a 30%% slower canary: %+v %s", res, msg)
	}
	if res, msg := judge("canary-same"); res.NoData || res.Values[0] != analysis.JudgePass {
		t.Errorf("an equal canary: %+v %s", res, msg)
	}
}

func ptrInt32(v int32) *int32 { return &v }
