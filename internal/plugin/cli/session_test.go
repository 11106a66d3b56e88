package cli_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// session writes the transcript of TestReleaseSession to a file, for docs/plugin.md:
// go test ./internal/plugin/cli -run ReleaseSession -session /tmp/session.txt
var session = flag.String("session", "", "write the release session's transcript to this file")

// fakePrometheus answers every instant query with one sample: enough for the controller's
// analysis to take real measurements without a Prometheus server.
func fakePrometheus(t *testing.T, value string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`,
			time.Now().Unix(), value)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// transcript records commands and what they printed, as a terminal would show them.
type transcript struct {
	strings.Builder
}

func (tr *transcript) run(r *release, args ...string) result {
	res := weir(append([]string{"-n", r.NS}, args...)...)
	fmt.Fprintf(tr, "$ kubectl weir %s\n%s%s", strings.Join(args, " "), r.normalize(res.out), r.normalize(res.err))
	if res.code != 0 {
		fmt.Fprintf(tr, "(exit status %d)\n", res.code)
	}
	tr.WriteString("\n")
	return res
}

// TestReleaseSession is a release as a person runs it: list, set image, wait for the pause
// with status --watch, look at the tree (a real analysis with measurements), promote,
// abort, and a promote that is refused. It asserts the story and can save its transcript.
func TestReleaseSession(t *testing.T) {
	r := newRelease(t, "shop")
	g := r.G
	prom := fakePrometheus(t, "0.012")
	g.Expect(k8s.Create(r.Ctx, &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: r.NS},
		Spec: weirv1.AnalysisTemplateSpec{Metrics: []weirv1.Metric{{
			Name: "error-rate", MetricSettings: weirv1.MetricSettings{Interval: "1s", Count: ptr.To[int32](3)},
			SuccessCondition: "result < 0.05", FailureCondition: "result >= 0.05",
			Provider: fixture.Prometheus(prom,
				`sum(rate(http_requests_total{service="web-canary",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="web-canary"}[1m]))`),
		}}},
	})).To(Succeed())
	r.managed(4, setWeight(20), analysisStepRef(), pause(""), setWeight(50), pause(""))

	var tr transcript
	g.Expect(tr.run(r, "list", "rollouts").out).To(ContainSubstring("Healthy"))
	tr.run(r, "set", "image", "web", "web=registry.example/web:1.1.0")
	g.Expect(tr.run(r, "status", "web", "--watch").code).To(Equal(2))
	tree := tr.run(r, "get", "rollout", "web")
	g.Expect(tree.out).To(ContainSubstring("metric error-rate  Successful  3 measured, 3 successful, 0 failed"))
	// A second terminal follows the promotion with get --watch.
	w := r.watch(false)
	g.Eventually(w.out.String, timeout, poll).Should(ContainSubstring("Phase:      Paused"))
	g.Expect(tr.run(r, "promote", "web").out).To(ContainSubstring("next: step 3/5 (pause until promoted) → step 4/5 (setWeight 50)"))
	g.Expect(tr.run(r, "status", "web", "--watch").out).To(ContainSubstring("step 5/5  weight 50/50"))
	g.Eventually(w.lastFrame, timeout, poll).Should(ContainSubstring("Step:       5/5"))
	w.stop()
	g.Expect((<-w.done).code).To(Equal(0))
	g.Expect(tr.run(r, "abort", "web").code).To(Equal(0))
	g.Expect(tr.run(r, "status", "web", "--watch").code).To(Equal(1))
	// Once the gateway has taken the weights back: the tree after the abort.
	g.Eventually(func() string { return weir("-n", r.NS, "get", "rollout", "web").out }, timeout, poll).
		Should(ContainSubstring("HTTPRoute web  stable 100 / canary 0  Accepted"))
	tr.run(r, "get", "rollout", "web")
	g.Expect(tr.run(r, "promote", "web").code).To(Equal(1))
	if *session != "" {
		g.Expect(os.WriteFile(*session, []byte(tr.String()), 0o644)).To(Succeed())
		g.Expect(os.WriteFile(*session+".watch", []byte(r.normalize(w.out.String())), 0o644)).To(Succeed())
	}
}
