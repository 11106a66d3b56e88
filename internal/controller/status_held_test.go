package controller_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestUnverifiedWeightIsShown: a weight asked of the route may wait for its verification
// before the status records it, one write for both (planner.Plan.StatusCanWait), but not
// for ever: when the gateway stops accepting, the status shows the weight asked and not
// verified.
func TestUnverifiedWeightIsShown(t *testing.T) {
	r := newRelease(t)
	g := r.G
	r.healthyWith(2, setWeight(50), pause(""))
	var route gatewayv1.HTTPRoute
	g.Expect(k8s.Get(r.Ctx, r.Key(), &route)).To(Succeed())
	before := route.DeepCopy()
	route.Annotations = map[string]string{noGatewayAnnotation: "true"}
	g.Expect(k8s.Patch(r.Ctx, &route, client.MergeFrom(before))).To(Succeed())

	r.setImage("web:2")
	g.Eventually(r.Weights, timeout, poll).Should(Equal([2]int32{50, 50}))
	g.Eventually(func() string {
		ro := r.Get()
		c := meta.FindStatusCondition(ro.Status.Conditions, weirv1.ConditionTrafficVerified)
		if c == nil || ro.Status.Canary == nil || ro.Status.Canary.Weights == nil {
			return describe(ro)
		}
		d := ro.Status.Canary.Weights.Desired
		return fmt.Sprintf("%s %s, desired %d/%d", c.Status, c.Reason, d.Stable, d.Canary)
	}, timeout, poll).Should(Equal("False NotAccepted, desired 50/50"))
}
