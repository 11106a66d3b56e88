package gitops

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// The workflow's steps, each as a person (or CI) would take it, returning what it looked like.
// The GitOps suite asserts on them; make demo-gitops prints them as a table.

// ReleaseDev is CI committing a new backend tag to develop; Argo CD syncs dev by itself.
func (p *Platform) ReleaseDev(ctx context.Context, tag, errorRate string, done func(AppState, *weirv1.Rollout) bool) (Release, error) {
	from, err := p.BackendTag(Dev, Dev.Branch)
	if err != nil {
		return Release{}, err
	}
	change := fmt.Sprintf("backend %s → %s", from, tag)
	if errorRate != "" {
		change += fmt.Sprintf(" (a bad build: %s of requests fail)", errorRate)
	}
	sha, err := p.SetBackend(Dev, tag, errorRate)
	if err != nil {
		return Release{}, err
	}
	return p.Watch(ctx, Dev, change, sha, time.Now(), nil, done)
}

// PromoteToStaging merges develop into staging; Argo CD syncs staging by itself.
func (p *Platform) PromoteToStaging(ctx context.Context) (Release, error) {
	tag, err := p.BackendTag(Dev, Dev.Branch)
	if err != nil {
		return Release{}, err
	}
	sha, err := p.Promote(Dev, Staging)
	if err != nil {
		return Release{}, err
	}
	return p.Watch(ctx, Staging, "merge develop → staging: backend "+tag, sha, time.Now(), nil, Released(tag))
}

// ProdRelease is a release to production: a person diffs, syncs, and promotes the gate.
type ProdRelease struct {
	// Diff is `argocd app diff blog-prod` before the sync.
	Diff string
	// Gate runs from the push to the release waiting at pause {}; Promoted from the push
	// to Healthy (samples of both).
	Gate, Promoted Release
	// PromoteToHealthy is from `argocd app actions run … promote` to Healthy.
	PromoteToHealthy time.Duration
}

// PromoteToProd merges staging into main, then does what the person on duty does: argocd app
// diff, argocd app sync, and Argo CD's promote action once the release waits at its gate.
func (p *Platform) PromoteToProd(ctx context.Context) (ProdRelease, error) {
	var out ProdRelease
	tag, err := p.BackendTag(Staging, Staging.Branch)
	if err != nil {
		return out, err
	}
	sha, err := p.Promote(Staging, Prod)
	if err != nil {
		return out, err
	}
	pushed := time.Now()
	out.Gate, err = p.Watch(ctx, Prod, "merge staging → main, argocd app sync: backend "+tag, sha, pushed, func() error {
		s, err := p.WaitApp(ctx, Prod.App, time.Minute, func(s AppState) bool { return s.Sync == "OutOfSync" })
		if err != nil {
			return err
		}
		if s.OperationRevision == sha {
			return fmt.Errorf("production synced by itself")
		}
		out.Diff, _ = p.Argo.CLI("app", "diff", Prod.App) // exits 1 when there is a difference
		_, err = p.Argo.CLI("app", "sync", Prod.App, "--timeout", "120")
		return err
	}, AtGate)
	if err != nil {
		return out, err
	}
	promoted := time.Now()
	out.Promoted, err = p.promoteProd(ctx, sha, pushed, tag)
	out.PromoteToHealthy = time.Since(promoted)
	out.Promoted.ToSynced = out.Gate.ToSynced // one sync: both phases count from the same push
	return out, err
}

// promoteProd promotes production's gate with Argo CD's resource action and waits until the
// release of tag is Healthy.
func (p *Platform) promoteProd(ctx context.Context, sha string, pushed time.Time, tag string) (Release, error) {
	return p.Watch(ctx, Prod, "argocd app actions run blog-prod promote", sha, pushed, func() error {
		_, err := p.Argo.CLI("app", "actions", "run", Prod.App, "promote", "--kind", "Rollout", "--resource-name", "backend")
		return err
	}, Released(tag))
}

// Rollback is one of the workflow's ways back from a bad release.
type Rollback struct {
	Method   string
	Commands []string
	// ToStable is from the first command until only the stable version answers; ToAgreed until
	// Git, Argo CD and the cluster agree again (Synced, Healthy, the stable revision runs the
	// image Git names).
	ToStable, ToAgreed time.Duration
	// Final is the release that brought Git and the cluster together.
	Final Release
}

// RollbackByRevert reverts the bad commit on develop.
func (p *Platform) RollbackByRevert(ctx context.Context, bad string) (Rollback, error) {
	rb := Rollback{Method: "git revert", Commands: []string{"git revert " + bad[:7], "git push"}}
	started := time.Now()
	sha, err := p.Revert(Dev, bad)
	if err != nil {
		return rb, err
	}
	tag, _ := p.BackendTag(Dev, Dev.Branch)
	if rb.Final, err = p.Watch(ctx, Dev, "git revert "+bad[:7], sha, started, nil, Released(tag)); err != nil {
		return rb, err
	}
	rb.ToStable = rb.Final.ToDone
	return rb, p.agreed(ctx, &rb, started)
}

