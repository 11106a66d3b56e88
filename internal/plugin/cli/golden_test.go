package cli_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/view"
)

// update rewrites the golden files: go test ./internal/plugin/cli -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under internal/plugin/testdata/golden")

// golden compares got with testdata/golden/name (or writes it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func at(now time.Time) func() time.Time { return func() time.Time { return now } }

// TestGetGoldenPaused: a release waiting for promotion after a successful analysis step,
// with a background analysis running.
func TestGetGoldenPaused(t *testing.T) {
	r := newRelease(t, "golden-paused")
	now := r.pausedScenario()
	res := invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.code).To(Equal(0), res.String())
	golden(t, "get-paused.txt", r.normalize(res.out))

	// On a terminal: the same tree with colours and symbols.
	res = invocation{now: at(now), terminal: ptr.To(true)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.out).To(ContainSubstring("⏸ Paused"))
	r.G.Expect(res.out).To(ContainSubstring("\x1b["))
	golden(t, "get-paused-terminal.txt", r.normalize(res.out))
	// --no-color wins over the terminal.
	plain := invocation{now: at(now), terminal: ptr.To(true)}.run("-n", r.NS, "get", "rollout", "web", "--no-color")
	r.G.Expect(r.normalize(plain.out)).To(Equal(golden0(t, "get-paused.txt")))

	// -o json is the same picture, for scripts.
	res = invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web", "-o", "json")
	r.G.Expect(res.code).To(Equal(0), res.String())
	var v view.Rollout
	r.G.Expect(json.Unmarshal([]byte(res.out), &v)).To(Succeed())
	r.G.Expect(v.Step).To(Equal("3/5"))
	r.G.Expect(v.Verdict).To(Equal("Paused"))
	r.G.Expect(v.Revisions).To(HaveLen(2))
	r.G.Expect(v.Revisions[0].Role).To(Equal("canary"))
	r.G.Expect(v.Revisions[0].Runs).To(HaveLen(2))
	r.G.Expect(*v.Routes[0].Canary).To(Equal(int32(20)))
	res = invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web", "-o", "yaml")
	r.G.Expect(res.out).To(ContainSubstring("stepAction: pause until promoted"))
}

func golden0(t *testing.T, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name))
	if err != nil && !*update {
		t.Fatal(err)
	}
	return string(data)
}

// TestGetGoldenAborted: an analysis failed; traffic is back on stable, the canary waits to
// scale down.
func TestGetGoldenAborted(t *testing.T) {
	r := newRelease(t, "golden-aborted")
	ro, now := r.unmanagedRollout("web:2", 4, setWeight(20), analysisStepRef(), pause(""))
	r.serve(100, 0, nil)
	r.revisions(ro, 4, 1)
	canary := hashOf("web:2")
	r.analysisRun(ro, "web-"+canary+"-2-1", "step 2/3 (weight 20)", weirv1.AnalysisRunStatus{
		Phase: weirv1.AnalysisFailed, Message: "metric error-rate failed 2 of 3 measurements (failureLimit 1)",
		MetricResults: []weirv1.MetricResult{{Name: "error-rate", Phase: weirv1.AnalysisFailed, Count: 3, Successful: 1, Failed: 2,
			Measurements: append(measurements(now.Add(-40*time.Second), weirv1.AnalysisSuccessful, "0.02"),
				measurements(now.Add(-20*time.Second), weirv1.AnalysisFailed, "0.31", "0.29")...)}},
	})
	abortedAt := metav1.NewTime(now.Add(-15 * time.Second))
	r.setStatus(ro, weirv1.RolloutStatus{
		Strategy: "Canary", Phase: weirv1.PhaseDegraded,
		Message: "aborted: step 2/3: analysis web-" + canary + "-2-1 ended Failed: metric error-rate failed; all traffic on stable; canary scales down in 15s. Retry with 'kubectl weir retry web' or push a new revision",
		Conditions: []metav1.Condition{condition(weirv1.ConditionReady, weirv1.ReasonAnalysisFailed, false, now),
			condition(weirv1.ConditionAborted, weirv1.ReasonAnalysisFailed, true, now)},
		CurrentPodHash: canary, StableRS: hashOf("web:1"), CurrentStepIndex: ptr.To[int32](1),
		Canary:   weights(0, ptr.To[int32](0)),
		Aborted:  &weirv1.AbortInfo{Reason: weirv1.ReasonAnalysisFailed, Message: "analysis failed", At: abortedAt, WeightVerifiedAt: ptr.To(metav1.NewMicroTime(abortedAt.Time))},
		Replicas: 5, UpdatedReplicas: 1, ReadyReplicas: 5, AvailableReplicas: 5,
	})
	res := invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.code).To(Equal(0), res.String())
	golden(t, "get-aborted.txt", r.normalize(res.out))
}

