package cli_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestBlueGreenPromote: a blue-green preview waits at its promotion gate (status exit 2,
// resume refused with the hint to promote), the tree names the active and preview
// revisions and Services, and promote switches users to the new revision.
func TestBlueGreenPromote(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.ServicesNamed("web-active", "web-preview")
	ro := r.Rollout(2)
	ro.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: &weirv1.BlueGreenStrategy{ActiveService: "web-active", PreviewService: "web-preview",
		AutoPromotionEnabled: ptr.To(false), ScaleDownDelaySeconds: ptr.To[int32](2), AbortScaleDownDelaySeconds: ptr.To[int32](2)}}
	g.Expect(k8s.Create(r.Ctx, ro)).To(Succeed())
	r.waitVerdict("Healthy", 0)
	v1 := hashOf("web:1")
	r.refused("rollout web has no release in progress (revision "+v1+" is active and serves all traffic): nothing to promote", "promote", "web")

	r.setImage("web:2")
	st := r.waitVerdict("Paused", 2)
	v2 := hashOf("web:2")
	g.Expect(st.out).To(ContainSubstring("web  Paused  stage preview: preview " + v2 + " ready behind Service web-preview"))
	tree := weir("-n", r.NS, "get", "rollout", "web")
	g.Expect(tree.out).To(ContainSubstring("Step:       preview  the new revision is up behind Service web-preview; users stay on web-active"))
	g.Expect(tree.out).To(ContainSubstring("Services:   web-active → " + v1 + ", web-preview → " + v2))
	g.Expect(tree.out).To(ContainSubstring("revision 2  web-" + v2 + "  preview  2/2 ready"))
	g.Expect(tree.out).To(ContainSubstring("revision 1  web-" + v1 + "  active  2/2 ready"))
	list := weir("-n", r.NS, "list", "rollouts")
	g.Expect(list.out).To(MatchRegexp(`web +BlueGreen +preview +- +Paused`))
	r.refused("rollout web waits for promotion at the preview stage: resume doesn't end that wait, promote does ('kubectl weir promote web')", "resume", "web")

	out := r.request("promote", "web")
	g.Expect(out).To(ContainSubstring("next: the preview stage → done: traffic switches to revision " + v2 +
		" once all its pods are available; revision " + v1 + " stays up 2s, then scales down"))
	r.waitVerdict("Healthy", 0)
	g.Expect(r.Get().Status.StableRS).To(Equal(v2))
	g.Expect(r.Selector("web-active")).To(Equal(v2))
}