// RollbackByArgoCD rolls dev back with argocd app rollback to the entry that synced the commit
// before bad (auto-sync off first, as Argo CD requires), then lets Git catch up.
func (p *Platform) RollbackByArgoCD(ctx context.Context, bad string) (rb Rollback, err error) {
	rb = Rollback{Method: "argocd app rollback"}
	good := p.Git.Head(bad + "~1")
	started := time.Now()
	var history, id string
	defer func() {
		if err != nil { // a rare failure on a loaded machine: say everything Argo CD knew
			err = fmt.Errorf("%w\nrolling back to history ID %s (commit %.7s); history before:\n%s\n%s", err, id, good, history, p.devState(ctx))
		}
	}()
	if err := p.autoSyncOff(ctx, &rb, Dev.App); err != nil {
		return rb, err
	}
	history, err = p.Argo.CLI("app", "history", Dev.App)
	rb.Commands = append(rb.Commands, "argocd app history blog-dev")
	if err != nil {
		return rb, err
	}
	if id = HistoryID(history, good); id == "" {
		return rb, fmt.Errorf("argocd app history has no entry for %s", good[:7])
	}
	if err := p.argo(&rb, "app", "rollback", Dev.App, id, "--timeout", "120"); err != nil {
		return rb, err
	}
	tag, _ := p.BackendTag(Dev, good)
	if err := p.waitStable(ctx, tag); err != nil {
		return rb, err
	}
	rb.ToStable = time.Since(started)
	return rb, p.catchUp(ctx, &rb, bad, started)
}

// devState is what Argo CD and Weir say of dev, for a failed rollback's message.
func (p *Platform) devState(ctx context.Context) string {
	history, _ := p.Argo.CLI("app", "history", Dev.App)
	s, _ := p.App(ctx, Dev.App)
	op, _ := p.Kubectl("-n", "argocd", "get", "application", Dev.App, "-o", "jsonpath={.status.operationState}")
	policy, _ := p.Kubectl("-n", "argocd", "get", "application", Dev.App, "-o", "jsonpath={.spec.syncPolicy}")
	ro, _ := p.Rollout(ctx, Dev)
	return fmt.Sprintf("history now:\n%s\napplication: %s\nsync policy: %s\noperation: %s\nrollout: %s", history, s, policy, op, describe(ro))
}

