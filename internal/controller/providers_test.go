package controller_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// statusEndpoint is a service's own status API, as a web metric reads it: it answers
// {"errorRate": r} only to requests carrying its token.
type statusEndpoint struct {
	URL       string
	errorRate atomic.Value // string, a JSON number
	requests  atomic.Int64
}

func startStatusEndpoint(t *testing.T, token string) *statusEndpoint {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &statusEndpoint{URL: "http://" + ln.Addr().String()}
	s.errorRate.Store("0")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"error": "unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("service") != "web-canary" {
			http.Error(w, `{"error": "unknown service"}`, http.StatusNotFound)
			return
		}
		s.requests.Add(1)
		_, _ = io.WriteString(w, `{"data": {"errorRate": `+s.errorRate.Load().(string)+`}}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func templateStep(name string, args ...weirv1.AnalysisRunArgument) weirv1.CanaryStep {
	return weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{
		Templates: []weirv1.AnalysisTemplateRef{{TemplateName: name}}, Args: args}}
}

// TestWebProviderPromotesAndAborts: a web metric reads the canary's error rate from a real
// HTTP endpoint with a token from a Secret. At 0 the release completes; at 0.3 the next
// release aborts by itself, traffic back to stable.
func TestWebProviderPromotesAndAborts(t *testing.T) {
	r := newRelease(t)
	g := r.G
	status := startStatusEndpoint(t, "t0ken")
	r.Services()
	r.route(nil)
	g.Expect(k8s.Create(r.Ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "status-api", Namespace: r.NS},
		Data:       map[string][]byte{"token": []byte("Bearer t0ken")},
	})).To(Succeed())
	g.Expect(k8s.Create(r.Ctx, &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "status-api", Namespace: r.NS},
		Spec: weirv1.AnalysisTemplateSpec{
			Args: []weirv1.Argument{{Name: "service"}},
			Metrics: []weirv1.Metric{{
				Name: "error-rate", MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](3)},
				SuccessCondition: "result < 0.05", FailureCondition: "result >= 0.05",
				Provider: weirv1.MetricProvider{Web: &weirv1.WebProvider{
					URL:      status.URL + "/api/status?service={{args.service}}",
					JSONPath: "{$.data.errorRate}",
					Headers: []weirv1.WebHeader{{Name: "Authorization", ValueFrom: &weirv1.WebHeaderSource{
						SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "status-api"}, Key: "token"}}}},
				}},
			}},
		},
	})).To(Succeed())
	step := templateStep("status-api", weirv1.AnalysisRunArgument{Name: "service", Value: ptr.To("web-canary")})
	r.healthy(r.Rollout(2, setWeight(20), step))

	run := r.promotedRun("web:2")
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
	g.Expect(run.Status.MetricResults[0].Successful).To(Equal(int32(3)))
	g.Expect(run.Status.MetricResults[0].Measurements[0].Value).To(Equal("0"))
	g.Expect(status.requests.Load()).To(BeNumerically(">=", 3))

	status.errorRate.Store("0.3")
	r.setImage("web:3")
	g.Eventually(r.abortedReason, timeout, poll).Should(Equal(weirv1.ReasonAnalysisFailed), func() string { return describe(r.Get()) })
	g.Expect(r.Get().Status.Aborted.Message).To(And(ContainSubstring("error-rate"), ContainSubstring("result >= 0.05")))
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{100, 0}))
	failed := r.run(fmt.Sprintf("web-%s-2-1", r.Get().Status.CurrentPodHash))
	g.Expect(failed.Status.Phase).To(Equal(weirv1.AnalysisFailed))
	last := failed.Status.MetricResults[0].Measurements
	g.Expect(last[len(last)-1].Value).To(Equal("0.3"))
}

// smokeTest is an AnalysisTemplate that runs a Job per measurement; failing makes its pods
// fail (kwok's chaos stage: test infrastructure standing in for a container that exits 1).
func (r *release) smokeTest(failing bool) {
	labels := map[string]string{"app": "smoke"}
	if failing {
		labels["pod-container-running-failed.stage.kwok.x-k8s.io"] = "true"
	}
	spec := weirv1.AnalysisTemplateSpec{
		Args: []weirv1.Argument{{Name: "target"}},
		Metrics: []weirv1.Metric{{
			Name: "smoke",
			Provider: weirv1.MetricProvider{Job: &weirv1.JobProvider{
				Metadata: weirv1.JobMetadata{Labels: map[string]string{"team": "blog"}},
				Spec: batchv1.JobSpec{
					BackoffLimit: ptr.To[int32](0),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{
							Name: "smoke", Image: "smoke:1", Args: []string{"--target={{args.target}}"},
						}}},
					},
				},
			}},
		}},
	}
	var tmpl weirv1.AnalysisTemplate
	if err := k8s.Get(r.Ctx, clientKey(r.NS, "smoke"), &tmpl); err != nil {
		r.G.Expect(k8s.Create(r.Ctx, &weirv1.AnalysisTemplate{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: r.NS}, Spec: spec})).To(Succeed())
		return
	}
	r.G.Eventually(func() error {
		r.G.Expect(k8s.Get(r.Ctx, clientKey(r.NS, "smoke"), &tmpl)).To(Succeed())
		tmpl.Spec = spec
		return k8s.Update(r.Ctx, &tmpl)
	}, timeout, poll).Should(Succeed())
}

// TestJobProviderPromotesAndAborts: a job metric runs a real Job through
// kube-controller-manager. A Job that succeeds promotes the release; one whose pod fails
// aborts the next release by itself. Each Job is owned by its run, named after it, carries
// the template's labels and the rendered argument.
func TestJobProviderPromotesAndAborts(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.smokeTest(false)
	step := templateStep("smoke", weirv1.AnalysisRunArgument{Name: "target", Value: ptr.To("http://web-canary")})
	r.healthyWith(2, setWeight(20), step)

	run := r.promotedRun("web:2")
	runName := run.Name
	g.Expect(run.Status.Phase).To(Equal(weirv1.AnalysisSuccessful), run.Status.Message)
	m := run.Status.MetricResults[0]
	g.Expect(m.Successful).To(Equal(int32(1)))
	g.Expect(m.Measurements[0].Message).To(HavePrefix("Job " + runName + "-smoke-1 succeeded"))

	var job batchv1.Job
	g.Expect(k8s.Get(r.Ctx, clientKey(r.NS, runName+"-smoke-1"), &job)).To(Succeed())
	g.Expect(metav1.IsControlledBy(&job, run)).To(BeTrue(), "owned by its run")
	g.Expect(job.Labels).To(And(HaveKeyWithValue("team", "blog"), HaveKeyWithValue(weirv1.MeasurementRunLabel, runName)))
	g.Expect(job.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"--target=http://web-canary"}))
	g.Expect(m.Measurements[0].StartedAt.Time).To(BeTemporally("~", job.CreationTimestamp.Time, 1e9), "measured from the Job's creation")

	r.smokeTest(true)
	r.setImage("web:3")
	g.Eventually(r.abortedReason, timeout, poll).Should(Equal(weirv1.ReasonAnalysisFailed), func() string { return describe(r.Get()) })
	g.Expect(r.Get().Status.Aborted.Message).To(ContainSubstring("smoke"))
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{100, 0}))
	failedName := fmt.Sprintf("web-%s-2-1", r.Get().Status.CurrentPodHash)
	failed := r.run(failedName)
	g.Expect(failed.Status.Phase).To(Equal(weirv1.AnalysisFailed))
	g.Expect(failed.Status.MetricResults[0].Measurements[0].Message).To(ContainSubstring("Job " + failedName + "-smoke-1 failed"))

	// Jobs go with their run.
	g.Expect(k8s.Delete(r.Ctx, run)).To(Succeed())
	g.Eventually(func() int {
		var jobs batchv1.JobList
		g.Expect(k8s.List(r.Ctx, &jobs, client.InNamespace(r.NS), client.MatchingLabels{weirv1.MeasurementRunLabel: runName})).To(Succeed())
		return len(jobs.Items)
	}, timeout, poll).Should(BeZero())
}
