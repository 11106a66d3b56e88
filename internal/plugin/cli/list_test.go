package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestListRollouts: the table in one namespace and in all, wide, and as JSON and YAML.
func TestListRollouts(t *testing.T) {
	a := newRelease(t, "list-a")
	g := a.G
	b := a.sibling("list-b")

	// list-a/web: paused at step 2/3 with 20% verified; list-a/api: never released;
	// list-b/web: aborted, weight back to 0 but not yet verified.
	web, now := a.unmanagedRollout("web:2", 2, setWeight(20), pause(""), setWeight(60))
	a.setStatus(web, weirv1.RolloutStatus{Strategy: "Canary", Phase: weirv1.PhasePaused,
		Message:  "step 2/3: paused at weight 20 until promoted (kubectl weir promote web)",
		StableRS: hashOf("web:1"), CurrentPodHash: hashOf("web:2"), CurrentStepIndex: ptr.To[int32](1),
		Canary: weights(20, ptr.To[int32](20))})
	a.Name = "api"
	api, _ := a.unmanagedRollout("api:1", 1)
	a.setStatus(api, weirv1.RolloutStatus{Strategy: "Canary", Phase: weirv1.PhaseHealthy,
		Message: "revision x serves all traffic with 1 pods", StableRS: hashOf("api:1"), CurrentPodHash: hashOf("api:1")})
	bweb, _ := b.unmanagedRollout("web:3", 2, setWeight(50))
	b.setStatus(bweb, weirv1.RolloutStatus{Strategy: "Canary", Phase: weirv1.PhaseDegraded,
		Message: "aborted: aborted by alice", StableRS: hashOf("web:1"), CurrentPodHash: hashOf("web:3"),
		CurrentStepIndex: ptr.To[int32](0), Canary: weights(0, nil)})

	res := invocation{now: at(now)}.run("-n", a.NS, "list", "rollouts")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(Equal(lines(
		"NAME   STRATEGY   STEP   WEIGHT   PHASE     AGE",
		"api    Canary     -      -        Healthy   60m",
		"web    Canary     2/3    20/20    Paused    60m",
	)))

	res = invocation{now: at(now)}.run("list", "rollouts", "-A", "-o", "wide")
	g.Expect(res.code).To(Equal(0), res.String())
	var mine []string
	for _, l := range strings.Split(res.out, "\n") {
		if strings.HasPrefix(l, "NAMESPACE") || strings.HasPrefix(l, a.NS) || strings.HasPrefix(l, b.NS) {
			mine = append(mine, b.normalize(a.normalize(strings.TrimRight(l, " "))))
		}
	}
	g.Expect(strings.Join(mine, "\n")).To(MatchRegexp(`^NAMESPACE +NAME +STRATEGY +STEP +WEIGHT +PHASE +AGE +MESSAGE
list-a +api +Canary +- +- +Healthy +60m +revision x serves all traffic with 1 pods
list-a +web +Canary +2/3 +20/20 +Paused +60m +step 2/3: paused at weight 20 until promoted \(kubectl weir promote web\)
list-b +web +Canary +1/1 +0/- +Degraded +60m +aborted: aborted by alice$`), res.out)

	res = weir("-n", a.NS, "list", "rollouts", "-o", "json")
	g.Expect(res.code).To(Equal(0), res.String())
	var list weirv1.RolloutList
	g.Expect(json.Unmarshal([]byte(res.out), &list)).To(Succeed())
	g.Expect(list.Kind).To(Equal("RolloutList"))
	g.Expect(list.Items).To(HaveLen(2))
	g.Expect(list.Items[1].Status.Phase).To(Equal(weirv1.PhasePaused))

	res = weir("-n", b.NS, "list", "rollouts", "-o", "yaml")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(yaml.Unmarshal([]byte(res.out), &list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Status.Message).To(Equal("aborted: aborted by alice"))

	empty := a.Namespace("list-empty")
	res = weir("-n", empty, "list", "rollouts")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.err).To(ContainSubstring("No rollouts found in namespace " + empty))
	res = weir("list", "rollouts", "-o", "table")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring(`unknown output format "table"`))
	res = weir("list", "pods")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("usage: kubectl weir list rollouts"))
}

func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }
