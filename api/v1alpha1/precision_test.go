package v1alpha1_test

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestDelayStartsKeepSubSeconds: pauses, abort and auto-promotion delays are counted from
// times stored in status; rounded to the second (metav1.Time) a 1 s pause could end almost
// at once after a round trip through the API server.
func TestDelayStartsKeepSubSeconds(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 900_000_000, time.UTC)
	in := weirv1.RolloutStatus{
		StepStartedAt: &metav1.MicroTime{Time: at},
		Aborted:       &weirv1.AbortInfo{Reason: "x", WeightVerifiedAt: &metav1.MicroTime{Time: at}},
		BlueGreen:     &weirv1.BlueGreenStatus{PreviewAvailableAt: &metav1.MicroTime{Time: at}},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out weirv1.RolloutStatus
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]time.Time{"stepStartedAt": out.StepStartedAt.Time,
		"aborted.weightVerifiedAt": out.Aborted.WeightVerifiedAt.Time, "blueGreen.previewAvailableAt": out.BlueGreen.PreviewAvailableAt.Time} {
		if !got.Equal(at) {
			t.Errorf("%s came back as %s, want %s", name, got, at)
		}
	}
}

// TestMeasurementTimesKeepSubSeconds: the next measurement is due interval after the last
// one's startedAt, and initialDelay counts from the run's startedAt; rounded to the second,
// a 1 s interval could fire again almost at once.
func TestMeasurementTimesKeepSubSeconds(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 900_000_000, time.UTC)
	in := weirv1.AnalysisRunStatus{
		StartedAt: &metav1.MicroTime{Time: at},
		MetricResults: []weirv1.MetricResult{{Name: "m", Measurements: []weirv1.Measurement{
			{Phase: weirv1.AnalysisSuccessful, StartedAt: metav1.NewMicroTime(at), FinishedAt: &metav1.MicroTime{Time: at}}}}},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out weirv1.AnalysisRunStatus
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	m := out.MetricResults[0].Measurements[0]
	for name, got := range map[string]time.Time{"startedAt": out.StartedAt.Time,
		"measurements[0].startedAt": m.StartedAt.Time, "measurements[0].finishedAt": m.FinishedAt.Time} {
		if !got.Equal(at) {
			t.Errorf("%s came back as %s, want %s", name, got, at)
		}
	}
}
