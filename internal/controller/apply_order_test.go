package controller_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/revision"
)

// The order of writes within one reconcile decides what traffic sees in between: at the end
// of a release the stable Service must select the new revision before the route sends it
// everything (the planner sets SelectorsFirst, table-tested in internal/planner); on an
// abort the route must pull the canary's weight first. apply must honour that order. The
// Services and route are real; the Rollout is only handed to apply (never created), so the
// suite's running Weir leaves this namespace alone.
func TestApplyOrder(t *testing.T) {
	cases := []struct {
		name      string
		selectors func(current string) map[string]string
		first     bool
		order     string
	}{
		{"release completes: stable Service first, then 100/0",
			func(current string) map[string]string {
				return map[string]string{"web-stable": current, "web-canary": current}
			},
			true, "Service/web-stable,HTTPRoute/web"},
		{"abort: the route pulls the canary's weight before anything else",
			func(string) map[string]string { return map[string]string{"web-stable": "v1", "web-canary": "v1"} },
			false, "HTTPRoute/web,Service/web-canary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRelease(t)
			g := r.G
			ro := r.Rollout(2, setWeight(75))
			ro.Namespace = r.NS
			current := revision.Hash(&ro.Spec.Template, nil)
			// Mid-release: stable selects v1, canary the new revision, the route at 25/75.
			r.Services()
			for svc, hash := range map[string]string{"web-stable": "v1", "web-canary": current} {
				r.setSelector(svc, hash)
			}
			route := r.route(map[string]string{noGatewayAnnotation: "true"})
			route.Spec.Rules[0].BackendRefs[0].Weight, route.Spec.Rules[0].BackendRefs[1].Weight = ptr.To[int32](25), ptr.To[int32](75)
			g.Expect(k8s.Update(r.Ctx, route)).To(Succeed())

			wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
			g.Expect(err).NotTo(HaveOccurred())
			plan := planner.Plan{Traffic: &planner.Traffic{Weights: weirv1.WeightPair{Stable: 100}}, Selectors: tc.selectors(current), SelectorsFirst: tc.first}
			writes, err := controller.ApplyRecordingWrites(r.Ctx, wc, ro, plan)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(strings.Join(writes, ",")).To(Equal(tc.order))
			// The writes took effect on the API server.
			g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
			for svc, hash := range tc.selectors(current) {
				g.Expect(r.Selector(svc)).To(Equal(hash))
			}
		})
	}
}

// setSelector points a Service at a revision, as an earlier reconcile would have.
func (r *release) setSelector(name, hash string) {
	r.G.Eventually(func() error {
		var svc corev1.Service
		if err := k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: name}, &svc); err != nil {
			return err
		}
		svc.Spec.Selector[revision.HashLabel] = hash
		return k8s.Update(r.Ctx, &svc)
	}, timeout, poll).Should(Succeed())
}