// EmergencyRollback is the on-call path for a release the analysis doesn't catch: auto-sync
// off, kubectl weir abort (traffic back at once) and undo --in-cluster, then Git catches up.
func (p *Platform) EmergencyRollback(ctx context.Context, bad string) (rb Rollback, err error) {
	rb = Rollback{Method: "kubectl weir abort + undo"}
	started := time.Now()
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, p.devState(ctx))
		}
	}()
	if err := p.autoSyncOff(ctx, &rb, Dev.App); err != nil {
		return rb, err
	}
	for _, args := range [][]string{{"abort", "backend", "-n", Dev.Namespace}, {"undo", "backend", "-n", Dev.Namespace, "--in-cluster"}} {
		rb.Commands = append(rb.Commands, "kubectl weir "+strings.Join(args, " "))
		if out, err := p.Weir(args...); err != nil {
			return rb, fmt.Errorf("kubectl weir %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	tag, _ := p.BackendTag(Dev, bad+"~1")
	if err := p.waitStable(ctx, tag); err != nil {
		return rb, err
	}
	rb.ToStable = time.Since(started)
	return rb, p.catchUp(ctx, &rb, bad, started)
}

// catchUp reverts the bad commit and turns auto-sync on again.
func (p *Platform) catchUp(ctx context.Context, rb *Rollback, bad string, started time.Time) error {
	sha, err := p.Revert(Dev, bad)
	rb.Commands = append(rb.Commands, "git revert "+bad[:7], "git push")
	if err != nil {
		return err
	}
	if err := p.argo(rb, "app", "set", Dev.App, "--sync-policy", "automated", "--self-heal", "--auto-prune"); err != nil {
		return err
	}
	tag, _ := p.BackendTag(Dev, Dev.Branch)
	if rb.Final, err = p.Watch(ctx, Dev, "git revert "+bad[:7], sha, time.Now(), nil, Released(tag)); err != nil {
		return err
	}
	return p.agreed(ctx, rb, started)
}

func (p *Platform) agreed(ctx context.Context, rb *Rollback, started time.Time) error {
	if err := p.Agreement(ctx, Dev); err != nil {
		return err
	}
	rb.ToAgreed = time.Since(started)
	return nil
}

// autoSyncOff turns an app's auto-sync off, as a rollback needs, and checks that it stays off:
// the app of apps, which holds the app in Git, must see no drift in that. Before the example's
// root ignored /spec/syncPolicy/automated, it self-healed auto-sync back on about 15 s later,
// and the app synced the bad commit again if the rollback hadn't finished by then (once in
// eight runs of this suite on a loaded machine).
func (p *Platform) autoSyncOff(ctx context.Context, rb *Rollback, app string) error {
	set := time.Now().Truncate(time.Second)
	if err := p.argo(rb, "app", "set", app, "--sync-policy", "none"); err != nil {
		return err
	}
	root, err := p.WaitRefreshed(ctx, RootApp, 2*time.Minute, func(s AppState) bool { return s.ReconciledAt.After(set) })
	if err != nil {
		return err
	}
	if root.Sync != "Synced" {
		return fmt.Errorf("the app of apps sees turning %s's auto-sync off as drift and will self-heal it back on: %s", app, root)
	}
	return nil
}

func (p *Platform) argo(rb *Rollback, args ...string) error {
	rb.Commands = append(rb.Commands, "argocd "+strings.Join(args, " "))
	if out, err := p.Argo.CLI(args...); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// waitStable waits until dev's Rollout is Healthy on tag and only tag answers traffic.
func (p *Platform) waitStable(ctx context.Context, tag string) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ro, err := p.Rollout(ctx, Dev)
		if err == nil && settled(ro) && ro.Status.Phase == weirv1.PhaseHealthy && runsTag(ro, tag) {
			if err := p.WaitServedOnly(Dev, tag, time.Until(deadline)); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dev never came back to %s: %s", tag, describe(ro))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WaitServedOnly waits until a 2-second window of traffic is answered by version v alone.
func (p *Platform) WaitServedOnly(e Environment, v string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		p.Loads[e.Name].Take()
		time.Sleep(2 * time.Second)
		got := p.Loads[e.Name].Take()
		if len(got.Versions) == 1 && got.Versions[v] > 0 && got.Errors == 0 && len(got.Failed) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: still served %v (failed %v, errors %d), want %s alone", e.Name, got.Versions, got.Failed, got.Errors, v)
		}
	}
}

// HistoryID finds the ID of the history entry that synced a commit (argocd app history prints
// "ID  DATE  REVISION").
func HistoryID(history, commit string) string {
	for _, l := range strings.Split(history, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.Contains(l, commit[:7]) {
			return f[0]
		}
	}
	return ""
}

// RouteEdit is a Git change to the backend's HTTPRoute that reached the cluster.
type RouteEdit struct {
	Change string
	// ToApplied is from the push until the live route has Git's change.
	ToApplied time.Duration
	// CanaryWeights are the distinct canary weights the live route had from the push until
	// ToApplied, in order: a sync that reset Weir's weights would show Git's 0 here.
	CanaryWeights []int64
}

// EditRoute commits a change of the backend route's request timeout on develop and waits until
// Argo CD has applied it, sampling the live route's canary weight meanwhile.
func (p *Platform) EditRoute(ctx context.Context, timeout string) (RouteEdit, error) {
	ed := RouteEdit{Change: "HTTPRoute backend: rule api gets timeouts.request " + timeout}
	sha, err := p.Commit(Dev.Branch, "backend route: request timeout "+timeout, func(work string) error {
		return editFile(work+"/examples/blog-platform/microservices-app/templates/backend.yaml", func(s string) string {
			s = routeTimeout.ReplaceAllString(s, "")
			return strings.Replace(s, "    - name: api\n", "    - name: api\n      timeouts:\n        request: "+timeout+"\n", 1)
		})
	})
	if err != nil {
		return ed, err
	}
	pushed := time.Now()
	if err := p.Notify(ctx, Dev.App, sha); err != nil {
		return ed, err
	}
	deadline := pushed.Add(3 * time.Minute)
	for {
		route, err := p.Stack.RouteRules(ctx, Dev.Namespace, "backend")
		if err == nil && len(route) > 0 {
			w := route[0].CanaryWeight("backend-canary")
			if len(ed.CanaryWeights) == 0 || ed.CanaryWeights[len(ed.CanaryWeights)-1] != w {
				ed.CanaryWeights = append(ed.CanaryWeights, w)
			}
			if route[0].RequestTimeout == timeout {
				ed.ToApplied = time.Since(pushed)
				break
			}
		}
		if time.Now().After(deadline) {
			return ed, fmt.Errorf("%s (%s) never reached the cluster; the route has %+v", ed.Change, sha[:7], route)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ed, nil
}

var routeTimeout = regexp.MustCompile(`(?m)^      timeouts:\n        request: .*\n`)

// StartDevRelease commits a tag to develop and returns once Weir sends the canary traffic
// (the moment an on-call person would step in).
func (p *Platform) StartDevRelease(ctx context.Context, tag string) (string, error) {
	sha, err := p.SetBackend(Dev, tag, "")
	if err != nil {
		return "", err
	}
	if err := p.Notify(ctx, Dev.App, sha); err != nil {
		return "", err
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ro, err := p.Rollout(ctx, Dev)
		if verifiedCanaryWeight(ro, err) > 0 {
			return sha, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the release of %s never sent traffic to the canary: %s", tag, describe(ro))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
