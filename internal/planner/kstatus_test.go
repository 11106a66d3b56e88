package planner

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestKstatusSaysWhatTheReleaseWaitsFor: generic tools that follow kstatus (Flux, kstatus
// itself; Argo CD has Weir's own health script) read a release that waits on a person or
// on a provider that doesn't answer as Failed with Weir's message, one that goes on by itself
// as InProgress, and a finished one as Current (issue 14, defect 11).
func TestKstatusSaysWhatTheReleaseWaitsFor(t *testing.T) {
	steps := []weirv1.CanaryStep{setWeight(20), analysisStep(), pauseForever()}
	pods := []ReplicaSet{rs("v1", 4), rs("v2", 1)}
	cases := []struct {
		name string
		w    world
		want status.Status
	}{
		{"healthy", world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
			rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)}, status.CurrentStatus},
		{"analysis measuring", world{replicas: 4, current: "v2", steps: steps, status: releasing(1, stepRun("web-v2-2-1")), rs: pods, canarySv: "v2", weights: w(80, 20),
			runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisRunning}}}, status.InProgressStatus},
		{"Prometheus not answering", world{replicas: 4, current: "v2", steps: steps, status: releasing(1, stepRun("web-v2-2-1")), rs: pods, canarySv: "v2", weights: w(80, 20),
			runs: map[string]AnalysisRun{"web-v2-2-1": {Phase: weirv1.AnalysisRunning, Waiting: "error-rate: waiting for prometheus at http://p:9090"}}}, status.FailedStatus},
		{"waiting for promotion", world{replicas: 4, current: "v2", steps: steps, status: releasing(2), rs: pods, canarySv: "v2", weights: w(80, 20)}, status.FailedStatus},
		{"paused by an operator", world{replicas: 4, current: "v2", steps: steps, status: releasing(0, operatorPaused), rs: pods, canarySv: "v2", weights: w(80, 20)}, status.FailedStatus},
		{"aborted", world{replicas: 4, current: "v2", steps: steps, status: releasing(1, aborted(ptr.To(t0))), rs: pods, canarySv: "v2", weights: w(100, 0)}, status.FailedStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.w.input()
			p := Decide(in)
			ro := in.Rollout.DeepCopy()
			ro.Status = p.Status
			raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{Object: raw}
			u.SetAPIVersion("rollouts.weir.dev/v1alpha1")
			u.SetKind("Rollout")
			res, err := status.Compute(u)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Errorf("kstatus %s (%s), want %s; Weir says %q", res.Status, res.Message, tc.want, p.Status.Message)
			}
			if tc.want == status.FailedStatus && res.Message != p.Status.Message {
				t.Errorf("kstatus message %q, want Weir's %q", res.Message, p.Status.Message)
			}
		})
	}
}
