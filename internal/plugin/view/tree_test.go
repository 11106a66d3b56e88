package view

import (
	"strings"
	"testing"
	"time"
)

// An old revision kept up after a release says when it goes; once scaled down it doesn't.
func TestTreeShowsScaleDownTime(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := now.Add(25 * time.Second)
	v := &Rollout{Name: "web", Now: now, Revisions: []Revision{
		{Number: 2, Name: "web-new", Role: "stable", Desired: 2, Ready: 2, Created: now},
		{Number: 1, Name: "web-old", Desired: 2, Ready: 2, Created: now.Add(-time.Hour), ScaleDownAt: &at},
	}}
	var b strings.Builder
	if err := WriteTree(&b, v, Style{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "web-old  2/2 ready") || !strings.Contains(b.String(), "scales down in 25s") {
		t.Errorf("old revision line lacks its scale-down time:\n%s", b.String())
	}
	v.Revisions[1].Desired, v.Revisions[1].Ready = 0, 0
	b.Reset()
	if err := WriteTree(&b, v, Style{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "scales down in") {
		t.Errorf("scaled-down revision still announces a scale-down:\n%s", b.String())
	}
}

// The policies that select a Rollout are in the header with each rule's evidence and an
// override.
func TestTreeShowsPolicyEvidence(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	v := &Rollout{Name: "backend", Now: now, Step: "-", Policy: &Policy{
		Policies: []string{"release-rules"},
		Evidence: []string{"policy release-rules: blog-staging/backend has run demoapp:v4 Healthy for 1h12m0s (soak 1h0m0s)"},
		Override: "revision 7c9d let through by alice at 2026-11-27T11:00:00Z: hotfix INC-42",
	}}
	var b strings.Builder
	if err := WriteTree(&b, v, Style{}); err != nil {
		t.Fatal(err)
	}
	want := "Policies:   release-rules\n" +
		"            · policy release-rules: blog-staging/backend has run demoapp:v4 Healthy for 1h12m0s (soak 1h0m0s)\n" +
		"Override:   revision 7c9d let through by alice at 2026-11-27T11:00:00Z: hotfix INC-42\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("header lacks the policy lines %q:\n%s", want, b.String())
	}
}
