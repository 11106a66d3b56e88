package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one series of a scraped metric.
type sample struct {
	labels map[string]string
	value  float64
}

// metrics is one scrape: series by metric name; histograms and summaries appear as
// <name>_sum and <name>_count.
type metrics map[string][]sample

func parseMetrics(data []byte) (metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out := metrics{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name] = append(out[name], sample{labels, m.GetCounter().GetValue()})
			case dto.MetricType_GAUGE:
				out[name] = append(out[name], sample{labels, m.GetGauge().GetValue()})
			case dto.MetricType_UNTYPED:
				out[name] = append(out[name], sample{labels, m.GetUntyped().GetValue()})
			case dto.MetricType_HISTOGRAM:
				out[name+"_sum"] = append(out[name+"_sum"], sample{labels, m.GetHistogram().GetSampleSum()})
				out[name+"_count"] = append(out[name+"_count"], sample{labels, float64(m.GetHistogram().GetSampleCount())})
			case dto.MetricType_SUMMARY:
				out[name+"_sum"] = append(out[name+"_sum"], sample{labels, m.GetSummary().GetSampleSum()})
				out[name+"_count"] = append(out[name+"_count"], sample{labels, float64(m.GetSummary().GetSampleCount())})
			}
		}
	}
	return out, nil
}

// sum adds the series of name whose labels include match.
func (m metrics) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, s := range m[name] {
		if matches(s.labels, match) {
			total += s.value
		}
	}
	return total
}

// by adds the series of name matching match, grouped by the values of the given labels.
func (m metrics) by(name string, match map[string]string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range m[name] {
		if !matches(s.labels, match) {
			continue
		}
		parts := make([]string, len(labels))
		for i, l := range labels {
			parts[i] = s.labels[l]
		}
		out[strings.Join(parts, " ")] += s.value
	}
	return out
}

func matches(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// delta is b - a for every key of b.
func delta(a, b map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range b {
		if d := v - a[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// formatCounts prints "k=v" pairs, largest first.
func formatCounts(m map[string]float64, per float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.1f", k, m[k]/per))
	}
	return strings.Join(parts, ", ")
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func scrapeURL(u string) (metrics, error) {
	resp, err := httpClient.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return parseMetrics(data)
}

// promClient polls a Prometheus server's instant-query API on a kept-alive connection.
type promClient struct {
	base string
	hc   *http.Client
}

func newPromClient(base string) *promClient {
	return &promClient{base: base, hc: &http.Client{Timeout: 5 * time.Second}}
}

// query returns the first value of an instant query, and false when the result is empty.
func (p *promClient) query(ctx context.Context, q string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, false, err
	}
	if body.Status != "success" {
		return 0, false, fmt.Errorf("prometheus: %s", body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false, nil
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, err
}