// TestGetGoldenTimedPause: a 30s pause 12s in shows its progress; the route has not been
// accepted by any gateway, so the weight is not verified.
func TestGetGoldenTimedPause(t *testing.T) {
	r := newRelease(t, "golden-timed")
	ro, now := r.unmanagedRollout("web:2", 2, setWeight(50), pause("30s"))
	r.serve(50, 50, map[string]string{noGatewayAnnotation: "true"})
	r.revisions(ro, 2, 1)
	r.setStatus(ro, weirv1.RolloutStatus{
		Strategy: "Canary", Phase: weirv1.PhaseProgressing, Message: "step 2/2: pausing 30s at weight 50 (18s left)",
		Conditions:     []metav1.Condition{condition(weirv1.ConditionReady, weirv1.ReasonStepPause, false, now)},
		CurrentPodHash: hashOf("web:2"), StableRS: hashOf("web:1"), CurrentStepIndex: ptr.To[int32](1),
		StepStartedAt: ptr.To(metav1.NewMicroTime(now.Add(-12 * time.Second))),
		Canary:        weights(50, nil),
		Replicas:      3, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
	})
	res := invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.code).To(Equal(0), res.String())
	r.G.Expect(res.out).To(ContainSubstring("12s of 30s (18s left)"))
	golden(t, "get-timed-pause.txt", r.normalize(res.out))
}

// TestGetGoldenHealthy: the release finished; the old revision is scaled down.
func TestGetGoldenHealthy(t *testing.T) {
	r := newRelease(t, "golden-healthy")
	ro, now := r.unmanagedRollout("web:2", 3, setWeight(50), pause(""))
	r.serve(100, 0, nil)
	r.revisions(ro, 0, 3)
	stable := hashOf("web:2")
	r.setStatus(ro, weirv1.RolloutStatus{
		Strategy: "Canary", Phase: weirv1.PhaseHealthy, Message: "revision " + stable + " serves all traffic with 3 pods",
		Conditions:     []metav1.Condition{condition(weirv1.ConditionReady, weirv1.ReasonHealthy, true, now)},
		CurrentPodHash: stable, StableRS: stable, CurrentStepIndex: ptr.To[int32](2),
		Canary:   weights(0, ptr.To[int32](0)),
		Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
	})
	res := invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.code).To(Equal(0), res.String())
	golden(t, "get-healthy.txt", r.normalize(res.out))

	// The same Rollout through status: Healthy, exit 0.
	st := weir("-n", r.NS, "status", "web")
	r.G.Expect(st.code).To(Equal(0), st.String())
	r.G.Expect(st.out).To(Equal("web  Healthy: revision " + stable + " serves all traffic with 3 pods\n"))
}

// TestGetGoldenBlueGreen: a blue-green preview counting down to its auto-promotion, with the
// pre-promotion analysis done; users are still on the active revision.
func TestGetGoldenBlueGreen(t *testing.T) {
	r := newRelease(t, "golden-bluegreen")
	ro := r.Rollout(2)
	ro.Spec.Template = template("web:2")
	ro.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: &weirv1.BlueGreenStrategy{ActiveService: "web-active", PreviewService: "web-preview",
		AutoPromotionSeconds: 60, PrePromotionAnalysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "smoke"}}}}}
	now := r.unmanaged(ro)
	r.revisions(ro, 2, 2)
	v1, v2 := hashOf("web:1"), hashOf("web:2")
	r.analysisRun(ro, "web-"+v2+"-pre-1", "pre-promotion analysis against the preview", weirv1.AnalysisRunStatus{
		Phase: weirv1.AnalysisSuccessful,
		MetricResults: []weirv1.MetricResult{{Name: "smoke", Phase: weirv1.AnalysisSuccessful, Count: 1, Successful: 1,
			Measurements: measurements(now.Add(-25*time.Second), weirv1.AnalysisSuccessful, "1")}},
	})
	r.setStatus(ro, weirv1.RolloutStatus{
		Strategy: "BlueGreen", Phase: weirv1.PhaseProgressing, Message: "preview " + v2 + " ready; auto-promotion in 45s",
		Conditions:     []metav1.Condition{condition(weirv1.ConditionReady, weirv1.ReasonStepPause, false, now)},
		CurrentPodHash: v2, StableRS: v1, CurrentStepIndex: ptr.To[int32](0),
		BlueGreen: &weirv1.BlueGreenStatus{ActiveSelector: v1, PreviewSelector: v2,
			PreviewAvailableAt: ptr.To(metav1.NewMicroTime(now.Add(-15 * time.Second)))},
		Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4,
	})
	res := invocation{now: at(now)}.run("-n", r.NS, "get", "rollout", "web")
	r.G.Expect(res.code).To(Equal(0), res.String())
	r.G.Expect(res.out).To(ContainSubstring("15s of 1m0s (45s left)"))
	golden(t, "get-bluegreen.txt", r.normalize(res.out))
}
