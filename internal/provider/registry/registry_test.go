package registry_test

import (
	"reflect"
	"strings"
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/provider/registry"
)

// TestEveryProviderFieldHasOneProvider: each field of MetricProvider is selected by exactly
// one registered provider, named as its JSON key, so a field added without its provider (or a
// provider without its field) fails here.
func TestEveryProviderFieldHasOneProvider(t *testing.T) {
	typ := reflect.TypeOf(weirv1.MetricProvider{})
	if typ.NumField() != len(registry.All) {
		t.Fatalf("MetricProvider has %d fields, the registry %d providers", typ.NumField(), len(registry.All))
	}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var p weirv1.MetricProvider
		reflect.ValueOf(&p).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		prov, err := registry.For(p)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if prov.Name() != key {
			t.Errorf("field %s is selected by provider %s", key, prov.Name())
		}
	}
}

func TestNoProviderIsAnError(t *testing.T) {
	_, err := registry.For(weirv1.MetricProvider{})
	if err == nil || err.Error() != "provider needs exactly one of prometheus, judge, web or job" {
		t.Fatalf("no provider: %v", err)
	}
	_, err = registry.For(weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{}, Web: &weirv1.WebProvider{}})
	if err == nil {
		t.Fatal("two providers accepted")
	}
}

func TestValidateTemplate(t *testing.T) {
	spec := &weirv1.AnalysisTemplateSpec{
		Args: []weirv1.Argument{{Name: "service"}},
		Metrics: []weirv1.Metric{
			{Name: "a", SuccessCondition: "result <", Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
				Query: `x{a="{{args.service}}",b="{{args.missing}}"}`}}},
			{Name: "b", Provider: weirv1.MetricProvider{}},
			{Name: "c", Provider: weirv1.MetricProvider{Job: &weirv1.JobProvider{}}},
		},
	}
	got := registry.ValidateTemplate(spec)
	want := []string{
		"spec.metrics[0].successCondition: ",
		"spec.metrics[0].provider.prometheus.query: {{args.missing}} is not declared in spec.args",
		"spec.metrics[1].provider: provider needs exactly one of",
		"spec.metrics[2].provider.job.spec.template.spec.containers: a Job needs at least one container",
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want %q…", i, got[i], want[i])
		}
	}
}
