package controller_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/revision"
)

// TestDeletedMidReleaseGivesTrafficBack: a Rollout deleted at 50% leaves the route with all
// traffic on stable and both Services selecting every pod of the app, not half its users
// on a canary that is about to disappear (issue 14, defect 5).
func TestDeletedMidReleaseGivesTrafficBack(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyWith(2, setWeight(50), pause(""))
	g.Expect(r.Get().Finalizers).To(ContainElement(controller.RestoreFinalizer))
	r.setImage("web:2")
	r.phaseIs(weirv1.PhasePaused)
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))

	g.Expect(k8s.Delete(r.Ctx, r.Get())).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(r.Ctx, r.Key(), &weirv1.Rollout{}))
	}, timeout, poll).Should(BeTrue(), "the finalizer goes once traffic and selectors are given back")
	g.Expect(r.Weights()).To(Equal([2]int32{100, 0}))
	for _, name := range []string{"web-stable", "web-canary"} {
		var svc corev1.Service
		g.Expect(k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: name}, &svc)).To(Succeed())
		g.Expect(svc.Spec.Selector).NotTo(HaveKey(revision.HashLabel), "Service %s given back", name)
		g.Expect(svc.Spec.Selector).To(HaveKeyWithValue("app", "web"))
	}
	g.Expect(r.Events()).To(ContainSubstring(weirv1.ReasonRestoringTraffic))
}
