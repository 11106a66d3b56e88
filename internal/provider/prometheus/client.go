package prometheus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// DefaultQueryTimeout bounds one query when the metric doesn't say.
const DefaultQueryTimeout = 30 * time.Second

// Credentials are read from a Secret by the caller and sent with every query.
type Credentials struct {
	BearerToken        string
	Username, Password string
}

// QueryPrometheus runs an instant query. Any failure to get an answer (unreachable server,
// 5xx, timeout, a query Prometheus refuses) is returned as an error: the caller records an
// Error measurement, never a Failed one.
func QueryPrometheus(ctx context.Context, p *weirv1.PrometheusProvider, query string, creds Credentials, now time.Time) (analysis.Result, error) {
	api, ctx, cancel, err := connect(ctx, p.PrometheusEndpoint, creds)
	if err != nil {
		return analysis.Result{}, err
	}
	defer cancel()
	value, _, _, err := api.Query(ctx, query, now)
	if err != nil {
		return analysis.Result{}, queryError(ctx, p.PrometheusEndpoint, err)
	}
	return toResult(value)
}

// connect is the one way Weir reaches a Prometheus server, for instant and range queries
// alike: the endpoint's TLS setting, headers and credentials on every request, and its
// timeout on the returned context.
func connect(ctx context.Context, ep weirv1.PrometheusEndpoint, creds Credentials) (promv1.API, context.Context, context.CancelFunc, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if ep.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	rt := &headerRoundTripper{next: transport, headers: ep.Headers, creds: creds}
	client, err := promapi.NewClient(promapi.Config{Address: ep.Address, RoundTripper: rt})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("prometheus address %q: %w", ep.Address, err)
	}
	ctx, cancel := context.WithTimeout(ctx, ep.Timeout.OrDefault(DefaultQueryTimeout))
	return promv1.NewAPI(client), ctx, cancel, nil
}

// queryError says why a query got no answer.
func queryError(ctx context.Context, ep weirv1.PrometheusEndpoint, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("prometheus at %s did not answer within %s", ep.Address, ep.Timeout.OrDefault(DefaultQueryTimeout))
	}
	return fmt.Errorf("prometheus at %s: %w", ep.Address, err)
}

func toResult(v model.Value) (analysis.Result, error) {
	var values []float64
	switch v := v.(type) {
	case *model.Scalar:
		values = []float64{float64(v.Value)}
	case model.Vector:
		for _, s := range v {
			values = append(values, float64(s.Value))
		}
	default:
		return analysis.Result{}, fmt.Errorf("query returned a %s; want a scalar or an instant vector", v.Type())
	}
	kept := values[:0]
	for _, x := range values {
		if !math.IsNaN(x) {
			kept = append(kept, x)
		}
	}
	return analysis.Result{Values: kept, NoData: len(kept) == 0}, nil
}

type headerRoundTripper struct {
	next    http.RoundTripper
	headers []weirv1.HTTPHeader
	creds   Credentials
}

func (h *headerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for _, hd := range h.headers {
		req.Header.Set(hd.Name, hd.Value)
	}
	switch {
	case h.creds.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+h.creds.BearerToken)
	case h.creds.Username != "":
		req.SetBasicAuth(h.creds.Username, h.creds.Password)
	}
	return h.next.RoundTrip(req)
}
