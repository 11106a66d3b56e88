package controller_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv"
)

// TestJudgeUsesTheSecretsToken: a judge metric whose Prometheus wants a bearer token and a
// tenant header gets both, the token read from a Secret of the run's namespace (issue 14,
// defect 3: the judge was queried with no credentials).
func TestJudgeUsesTheSecretsToken(t *testing.T) {
	r := newRelease(t)
	g := r.G
	tr := startTraffic(t, 0)
	guard, err := testenv.StartGuard(tr.prom.URL, map[string]string{"Authorization": "Bearer tok-123", "X-Scope-OrgID": "team-a"}, false)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(guard.Close)
	g.Expect(k8s.Create(r.Ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "prom-token", Namespace: r.NS},
		Data: map[string][]byte{"token": []byte("tok-123")}})).To(Succeed())
	r.Create(r.startedRun("judge", weirv1.Metric{
		Name: "latency", OnNoData: weirv1.NoDataWait, MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](1)},
		Provider: weirv1.MetricProvider{Judge: &weirv1.JudgeProvider{
			Prometheus: weirv1.PrometheusEndpoint{Address: guard.URL, Timeout: "5s",
				Headers: []weirv1.HTTPHeader{{Name: "X-Scope-OrgID", Value: "team-a"}},
				Auth: &weirv1.PrometheusAuth{BearerTokenSecret: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "prom-token"}, Key: "token"}}},
			CanaryQuery:   `sum(rate(http_requests_total{service="canary"}[5s]))`,
			BaselineQuery: `sum(rate(http_requests_total{service="canary"}[5s]))`,
			Window:        "10s", Step: "1s", MinSamples: ptr.To[int32](3),
		}},
	}))
	var first weirv1.Measurement
	g.Eventually(func() bool {
		got := r.run("judge")
		if len(got.Status.MetricResults) == 0 || len(got.Status.MetricResults[0].Measurements) == 0 {
			return false
		}
		first = got.Status.MetricResults[0].Measurements[0]
		return true
	}, timeout, poll).Should(BeTrue())
	g.Expect(first.Phase).NotTo(Equal(weirv1.AnalysisError), "the query got through: %s", first.Message)
	g.Expect(strings.Contains(first.Message, "401")).To(BeFalse(), first.Message)
}
