package packaging

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/scheme"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestControllerWorksWithTheChartsRBAC runs a second Weir as the chart's ServiceAccount,
// with exactly the chart's ClusterRole (the admin in-process Weir of this package never sees
// its Rollout: another instance id), and releases a canary whose analysis reads a Secret
// (a web header) and runs a Job. Anything Weir reads or writes that the chart doesn't grant
// (a Secret read through a watch when the chart allows get only, Jobs, GRPCRoutes) fails
// the release here rather than in a user's cluster.
func TestControllerWorksWithTheChartsRBAC(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	c := clientWith(t, weirNamespace)
	chart := renderWeir(t, nil)
	var rbac []*unstructured.Unstructured
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding"} {
		rbac = append(rbac, chart.ofKind(kind)...)
	}
	g.Expect(apply(ctx, c, weirNamespace, "helm", rbac)).To(Succeed())
	sa := chart.ofKind("ServiceAccount")[0].GetName()

	const instance = "chart-rbac"
	cfg := rest.CopyConfig(controlPlane(t).Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + weirNamespace + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + weirNamespace, "system:authenticated"}}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Cache:                  controller.CacheOptionsFor(controller.Scope{InstanceID: instance}),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// A second set of Weir's controllers in this process (the first is the package's).
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(controller.SetupWith(mgr, controller.Options{})).To(Succeed())
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = mgr.Start(mctx) }()

	// The service's status API, answering only with the token from the Secret.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"errorRate": 0}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	const ns = "chart-rbac"
	ensureNamespace(t, c, ns)
	for _, obj := range fixture.Services(ns, "web") {
		g.Expect(c.Create(ctx, obj)).To(Succeed())
	}
	g.Expect(c.Create(ctx, fixture.Route(ns, "web", 100, 0))).To(Succeed())
	g.Expect(c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "status-api", Namespace: ns},
		Data: map[string][]byte{"token": []byte("Bearer s3cret")}})).To(Succeed())
	g.Expect(c.Create(ctx, &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "checks", Namespace: ns},
		Spec: weirv1.AnalysisTemplateSpec{Metrics: []weirv1.Metric{
			{Name: "error-rate", SuccessCondition: "result < 0.05", Provider: weirv1.MetricProvider{Web: &weirv1.WebProvider{
				URL: "http://" + ln.Addr().String() + "/status", JSONPath: "{.errorRate}",
				Headers: []weirv1.WebHeader{{Name: "Authorization", ValueFrom: &weirv1.WebHeaderSource{SecretKeyRef: corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "status-api"}, Key: "token"}}}},
			}}},
			{Name: "smoke", Provider: weirv1.MetricProvider{Job: &weirv1.JobProvider{Spec: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](0),
				Template:     corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "smoke", Image: "smoke:1"}}}},
			}}}},
		}},
	})).To(Succeed())
	ro := fixture.CanaryRollout(ns, "web", 2, "web:1", fixture.SetWeight(50),
		weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "checks"}}}})
	ro.Labels = map[string]string{controller.InstanceIDLabel: instance}
	g.Expect(c.Create(ctx, ro)).To(Succeed())

	healthy := func() string {
		var got weirv1.Rollout
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(ro), &got)).To(Succeed())
		if got.Status.ObservedGeneration != got.Generation || got.Status.StableRS != got.Status.CurrentPodHash {
			return "not yet: " + got.Status.Message
		}
		return string(got.Status.Phase) + " " + got.Status.StableRS
	}
	g.Eventually(healthy, timeout, poll).Should(HavePrefix("Healthy "))
	g.Eventually(func() error {
		var got weirv1.Rollout
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(ro), &got)).To(Succeed())
		got.Spec.Template.Spec.Containers[0].Image = "web:2"
		return c.Update(ctx, &got)
	}, timeout, poll).Should(Succeed())
	var got weirv1.Rollout
	g.Eventually(func() string {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(ro), &got)).To(Succeed())
		return got.Status.Message
	}, timeout, poll).Should(ContainSubstring("step 2/2"))
	g.Eventually(healthy, timeout, poll).Should(HavePrefix("Healthy "), func() string {
		var runs weirv1.AnalysisRunList
		_ = c.List(ctx, &runs, client.InNamespace(ns))
		out := ""
		for _, r := range runs.Items {
			for _, m := range r.Status.MetricResults {
				out += r.Name + "/" + m.Name + ": " + m.Message + "\n"
			}
		}
		return out
	})
	var runs weirv1.AnalysisRunList
	g.Expect(c.List(ctx, &runs, client.InNamespace(ns))).To(Succeed())
	g.Expect(runs.Items).To(HaveLen(1))
	g.Expect(runs.Items[0].Status.Phase).To(Equal(weirv1.AnalysisSuccessful))
}
