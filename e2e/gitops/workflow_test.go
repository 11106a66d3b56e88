package gitops

import (
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// report prints a release's figures (go test -v shows them; make demo-gitops prints a table).
func report(r Release) {
	GinkgoWriter.Printf("%s %s: synced %s after the push, done %s after; %d samples (%d after Synced), %d OutOfSync after Synced; Rollout in Argo CD: %v; served %v, failed %v\n",
		r.Env, r.Change, r.ToSynced.Round(100*time.Millisecond), r.ToDone.Round(100*time.Millisecond), len(r.Samples), r.SyncedSamples(),
		r.OutOfSyncAfterSynced(), r.RolloutHealths(), r.Served.Versions, r.Failed())
}

// Failed is the number of requests that didn't get a 200.
func (r Release) Failed() int {
	n := r.Served.Errors
	for _, c := range r.Served.Failed {
		n += c
	}
	return n
}

// expectCleanRelease: Argo CD never saw drift once synced, the Rollout went through
// Progressing, and both versions answered real traffic on the way.
func expectCleanRelease(r Release, from, to string) {
	report(r)
	ExpectWithOffset(1, r.SyncedSamples()).To(BeNumerically(">", 10), "too few samples to say anything")
	ExpectWithOffset(1, r.Drift()).To(BeEmpty(), "Argo CD saw drift during the release")
	ExpectWithOffset(1, r.RolloutHealths()).To(ContainElement("Progressing"))
	ExpectWithOffset(1, r.RolloutHealths()[len(r.RolloutHealths())-1]).To(Equal("Healthy"))
	ExpectWithOffset(1, r.Served.Versions).To(HaveKey(from), "the stable version served during the release")
	ExpectWithOffset(1, r.Served.Versions).To(HaveKey(to), "the canary got real traffic")
	ExpectWithOffset(1, r.Failed()).To(BeZero())
}

// servedOnly waits until a window of traffic is answered by version v alone, then checks that
// the next window (after whatever the caller did) still is.
func servedOnly(e Environment, v string) {
	EventuallyWithOffset(1, func() map[string]int {
		platform.Loads[e.Name].Take()
		time.Sleep(2 * time.Second)
		return platform.Loads[e.Name].Take().Versions
	}, 2*time.Minute, 100*time.Millisecond).Should(And(HaveKey(v), HaveLen(1)))
}

// reportRollback prints how a rollback went.
func reportRollback(rb Rollback) {
	GinkgoWriter.Printf("rollback by %s: only the stable version answered %s after the first command; Git, Argo CD and the cluster agreed after %s; commands: %s\n",
		rb.Method, rb.ToStable.Round(100*time.Millisecond), rb.ToAgreed.Round(100*time.Millisecond), strings.Join(rb.Commands, "; "))
}

var _ = Describe("the blog platform's GitOps workflow", Ordered, func() {
	var bad string

	It("releases a commit to dev: Argo CD syncs it by itself, Weir runs the canary, no drift", func() {
		r, err := platform.ReleaseDev(ctx, "1.5.0", "", Released("1.5.0"))
		Expect(err).NotTo(HaveOccurred())
		expectCleanRelease(r, "1.4.0", "1.5.0")
		Expect(platform.Agreement(ctx, Dev)).To(Succeed())
	})

	It("promotes to staging by merging develop: synced automatically and released", func() {
		r, err := platform.PromoteToStaging(ctx)
		Expect(err).NotTo(HaveOccurred())
		expectCleanRelease(r, "1.4.0", "1.5.0")
		Expect(platform.Agreement(ctx, Staging)).To(Succeed())
	})

	It("promotes to production by hand: the diff is the image alone, the gate is promoted through Argo CD's action", func() {
		r, err := platform.PromoteToProd(ctx)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("argocd app diff blog-prod:\n%s\n", r.Diff)
		Expect(regexp.MustCompile(`(?m)^===== `).FindAllString(r.Diff, -1)).To(HaveLen(1), "one resource changes")
		Expect(r.Diff).To(ContainSubstring("===== rollouts.weir.dev/Rollout blog-prod/backend ======"))
		Expect(changedLines(r.Diff)).To(ConsistOf(
			MatchRegexp(`^<\s+- image: ghcr.io/weir-dev/blog-backend:1.4.0$`),
			MatchRegexp(`^>\s+- image: ghcr.io/weir-dev/blog-backend:1.5.0$`)))
		report(r.Gate)
		Expect(r.Gate.Drift()).To(BeEmpty())
		Expect(r.Gate.Messages()).To(ContainElement(ContainSubstring("promot")), "Argo CD shows what the gate waits for")
		GinkgoWriter.Printf("promote action → Healthy in %s\n", r.PromoteToHealthy.Round(100*time.Millisecond))
		whole := r.Promoted
		whole.Samples = append(r.Gate.Samples, whole.Samples...)
		for v, n := range r.Gate.Served.Versions {
			whole.Served.Versions[v] += n
		}
		expectCleanRelease(whole, "1.4.0", "1.5.0")
		Expect(whole.RolloutHealths()).To(ContainElement("Suspended"))
		Expect(platform.Agreement(ctx, Prod)).To(Succeed())
	})

	It("aborts a bad release by itself; nothing Argo CD does afterwards brings the bad version back", func() {
		r, err := platform.ReleaseDev(ctx, "1.6.0", "0.5", Aborted)
		Expect(err).NotTo(HaveOccurred())
		bad = r.Commit
		report(r)
		Expect(r.Drift()).To(BeEmpty())
		Expect(r.Messages()).To(ContainElement(And(ContainSubstring("aborted"), ContainSubstring("error-rate"))),
			"Argo CD shows the analysis that failed")
		Expect(platform.WaitServedOnly(Dev, "1.5.0", 2*time.Minute)).To(Succeed())

		By("refresh, sync, and self-heal leave traffic on stable")
		Expect(platform.Refresh(ctx, Dev.App)).To(Succeed())
		out, err := platform.Argo.CLI("app", "sync", Dev.App, "--timeout", "120")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(platform.WaitServedOnly(Dev, "1.5.0", 10*time.Second)).To(Succeed())
		ro, err := platform.Rollout(ctx, Dev)
		Expect(err).NotTo(HaveOccurred())
		Expect(ro.Status.Aborted).NotTo(BeNil())
		s, err := platform.App(ctx, Dev.App)
		Expect(err).NotTo(HaveOccurred())
		Expect([]string{s.Sync, s.Health}).To(Equal([]string{"Synced", "Degraded"}))
	})

	It("rolls back by git revert: Git, Argo CD and the cluster agree again", func() {
		rb, err := platform.RollbackByRevert(ctx, bad)
		Expect(err).NotTo(HaveOccurred())
		reportRollback(rb)
		Expect(rb.Final.Drift()).To(BeEmpty())
		Expect(platform.WaitServedOnly(Dev, "1.5.0", 10*time.Second)).To(Succeed())
	})

	It("rolls back with argocd app rollback (auto-sync off), then Git catches up", func() {
		r, err := platform.ReleaseDev(ctx, "1.6.1", "0.5", Aborted)
		Expect(err).NotTo(HaveOccurred())
		rb, err := platform.RollbackByArgoCD(ctx, r.Commit)
		Expect(err).NotTo(HaveOccurred())
		reportRollback(rb)
		Expect(rb.Final.Drift()).To(BeEmpty())
	})

	It("takes the emergency path: kubectl weir abort and undo with auto-sync off, then Git catches up", func() {
		sha, err := platform.StartDevRelease(ctx, "1.7.0")
		Expect(err).NotTo(HaveOccurred())
		rb, err := platform.EmergencyRollback(ctx, sha)
		Expect(err).NotTo(HaveOccurred())
		reportRollback(rb)
		Expect(rb.Final.Drift()).To(BeEmpty())
	})

	It("applies Git's route edits during and after a release, and a sync never resets Weir's weights", func() {
		pushed := time.Now()
		_, err := platform.StartDevRelease(ctx, "1.8.0")
		Expect(err).NotTo(HaveOccurred())
		Expect(verifiedCanaryWeight(platform.Rollout(ctx, Dev))).To(BeNumerically("==", 50), "the release of 1.8.0 holds the canary at 50")
		// Held there by an operator pause (a status request: no Git drift), so the route edit
		// lands while Weir holds 50/50 however slow the machine is.
		out, err := platform.Weir("pause", "backend", "-n", Dev.Namespace)
		Expect(err).NotTo(HaveOccurred(), out)
		Eventually(func() weirv1.RolloutPhase { ro, _ := platform.Rollout(ctx, Dev); return ro.Status.Phase }, time.Minute, 100*time.Millisecond).
			Should(Equal(weirv1.PhasePaused))

		By("a route edit while Weir holds 50/50")
		during, err := platform.EditRoute(ctx, "10s")
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("%s: applied %s after the push; canary weights seen meanwhile: %v\n", during.Change, during.ToApplied.Round(100*time.Millisecond), during.CanaryWeights)
		Expect(during.CanaryWeights).To(Equal([]int64{50}), "the sync of Git's route kept Weir's weights")
		out, err = platform.Weir("resume", "backend", "-n", Dev.Namespace)
		Expect(err).NotTo(HaveOccurred(), out)
		r, err := platform.Watch(ctx, Dev, "backend 1.8.0 with a route edit", platform.Git.Head(Dev.Branch), pushed, nil, Released("1.8.0"))
		Expect(err).NotTo(HaveOccurred())
		report(r)
		Expect(r.Drift()).To(BeEmpty())
		Expect(r.Failed()).To(BeZero())

		By("a route edit after the release")
		after, err := platform.EditRoute(ctx, "20s")
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("%s: applied %s after the push; canary weights seen meanwhile: %v\n", after.Change, after.ToApplied.Round(100*time.Millisecond), after.CanaryWeights)
		Expect(after.CanaryWeights).To(Equal([]int64{0}))
		_, err = platform.WaitApp(ctx, Dev.App, time.Minute, func(s AppState) bool {
			return s.SyncRevision == platform.Git.Head(Dev.Branch) && s.Sync == "Synced" && s.Health == "Healthy"
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(platform.Agreement(ctx, Dev)).To(Succeed())
	})

	It("holds a PostSync hook behind production's pause {} gate; with promotionGateHealthy the sync ends and the hook runs at the gate", func() {
		run, err := platform.ReleaseProdWithHook(ctx, "1.5.1", false)
		GinkgoWriter.Printf("default kit: %+v\n", run)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.RolloutHealth).To(Equal("Suspended"))
		Expect(run.Operation).To(Equal("Running"), "the sync waits for the gated Rollout")
		Expect(run.OperationMessage).To(ContainSubstring("waiting for healthy state"))
		Expect(run.HookRanAtGate).To(BeFalse(), "the PostSync hook waits for the promotion")
		Expect(run.HookRanAfter).To(BeTrue())
		Expect(platform.Agreement(ctx, Prod)).To(Succeed())

		Expect(platform.SetPromotionGateHealthy(ctx, true)).To(Succeed())
		run, err = platform.ReleaseProdWithHook(ctx, "1.5.2", true)
		GinkgoWriter.Printf("promotionGateHealthy: %+v\n", run)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.RolloutHealth).To(Equal("Healthy"))
		Expect(run.RolloutMessage).To(HavePrefix("Waiting for promotion"))
		Expect(run.Operation).To(Equal("Succeeded"), "the sync ends at the gate")
		Expect(run.HookRanAtGate).To(BeTrue(), "the PostSync hook runs while the release waits")
		Expect(run.HookRanAfter).To(BeTrue())
		Expect(platform.Agreement(ctx, Prod)).To(Succeed())
	})

	It("holds a production release committed inside a release freeze on stable, Suspended in Argo CD, and starts it when the window opens", func() {
		before, err := platform.BackendTag(Prod, Prod.Branch)
		Expect(err).NotTo(HaveOccurred())
		run, err := platform.ReleaseProdThroughWindow(ctx, "1.9.0")
		Expect(err).NotTo(HaveOccurred())
		report(run.Held)
		report(run.Gate)
		report(run.Promoted)
		GinkgoWriter.Printf("freeze until %s: held %s after the push, Weir admitted the release %s after the edge, Argo CD showed it started %s after\n",
			run.Edge.Format("15:04:05"), run.Held.ToDone.Round(100*time.Millisecond), run.Admitted.Sub(run.Edge).Round(100*time.Millisecond),
			run.Started.Sub(run.Edge).Round(100*time.Millisecond))
		last := run.Held.Samples[len(run.Held.Samples)-1]
		Expect(last.RolloutMessage).To(And(ContainSubstring(`deny window "suite-freeze"`), ContainSubstring("opens "+run.Edge.Format(time.RFC3339))))
		Expect(last.Health).To(Equal("Suspended"), "the app is Suspended, not Degraded")
		Expect(run.Held.Served.Versions).To(HaveKey(before))
		Expect(run.Held.Served.Versions).NotTo(HaveKey("1.9.0"), "held: all traffic on stable")
		Expect(run.Admitted).To(BeTemporally(">=", run.Edge), "not before the window opens")
		Expect(run.Gate.Drift()).To(BeEmpty())
		Expect(run.Promoted.Drift()).To(BeEmpty())
		Expect(platform.Agreement(ctx, Prod)).To(Succeed())
	})
})

// changedLines are a diff's "<" and ">" lines.
func changedLines(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "<") || strings.HasPrefix(l, ">") {
			out = append(out, strings.TrimRight(l, " "))
		}
	}
	return out
}
