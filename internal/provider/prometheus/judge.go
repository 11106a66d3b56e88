package prometheus

import (
	"context"
	"fmt"
	"math"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// QueryJudge runs both range queries over the window and compares them. Too few samples on
// either side is no data.
func QueryJudge(ctx context.Context, j *weirv1.JudgeProvider, canaryQuery, baselineQuery string, creds Credentials, now time.Time) (analysis.Result, string, error) {
	s, err := analysis.Settings(j)
	if err != nil {
		return analysis.Result{}, "", err
	}
	window, step := j.Window.OrDefault(2*time.Minute), j.Step.OrDefault(10*time.Second)
	r := promv1.Range{Start: now.Add(-window), End: now, Step: step}
	canary, err := rangeSamples(ctx, j.Prometheus, canaryQuery, r, creds)
	if err != nil {
		return analysis.Result{}, "", err
	}
	baseline, err := rangeSamples(ctx, j.Prometheus, baselineQuery, r, creds)
	if err != nil {
		return analysis.Result{}, "", err
	}
	if len(canary) < s.MinSamples || len(baseline) < s.MinSamples {
		return analysis.Result{NoData: true}, fmt.Sprintf("%d canary and %d baseline samples, %d needed each", len(canary), len(baseline), s.MinSamples), nil
	}
	score, msg := analysis.Compare(canary, baseline, s)
	return analysis.Result{Values: []float64{score}}, msg, nil
}

func rangeSamples(ctx context.Context, ep weirv1.PrometheusEndpoint, query string, r promv1.Range, creds Credentials) ([]float64, error) {
	api, ctx, cancel, err := connect(ctx, ep, creds)
	if err != nil {
		return nil, err
	}
	defer cancel()
	value, _, _, err := api.QueryRange(ctx, query, r)
	if err != nil {
		return nil, queryError(ctx, ep, err)
	}
	matrix, ok := value.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query returned a %s", value.Type())
	}
	var out []float64
	for _, series := range matrix {
		for _, v := range series.Values {
			if f := float64(v.Value); !math.IsNaN(f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}
