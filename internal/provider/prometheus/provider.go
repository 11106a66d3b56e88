// Package prometheus is the Prometheus metric provider: instant queries (prometheus), and
// the canary-vs-baseline judge over range queries (judge), both through one client that
// honours the endpoint's timeout, headers, credentials and TLS setting.
package prometheus

import (
	"context"
	"fmt"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
)

// Name is the key of both providers' allow-list: they reach the same servers.
const Name = "prometheus"

// Provider runs one instant query per measurement.
type Provider struct{}

func (Provider) Name() string                          { return Name }
func (Provider) Selected(p weirv1.MetricProvider) bool { return p.Prometheus != nil }

func (Provider) Validate(p weirv1.MetricProvider, path string, declared map[string]bool) []string {
	return provider.UndeclaredArgs(path+".prometheus.query", p.Prometheus.Query, declared)
}

func (Provider) Measure(ctx context.Context, req provider.Request) provider.Outcome {
	p := req.Metric.Provider.Prometheus
	if err := req.Env.Check(Name, p.Address); err != nil {
		return provider.Outcome{Err: err}
	}
	query, err := analysis.RenderQuery(p.Query, req.Args)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	creds, err := credentials(ctx, req, p.Auth)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	res, err := QueryPrometheus(ctx, p, query, creds, req.Now)
	return provider.Outcome{Result: res, Err: err}
}

// Judge compares the canary's samples with the baseline's.
type Judge struct{}

func (Judge) Name() string                          { return "judge" }
func (Judge) Selected(p weirv1.MetricProvider) bool { return p.Judge != nil }

func (Judge) Validate(p weirv1.MetricProvider, path string, declared map[string]bool) []string {
	j := p.Judge
	problems := provider.UndeclaredArgs(path+".judge.canaryQuery", j.CanaryQuery, declared)
	problems = append(problems, provider.UndeclaredArgs(path+".judge.baselineQuery", j.BaselineQuery, declared)...)
	if _, err := analysis.Settings(j); err != nil {
		problems = append(problems, fmt.Sprintf("%s.judge: %v", path, err))
	}
	return problems
}

func (Judge) Measure(ctx context.Context, req provider.Request) provider.Outcome {
	j := req.Metric.Provider.Judge
	if err := req.Env.Check(Name, j.Prometheus.Address); err != nil {
		return provider.Outcome{Err: err}
	}
	canary, err := analysis.RenderQuery(j.CanaryQuery, req.Args)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	baseline, err := analysis.RenderQuery(j.BaselineQuery, req.Args)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	creds, err := credentials(ctx, req, j.Prometheus.Auth)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	res, detail, err := QueryJudge(ctx, j, canary, baseline, creds, req.Now)
	return provider.Outcome{Result: res, Detail: detail, Err: err}
}

// credentials reads the endpoint's Secret from the run's namespace.
func credentials(ctx context.Context, req provider.Request, auth *weirv1.PrometheusAuth) (Credentials, error) {
	switch {
	case auth == nil:
		return Credentials{}, nil
	case auth.BearerTokenSecret != nil:
		token, err := req.Env.SecretKey(ctx, req.Run.Namespace, *auth.BearerTokenSecret, "bearer token")
		return Credentials{BearerToken: token}, err
	case auth.BasicAuthSecret != nil:
		secret, err := req.Env.Secret(ctx, req.Run.Namespace, auth.BasicAuthSecret.Name, "basic auth")
		if err != nil {
			return Credentials{}, err
		}
		return Credentials{Username: string(secret.Data["username"]), Password: string(secret.Data["password"])}, nil
	}
	return Credentials{}, nil
}
