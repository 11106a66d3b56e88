package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
	"github.com/weir-dev/weir/internal/provider/web"
)

// server answers each path with a fixed status and body, and records the last request.
type server struct {
	URL  string
	last *http.Request
	body string
}

func startServer(t *testing.T) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{URL: "http://" + ln.Addr().String()}
	answers := map[string]struct {
		code int
		body string
	}{
		"/ok":      {200, `{"data": {"errorRate": 0.012, "ok": true, "count": "42", "none": null, "list": [1, 2.5], "obj": {"a": 1}}}`},
		"/text":    {200, `<html>maintenance</html>`},
		"/down":    {503, `{"error": "backend down"}`},
		"/slow":    {200, `{}`},
		"/echo":    {200, `{"v": 1}`},
		"/failing": {200, `{"data": {"ok": false}}`},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.last, s.body = r.Clone(context.Background()), string(b)
		a, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/slow" {
			time.Sleep(1500 * time.Millisecond)
		}
		w.WriteHeader(a.code)
		_, _ = io.WriteString(w, a.body)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func measure(p *weirv1.WebProvider, args map[string]string, env *provider.Env) provider.Outcome {
	if env == nil {
		env = &provider.Env{}
	}
	return web.Provider{}.Measure(context.Background(), provider.Request{
		Metric: weirv1.Metric{Name: "m", Provider: weirv1.MetricProvider{Web: p}},
		Run:    &weirv1.AnalysisRun{}, Args: args, Now: time.Now(), Seq: 1, Env: env,
	})
}

// TestWebResults reads each kind of JSON value through a real HTTP round trip.
func TestWebResults(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		path, jsonPath string
		want           analysis.Result
		err            string
	}{
		{"/ok", "{$.data.errorRate}", analysis.Result{Values: []float64{0.012}}, ""},
		{"/ok", "{.data.ok}", analysis.Result{Values: []float64{1}}, ""},
		{"/failing", "{.data.ok}", analysis.Result{Values: []float64{0}}, ""},
		{"/ok", "{.data.count}", analysis.Result{Values: []float64{42}}, ""},
		{"/ok", "{.data.list}", analysis.Result{Values: []float64{1, 2.5}}, ""},
		{"/ok", "{.data.list[*]}", analysis.Result{Values: []float64{1, 2.5}}, ""},
		{"/ok", "{.data.none}", analysis.Result{NoData: true}, ""},
		{"/ok", "{.data.missing}", analysis.Result{NoData: true}, ""},
		{"/ok", "{.data.obj}", analysis.Result{}, "found a JSON object, not a number"},
		{"/text", "{.data}", analysis.Result{}, "the answer is not JSON"},
		{"/down", "{.data}", analysis.Result{}, `answered 503 Service Unavailable: {"error": "backend down"}`},
		{"/nowhere", "{.data}", analysis.Result{}, "answered 404 Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.path+tc.jsonPath, func(t *testing.T) {
			out := measure(&weirv1.WebProvider{URL: s.URL + tc.path, JSONPath: tc.jsonPath}, nil, nil)
			switch {
			case tc.err != "":
				if out.Err == nil || !strings.Contains(out.Err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", out.Err, tc.err)
				}
			case out.Err != nil:
				t.Fatalf("error %v", out.Err)
			case out.Result.String() != tc.want.String() || out.Result.NoData != tc.want.NoData:
				t.Fatalf("result %+v, want %+v", out.Result, tc.want)
			}
		})
	}
}

// TestWebRequest: arguments are URL-escaped in the URL (a value can't add a parameter or
// change the host) and sent as they are in a POST body; headers are sent; the timeout
// holds; the allow-list refuses other addresses before any request.
func TestWebRequest(t *testing.T) {
	s := startServer(t)
	out := measure(&weirv1.WebProvider{
		URL: s.URL + "/echo?service={{args.service}}", Method: "POST", JSONPath: "{.v}",
		Body:    `{"service": "{{args.service}}"}`,
		Headers: []weirv1.WebHeader{{Name: "X-Tenant", Value: ptr.To("blog")}},
	}, map[string]string{"service": "canary&admin=1"}, nil)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if got := s.last.URL.Query(); got.Get("service") != "canary&admin=1" || got.Get("admin") != "" {
		t.Errorf("query %v", got)
	}
	if s.last.Method != "POST" || s.body != `{"service": "canary&admin=1"}` || s.last.Header.Get("X-Tenant") != "blog" {
		t.Errorf("request %s %q %v", s.last.Method, s.body, s.last.Header)
	}

	started := time.Now()
	out = measure(&weirv1.WebProvider{URL: s.URL + "/slow", JSONPath: "{.v}", TimeoutSeconds: ptr.To[int32](1)}, nil, nil)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "did not answer within 1s") || time.Since(started) > 1400*time.Millisecond {
		t.Errorf("slow answer after %s: %v", time.Since(started), out.Err)
	}

	out = measure(&weirv1.WebProvider{URL: s.URL + "/ok?x={{args.missing}}", JSONPath: "{.v}"}, nil, nil)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "{{args.missing}}") {
		t.Errorf("missing argument: %v", out.Err)
	}

	s.last = nil
	env := &provider.Env{Allowed: map[string]provider.AllowList{web.Name: {Flag: "--allowed-web-addresses", Prefixes: []string{"https://status.example.com/"}}}}
	out = measure(&weirv1.WebProvider{URL: s.URL + "/ok", JSONPath: "{.data.ok}"}, nil, env)
	if out.Err == nil || !strings.Contains(out.Err.Error(), "--allowed-web-addresses") || s.last != nil {
		t.Errorf("address outside the allow-list: %v (request sent: %v)", out.Err, s.last != nil)
	}
}

func TestWebValidate(t *testing.T) {
	got := web.Provider{}.Validate(weirv1.MetricProvider{Web: &weirv1.WebProvider{
		URL: "http://x/{{args.svc}}", JSONPath: "{.data[", Body: "{}", Method: "GET",
	}}, "spec.metrics[0].provider", map[string]bool{})
	want := []string{
		"spec.metrics[0].provider.web.url: {{args.svc}} is not declared in spec.args",
		"spec.metrics[0].provider.web.jsonPath: ",
		"spec.metrics[0].provider.web.body: only a POST sends a body (method is GET)",
	}
	if len(got) != len(want) {
		t.Fatalf("problems %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want %q…", i, got[i], want[i])
		}
	}
}
