package cli_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/revision"
)

// pods returns the UIDs of the live pods of a revision.
func (r *release) pods(hash string) map[types.UID]bool {
	var list corev1.PodList
	r.G.Expect(k8s.List(r.Ctx, &list, client.InNamespace(r.NS), client.MatchingLabels{revision.HashLabel: hash})).To(Succeed())
	out := map[types.UID]bool{}
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out[p.UID] = true
		}
	}
	return out
}

// TestRestart replaces every pod of the stable revision, one batch of maxUnavailable (25%
// of 4 = 1) at a time, without a new revision or release.
func TestRestart(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.managed(4, setWeight(50), pause(""))
	before := r.Get()
	stable := before.Status.StableRS
	old := r.pods(stable)
	g.Expect(old).To(HaveLen(4))

	res := weir("-n", r.NS, "restart", "web")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(HavePrefix("restarting 4 pods of stable revision " + stable + " (ReplicaSet web-" + stable + "), 1 at a time\n"))
	g.Expect(strings.Count(res.out, "deleted pod web-"+stable)).To(Equal(4))
	g.Expect(strings.Count(res.out, "4/4 pods ready again")).To(Equal(4))
	g.Expect(res.out).To(HaveSuffix("rollout web: 4 pods restarted\n"))

	now := r.pods(stable)
	g.Expect(now).To(HaveLen(4))
	for uid := range now {
		g.Expect(old).NotTo(HaveKey(uid), "every pod is new")
	}
	after := r.Get()
	g.Expect(after.Generation).To(Equal(before.Generation), "the spec is untouched")
	g.Expect(after.Status.CurrentPodHash).To(Equal(stable), "no new revision")
	r.waitVerdict("Healthy", 0)

	res = weir("-n", r.NS, "restart", "missing")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring(`rollout "missing" not found`))
}
