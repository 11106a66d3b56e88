// Package provider says what a metric provider must do for Weir: check its block of a
// metric, and take one measurement. Each provider lives in a folder of its own below this
// one and is listed once in registry; the AnalysisRun reconciler, the template validation
// and the linter reach providers only through the registry.
//
// To add one: a field in api/v1alpha1.MetricProvider (with its type), a folder here
// implementing Provider, and its line in registry.All.
package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// Provider measures metrics of one kind.
type Provider interface {
	// Name is the provider's key in a metric's provider block ("prometheus", "web", …).
	Name() string
	// Selected reports whether a provider block is this provider's.
	Selected(p weirv1.MetricProvider) bool
	// Validate finds what the CRD schema can't, each problem naming its field below path
	// (the metric's provider field, e.g. spec.metrics[0].provider). declared are the
	// template's argument names.
	Validate(p weirv1.MetricProvider, path string, declared map[string]bool) []string
	// Measure takes one measurement. It returns within the provider's timeout; a
	// measurement that takes longer (a Job) returns Pending and is asked again with the
	// same Request.Seq until it has an outcome.
	Measure(ctx context.Context, req Request) Outcome
}

// Stopper is a provider with work of its own to stop when a run ends (running Jobs).
type Stopper interface {
	Stop(ctx context.Context, run *weirv1.AnalysisRun, env *Env) error
}

// Owner is a provider whose measurements are objects owned by the AnalysisRun: the run's
// reconciler watches them to judge as soon as one finishes.
type Owner interface {
	Owns() client.Object
}

// Request is one measurement to take.
type Request struct {
	Metric weirv1.Metric
	Run    *weirv1.AnalysisRun
	// Args are the run's argument values by name.
	Args map[string]string
	// Seq numbers the metric's measurements from 1; it stays the same until this one is
	// recorded.
	Seq int32
	Now time.Time
	Env *Env
}

// Outcome is what one measurement found.
type Outcome struct {
	Result analysis.Result
	// Err is a provider error: no answer, or an answer that can't be read. It is retried
	// and never counts as a failure of the release.
	Err error
	// Detail is shown before the verdict's message (the judge's statistics).
	Detail string
	// Pending: the measurement is under way; ask again after this long.
	Pending time.Duration
	// Started is when the measurement began, when that was before this call (a Job's
	// creation); zero means now.
	Started time.Time
}

// Env is what the installation gives providers.
type Env struct {
	Client client.Client
	// Secrets reads Secrets straight from the API server: the chart grants get on Secrets,
	// not the list and watch a cache would need, and Weir keeps no Secret in memory.
	Secrets client.Reader
	// Allowed are the address prefixes a provider may reach, by provider name; a provider
	// without a list may reach any address.
	Allowed map[string]AllowList
}

// AllowList is an installation's address prefixes for one provider, and the flag that sets
// them (for the message).
type AllowList struct {
	Flag     string
	Prefixes []string
}

// Check refuses an address outside the provider's allow-list, so that templates written by
// tenants can't make the controller reach arbitrary hosts.
func (e *Env) Check(provider, address string) error {
	list := e.Allowed[provider]
	if len(list.Prefixes) == 0 {
		return nil
	}
	for _, prefix := range list.Prefixes {
		if strings.HasPrefix(address, prefix) {
			return nil
		}
	}
	return fmt.Errorf("%s address %s is not allowed by this installation (%s %s)",
		provider, address, list.Flag, strings.Join(list.Prefixes, ","))
}

// Secret reads a Secret in ns; a missing one is a provider error naming it.
func (e *Env) Secret(ctx context.Context, ns, name, purpose string) (*corev1.Secret, error) {
	if e.Secrets == nil {
		return nil, fmt.Errorf("%s Secret %s: this installation reads no Secrets", purpose, name)
	}
	var secret corev1.Secret
	if err := e.Secrets.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &secret); err != nil {
		return nil, fmt.Errorf("%s Secret %s: %w", purpose, name, err)
	}
	return &secret, nil
}

// SecretKey reads one key of a Secret in ns.
func (e *Env) SecretKey(ctx context.Context, ns string, ref corev1.SecretKeySelector, purpose string) (string, error) {
	secret, err := e.Secret(ctx, ns, ref.Name, purpose)
	if err != nil {
		return "", err
	}
	v, ok := secret.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("%s Secret %s has no key %s", purpose, ref.Name, ref.Key)
	}
	return string(v), nil
}

// UndeclaredArgs names, as problems of field, the {{args.x}} a text refers to that the
// template doesn't declare.
func UndeclaredArgs(field, text string, declared map[string]bool) []string {
	var problems []string
	for _, name := range analysis.Placeholders(text) {
		if !declared[name] {
			problems = append(problems, fmt.Sprintf("%s: {{args.%s}} is not declared in spec.args", field, name))
		}
	}
	return problems
}
