package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestAnalysisRunsOfAnotherInstallation: this suite's Weir has no --instance-id, so it
// measures only runs without the instance label; a run labelled for another installation
// is left to that installation (issue 14, defect 6).
func TestAnalysisRunsOfAnotherInstallation(t *testing.T) {
	r := newRelease(t)
	g := r.G
	m := weirv1.Metric{Name: "m", SuccessCondition: "result < 1", Provider: fixture.Prometheus(fixture.NoPrometheus, "up")}
	elsewhere := r.startedRun("elsewhere", m)
	elsewhere.Labels = map[string]string{controller.InstanceIDLabel: "elsewhere"}
	r.Create(elsewhere)
	r.Create(r.startedRun("ours", m))

	g.Eventually(func() int { return len(r.run("ours").Status.MetricResults) }, timeout, poll).Should(Equal(1), "this installation's run is measured")
	g.Consistently(func() weirv1.AnalysisRunStatus { return r.run("elsewhere").Status }, 3*time.Second, poll).
		Should(Equal(weirv1.AnalysisRunStatus{}), "another installation's run is never touched")
}
