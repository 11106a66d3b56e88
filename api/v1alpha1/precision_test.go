package v1alpha1_test

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// at has a sub-second part that metav1.Time would round away.
var at = time.Date(2026, 11, 27, 12, 0, 0, 900_000_000, time.UTC)

// TestDelayStartsKeepSubSeconds: pauses, abort and auto-promotion delays are counted from
// times stored in status; rounded to the second (metav1.Time) a 1 s pause could end almost
// at once after a round trip through the API server.
func TestDelayStartsKeepSubSeconds(t *testing.T) {
	out := roundTrip(t, weirv1.RolloutStatus{
		StepStartedAt: &metav1.MicroTime{Time: at},
		Aborted:       &weirv1.AbortInfo{Reason: "x", WeightVerifiedAt: &metav1.MicroTime{Time: at}},
		BlueGreen:     &weirv1.BlueGreenStatus{PreviewAvailableAt: &metav1.MicroTime{Time: at}},
	})
	keptExactly(t, map[string]time.Time{"stepStartedAt": out.StepStartedAt.Time,
		"aborted.weightVerifiedAt": out.Aborted.WeightVerifiedAt.Time, "blueGreen.previewAvailableAt": out.BlueGreen.PreviewAvailableAt.Time})
}

// TestMeasurementTimesKeepSubSeconds: the next measurement is due interval after the last
// one's startedAt, and initialDelay counts from the run's startedAt; rounded to the second,
// a 1 s interval could fire again almost at once.
func TestMeasurementTimesKeepSubSeconds(t *testing.T) {
	out := roundTrip(t, weirv1.AnalysisRunStatus{
		StartedAt: &metav1.MicroTime{Time: at},
		MetricResults: []weirv1.MetricResult{{Name: "m", Measurements: []weirv1.Measurement{
			{Phase: weirv1.AnalysisSuccessful, StartedAt: metav1.NewMicroTime(at), FinishedAt: &metav1.MicroTime{Time: at}}}}},
	})
	m := out.MetricResults[0].Measurements[0]
	keptExactly(t, map[string]time.Time{"startedAt": out.StartedAt.Time,
		"measurements[0].startedAt": m.StartedAt.Time, "measurements[0].finishedAt": m.FinishedAt.Time})
}

// roundTrip is what the API server does to a status: JSON out and back.
func roundTrip[T any](t *testing.T, in T) T {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func keptExactly(t *testing.T, fields map[string]time.Time) {
	t.Helper()
	for name, got := range fields {
		if !got.Equal(at) {
			t.Errorf("%s came back as %s, want %s", name, got, at)
		}
	}
}
