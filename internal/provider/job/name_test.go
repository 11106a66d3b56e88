package job

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestJobName(t *testing.T) {
	if got := JobName("web-6d4f-2-1", "smoke", 3); got != "web-6d4f-2-1-smoke-3" {
		t.Errorf("short name %q", got)
	}
	if got := JobName("web-6d4f-2-1", "Smoke_Test v2", 1); got != "web-6d4f-2-1-smoke-test-v2-1" {
		t.Errorf("a metric name with characters no object name allows: %q", got)
	}
	long := strings.Repeat("checkout-service-", 4)
	a, b := JobName(long+"a", "smoke-test", 12), JobName(long+"b", "smoke-test", 12)
	if len(a) > 63 || a == b || !strings.HasSuffix(a, "-12-"+a[len(a)-8:]) {
		t.Errorf("long names %q and %q", a, b)
	}
}

// TestArgumentsStayStrings: a value with quotes and newlines can't break out of the string
// it is placed in.
func TestArgumentsStayStrings(t *testing.T) {
	spec := batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "smoke", Image: "smoke:1", Args: []string{"--target={{args.target}}"}}}}}}
	evil := "x\", \"--admin\nrm -rf /"
	out, err := renderSpec(spec, map[string]string{"target": evil})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Template.Spec.Containers[0].Args; len(got) != 1 || got[0] != "--target="+evil {
		t.Errorf("args %q", got)
	}
	if _, err := renderSpec(spec, nil); err == nil || !strings.Contains(err.Error(), "{{args.target}}") {
		t.Errorf("missing argument: %v", err)
	}
}
