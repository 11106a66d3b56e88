package cli_test

import (
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// Scenarios are Rollouts the controller doesn't see (unmanagedLabel): the test writes their
// status, ReplicaSets and AnalysisRuns by hand, as the controller would have, so the
// picture is exact and stays still.

// ageOffset puts the test clock just past an hour after the Rollout's creation: every
// object made within the next half minute is "60m" old, whatever the machine's speed.
const ageOffset = 60*time.Minute + 20*time.Second

// unmanagedRollout creates a Rollout at image and returns it with the test clock.
func (r *release) unmanagedRollout(image string, replicas int32, steps ...weirv1.CanaryStep) (*weirv1.Rollout, time.Time) {
	ro := r.Rollout(replicas, steps...)
	ro.Spec.Template = template(image)
	return ro, r.unmanaged(ro)
}

// unmanaged creates ro out of the controller's sight and returns the test clock.
func (r *release) unmanaged(ro *weirv1.Rollout) time.Time {
	ro.Labels = map[string]string{unmanagedLabel: "true"}
	r.Create(ro)
	return ro.CreationTimestamp.Add(ageOffset)
}

// revisionRS creates the ReplicaSet of image as revision n of ro and, when it has
// replicas, waits until kube-controller-manager and kwok made them Ready.
func (r *release) revisionRS(ro *weirv1.Rollout, image string, n int, replicas int32) *appsv1.ReplicaSet {
	rs := revisionSet(ro, template(image), n, replicas)
	r.G.Expect(controllerutil.SetControllerReference(ro, rs, k8s.Scheme())).To(Succeed())
	r.G.Expect(k8s.Create(r.Ctx, rs)).To(Succeed())
	r.G.Eventually(func() int32 {
		var got appsv1.ReplicaSet
		r.G.Expect(k8s.Get(r.Ctx, client.ObjectKeyFromObject(rs), &got)).To(Succeed())
		if got.Status.ObservedGeneration != got.Generation {
			return -1
		}
		return got.Status.ReadyReplicas
	}, timeout, poll).Should(Equal(replicas))
	return rs
}

// revisions creates the ReplicaSets of web:1 as revision 1 and web:2 as revision 2 of ro,
// of v1 and v2 pods (see revisionRS).
func (r *release) revisions(ro *weirv1.Rollout, v1, v2 int32) {
	r.revisionRS(ro, "web:1", 1, v1)
	r.revisionRS(ro, "web:2", 2, v2)
}

// setStatus writes ro's status as the controller would have.
func (r *release) setStatus(ro *weirv1.Rollout, st weirv1.RolloutStatus) {
	r.G.Eventually(func() error {
		var cur weirv1.Rollout
		if err := k8s.Get(r.Ctx, client.ObjectKeyFromObject(ro), &cur); err != nil {
			return err
		}
		st.ObservedGeneration = cur.Generation
		cur.Status = st
		return k8s.Status().Update(r.Ctx, &cur)
	}, timeout, poll).Should(Succeed())
}

// unmanagedRun is an AnalysisRun of ro's with the metrics, out of the controller's sight.
func unmanagedRun(ro *weirv1.Rollout, name string, metrics ...weirv1.Metric) *weirv1.AnalysisRun {
	return &weirv1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ro.Namespace,
			Labels: map[string]string{kube.RolloutLabel: ro.Name, unmanagedLabel: "true"}},
		Spec: weirv1.AnalysisRunSpec{Metrics: metrics},
	}
}

// analysisRun creates an AnalysisRun owned by ro with the given status.
func (r *release) analysisRun(ro *weirv1.Rollout, name, where string, st weirv1.AnalysisRunStatus) {
	run := unmanagedRun(ro, name, weirv1.Metric{Name: "m", SuccessCondition: "result < 1", Provider: fixture.Prometheus(fixture.NoPrometheus, "up")})
	run.Annotations = map[string]string{"rollouts.weir.dev/step": where}
	r.G.Expect(controllerutil.SetControllerReference(ro, run, k8s.Scheme())).To(Succeed())
	r.G.Expect(k8s.Create(r.Ctx, run)).To(Succeed())
	run.Status = st
	r.G.Expect(k8s.Status().Update(r.Ctx, run)).To(Succeed())
}

