package planner

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// The weights' history keeps one entry per change of the canary weight asked or verified
// over a release, and starts again with the next release.
func TestWeightHistory(t *testing.T) {
	g := NewWithT(t)
	x := world{replicas: 4, current: "v2", steps: []weirv1.CanaryStep{setWeight(20), pauseForever()}, status: releasing(0),
		rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(100, 0)}
	asked := Decide(x.input())
	g.Expect(asked.Status.Canary.Weights.History).To(Equal([]weirv1.WeightRecord{{At: metav1.NewTime(t0), Desired: 20}}))

	x.status, x.weights, x.now = asked.Status, w(80, 20), t0.Add(time.Second)
	verified := Decide(x.input())
	g.Expect(verified.Status.Canary.Weights.History).To(Equal([]weirv1.WeightRecord{
		{At: metav1.NewTime(t0), Desired: 20}, {At: metav1.NewTime(t0.Add(time.Second)), Desired: 20, Verified: ptr.To[int32](20)}}))

	x.status, x.now = verified.Status, t0.Add(2*time.Second)
	g.Expect(Decide(x.input()).Status.Canary.Weights.History).To(HaveLen(2), "nothing changed: no entry")

	x.current, x.now = "v3", t0.Add(3*time.Second)
	g.Expect(Decide(x.input()).Status.Canary.Weights.History).To(Equal([]weirv1.WeightRecord{{At: metav1.NewTime(t0.Add(3 * time.Second)), Desired: 0}}),
		"a new release starts its own history (no canary pod of v3 yet: weight 0)")
}
