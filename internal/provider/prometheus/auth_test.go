package prometheus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/provider/prometheus"
	"github.com/weir-dev/weir/internal/testenv"
)

// guardedPrometheus puts the real Prometheus behind a proxy that wants these credentials
// and a tenant header.
func guardedPrometheus(t *testing.T, authorization string, tls bool) string {
	g, err := testenv.StartGuard(promURL, map[string]string{"Authorization": authorization, "X-Scope-OrgID": "team-a"}, tls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g.URL
}

// TestEveryQueryHonoursTheEndpoint: instant queries and the judge's range queries alike send
// the endpoint's headers and credentials and honour its TLS setting (issue 14, defect 3: the
// judge was queried with no credentials, no headers and its own client).
func TestEveryQueryHonoursTheEndpoint(t *testing.T) {
	basic := prometheus.Credentials{Username: "weir", Password: "s3cret"}
	bearer := prometheus.Credentials{BearerToken: "tok-123"}
	tenant := []weirv1.HTTPHeader{{Name: "X-Scope-OrgID", Value: "team-a"}}
	cases := []struct {
		name     string
		guard    string // the Authorization header the proxy wants
		tls      bool
		endpoint weirv1.PrometheusEndpoint
		creds    prometheus.Credentials
		refused  string // "" when the query must get through
	}{
		{"basic auth and a tenant header", "Basic d2VpcjpzM2NyZXQ=", false, weirv1.PrometheusEndpoint{Headers: tenant}, basic, ""},
		{"bearer token and a tenant header", "Bearer tok-123", false, weirv1.PrometheusEndpoint{Headers: tenant}, bearer, ""},
		{"no credentials", "Bearer tok-123", false, weirv1.PrometheusEndpoint{Headers: tenant}, prometheus.Credentials{}, "401"},
		{"no tenant header", "Bearer tok-123", false, weirv1.PrometheusEndpoint{}, bearer, "401"},
		{"TLS with insecureSkipVerify", "Bearer tok-123", true, weirv1.PrometheusEndpoint{Headers: tenant, InsecureSkipVerify: true}, bearer, ""},
		{"TLS with an unknown certificate", "Bearer tok-123", true, weirv1.PrometheusEndpoint{Headers: tenant}, bearer, "certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep := tc.endpoint
			ep.Address, ep.Timeout = guardedPrometheus(t, tc.guard, tc.tls), "5s"
			check := func(what string, err error) {
				t.Helper()
				switch {
				case tc.refused == "" && err != nil:
					t.Errorf("%s: %v", what, err)
				case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
					t.Errorf("%s: got %v, want an error mentioning %q", what, err, tc.refused)
				}
			}
			res, err := prometheus.QueryPrometheus(context.Background(), &weirv1.PrometheusProvider{PrometheusEndpoint: ep, Query: "test_ratio"},
				"test_ratio", tc.creds, time.Now())
			check("instant query", err)
			if err == nil && len(res.Values) != 2 {
				t.Errorf("instant query through the proxy: %+v", res)
			}
			j := &weirv1.JudgeProvider{Prometheus: ep, Window: "5s", Step: "1s", MinSamples: ptrInt32(3)}
			_, _, err = prometheus.QueryJudge(context.Background(), j, `test_latency{rev="canary-same"}`, `test_latency{rev="stable"}`, tc.creds, time.Now())
			check("judge's range queries", err)
		})
	}
}
