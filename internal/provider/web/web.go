// Package web is the web metric provider: one HTTP(S) request per measurement, its value
// read from the JSON answer by a JSONPath.
package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/util/jsonpath"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
	"github.com/weir-dev/weir/internal/provider"
)

// Name is the provider's key, also of its allow-list.
const Name = "web"

// DefaultTimeout bounds a request when the provider doesn't say.
const DefaultTimeout = 10 * time.Second

// maxBody is the most of an answer read: metrics endpoints answer small documents.
const maxBody = 4 << 20

// Provider is the web provider.
type Provider struct{}

func (Provider) Name() string                          { return Name }
func (Provider) Selected(p weirv1.MetricProvider) bool { return p.Web != nil }

func (Provider) Validate(p weirv1.MetricProvider, path string, declared map[string]bool) []string {
	w := p.Web
	path += ".web"
	problems := provider.UndeclaredArgs(path+".url", w.URL, declared)
	problems = append(problems, provider.UndeclaredArgs(path+".body", w.Body, declared)...)
	if _, err := parsePath(w.JSONPath); err != nil {
		problems = append(problems, fmt.Sprintf("%s.jsonPath: %v", path, err))
	}
	if w.Body != "" && w.Method != http.MethodPost {
		problems = append(problems, fmt.Sprintf("%s.body: only a POST sends a body (method is %s)", path, methodOf(w)))
	}
	return problems
}

func (Provider) Measure(ctx context.Context, req provider.Request) provider.Outcome {
	w := req.Metric.Provider.Web
	target, err := renderURL(w.URL, req.Args)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	if err := req.Env.Check(Name, target); err != nil {
		return provider.Outcome{Err: err}
	}
	path, err := parsePath(w.JSONPath)
	if err != nil {
		return provider.Outcome{Err: fmt.Errorf("jsonPath: %w", err)}
	}
	body, err := fetch(ctx, req, target)
	if err != nil {
		return provider.Outcome{Err: err}
	}
	res, err := pick(path, w.JSONPath, body)
	return provider.Outcome{Result: res, Err: err}
}

func methodOf(w *weirv1.WebProvider) string {
	if w.Method == "" {
		return http.MethodGet
	}
	return w.Method
}

// renderURL replaces {{args.x}} with URL-escaped values, so that no value can change the
// host or add parameters.
func renderURL(raw string, args map[string]string) (string, error) {
	escaped := make(map[string]string, len(args))
	for k, v := range args {
		escaped[k] = url.QueryEscape(v)
	}
	out, err := analysis.RenderText(raw, escaped)
	if err != nil {
		return "", fmt.Errorf("url: %w", err)
	}
	if _, err := url.Parse(out); err != nil {
		return "", fmt.Errorf("url %q: %w", out, err)
	}
	return out, nil
}

// fetch sends the request and returns the body of a 2xx answer.
func fetch(ctx context.Context, req provider.Request, target string) ([]byte, error) {
	w := req.Metric.Provider.Web
	timeout := DefaultTimeout
	if w.TimeoutSeconds != nil {
		timeout = time.Duration(*w.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if w.Body != "" {
		text, err := analysis.RenderText(w.Body, req.Args)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		body = strings.NewReader(text)
	}
	hr, err := http.NewRequestWithContext(ctx, methodOf(w), target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	for _, h := range w.Headers {
		value := ""
		switch {
		case h.Value != nil:
			value = *h.Value
		case h.ValueFrom != nil:
			if value, err = req.Env.SecretKey(ctx, req.Run.Namespace, h.ValueFrom.SecretKeyRef, "header "+h.Name); err != nil {
				return nil, err
			}
		}
		hr.Header.Set(h.Name, value)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if w.InsecureSkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	resp, err := (&http.Client{Transport: transport}).Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s did not answer within %s", target, timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s answered %s: %s", target, resp.Status, snippet(data))
	}
	return data, nil
}

func parsePath(expr string) (*jsonpath.JSONPath, error) {
	p := jsonpath.New("jsonPath").AllowMissingKeys(true)
	if err := p.Parse(expr); err != nil {
		return nil, err
	}
	return p, nil
}

// pick reads the result from a JSON body: numbers, numeric strings and booleans; nothing
// found or null is no data.
func pick(path *jsonpath.JSONPath, expr string, body []byte) (analysis.Result, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return analysis.Result{}, fmt.Errorf("the answer is not JSON (%v): %s", err, snippet(body))
	}
	found, err := path.FindResults(doc)
	if err != nil {
		return analysis.Result{}, fmt.Errorf("jsonPath %s: %w", expr, err)
	}
	var values []float64
	for _, group := range found {
		for _, v := range group {
			vs, err := numbers(v)
			if err != nil {
				return analysis.Result{}, fmt.Errorf("jsonPath %s: %w", expr, err)
			}
			values = append(values, vs...)
		}
	}
	return analysis.Result{Values: values, NoData: len(values) == 0}, nil
}

func numbers(v reflect.Value) ([]float64, error) {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil, nil
	}
	switch x := v.Interface().(type) {
	case json.Number:
		f, err := x.Float64()
		return []float64{f}, err
	case bool:
		if x {
			return []float64{1}, nil
		}
		return []float64{0}, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("found %q, not a number", x)
		}
		return []float64{f}, nil
	case []any:
		var out []float64
		for _, item := range x {
			vs, err := numbers(reflect.ValueOf(item))
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("found a %s, not a number", describe(v))
}

func describe(v reflect.Value) string {
	if v.Kind() == reflect.Map {
		return "JSON object"
	}
	return v.Kind().String()
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