// measurements makes n measurements of value ending at end, 10s apart.
func measurements(end time.Time, phase weirv1.AnalysisPhase, values ...string) []weirv1.Measurement {
	var out []weirv1.Measurement
	for i, v := range values {
		at := metav1.NewMicroTime(end.Add(-time.Duration(len(values)-1-i) * 10 * time.Second))
		out = append(out, weirv1.Measurement{Phase: phase, Value: v, StartedAt: at, FinishedAt: &at})
	}
	return out
}

func condition(t, reason string, ok bool, now time.Time) metav1.Condition {
	s := metav1.ConditionFalse
	if ok {
		s = metav1.ConditionTrue
	}
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason, LastTransitionTime: metav1.NewTime(now)}
}

func weights(desired int32, verified *int32) *weirv1.CanaryStatus {
	w := &weirv1.Weights{Desired: weirv1.WeightPair{Stable: 100 - desired, Canary: desired}}
	if verified != nil {
		w.Verified = &weirv1.WeightPair{Stable: 100 - *verified, Canary: *verified}
	}
	return &weirv1.CanaryStatus{Weights: w}
}

// pausedScenario is a release of web:2 waiting at step 3/5 (pause until promoted) after a
// successful analysis, with a background analysis running.
func (r *release) pausedScenario() time.Time {
	ro, now := r.unmanagedRollout("web:2", 4, setWeight(20), analysisStepRef(), pause(""), setWeight(50), pause(""))
	r.serve(80, 20, nil)
	r.revisions(ro, 4, 1)
	canary := hashOf("web:2")
	r.analysisRun(ro, "web-"+canary+"-2-1", "step 2/5 (weight 20)", weirv1.AnalysisRunStatus{
		Phase: weirv1.AnalysisSuccessful, Message: "all metrics successful",
		MetricResults: []weirv1.MetricResult{{Name: "error-rate", Phase: weirv1.AnalysisSuccessful, Count: 4, Successful: 4,
			Measurements: measurements(now.Add(-50*time.Second), weirv1.AnalysisSuccessful, "0.011", "0.012", "0.009", "0.010")}},
	})
	r.analysisRun(ro, "web-"+canary+"-background-1", "background analysis from step 1", weirv1.AnalysisRunStatus{
		Phase: weirv1.AnalysisRunning,
		MetricResults: []weirv1.MetricResult{{Name: "latency-p99", Phase: weirv1.AnalysisRunning, Count: 1, Successful: 1,
			Measurements: measurements(now.Add(-5*time.Second), weirv1.AnalysisSuccessful, "0.21")}},
	})
	msg := "step 3/5: paused at weight 20 until promoted (kubectl weir promote web)"
	r.setStatus(ro, weirv1.RolloutStatus{
		Strategy: "Canary", Phase: weirv1.PhasePaused, Message: msg,
		Conditions:     []metav1.Condition{condition(weirv1.ConditionReady, weirv1.ReasonWaitingForPromotion, false, now)},
		CurrentPodHash: canary, StableRS: hashOf("web:1"), CurrentStepIndex: ptr.To[int32](2),
		StepStartedAt: ptr.To(metav1.NewMicroTime(now.Add(-40 * time.Second))),
		Canary:        weights(20, ptr.To[int32](20)),
		Replicas:      5, UpdatedReplicas: 1, ReadyReplicas: 5, AvailableReplicas: 5,
	})
	r.Get() // the status is stored
	r.G.Expect(r.Get().Status.Canary.Weights.Desired.Canary).To(Equal(int32(20)))
	return now
}

func analysisStepRef() weirv1.CanaryStep {
	return weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}}
}
