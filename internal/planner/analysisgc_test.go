package planner

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestAnalysisRunHistoryLimit: finished runs beyond the limit go, oldest first; a run the
// release needs or its status names never does (issue 14, defect 9).
func TestAnalysisRunHistoryLimit(t *testing.T) {
	runs := map[string]AnalysisRun{}
	for i := 1; i <= 6; i++ {
		runs[fmt.Sprintf("web-old%d-2-1", i)] = AnalysisRun{Phase: weirv1.AnalysisSuccessful, Created: t0.Add(time.Duration(i-10) * time.Hour)}
	}
	runs["web-old0-2-1"] = AnalysisRun{Phase: weirv1.AnalysisRunning, Terminated: true, Created: t0.Add(-20 * time.Hour)}
	runs["web-v2-2-1"] = AnalysisRun{Phase: weirv1.AnalysisError, Created: t0.Add(-30 * time.Hour)} // the step's first attempt: named in status
	runs["web-v2-2-2"] = AnalysisRun{Phase: weirv1.AnalysisRunning, Created: t0.Add(-time.Minute)}
	steps := []weirv1.CanaryStep{setWeight(20), analysisStep()}
	limit := func(n int32) func(*weirv1.Rollout) {
		return func(ro *weirv1.Rollout) { ro.Spec.AnalysisRunHistoryLimit = ptr.To(n) }
	}
	cases := []struct {
		name   string
		limit  func(*weirv1.Rollout)
		status weirv1.RolloutStatus
		want   []string
	}{
		{"default 10: nothing to delete", nil, releasing(1, stepRun("web-v2-2-2")), nil},
		{"limit 3: the oldest finished go, the wanted run stays", limit(3), releasing(1, stepRun("web-v2-2-2")),
			[]string{"web-v2-2-1", "web-old0-2-1", "web-old1-2-1", "web-old2-2-1", "web-old3-2-1"}},
		{"limit 0: a run the status names stays, and one still running", limit(0), releasing(1, stepRun("web-v2-2-1"), func(s *weirv1.RolloutStatus) {
			s.Paused = &weirv1.PauseInfo{Reason: weirv1.ReasonAnalysisError}
		}), []string{"web-old0-2-1", "web-old1-2-1", "web-old2-2-1", "web-old3-2-1", "web-old4-2-1", "web-old5-2-1", "web-old6-2-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(world{replicas: 4, current: "v2", steps: steps, status: tc.status, rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)},
				canarySv: "v2", weights: w(80, 20), runs: runs, mutate: tc.limit}.input())
			if diff := cmp.Diff(tc.want, p.DeleteAnalysisRuns); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
		})
	}
}
