package gitops

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/e2e/stack"
	"github.com/weir-dev/weir/internal/revision"
)

// Commit edits the working clone on a branch, commits everything and pushes; it returns the
// new commit.
func (p *Platform) Commit(branch, message string, edit func(work string) error) (string, error) {
	if _, err := p.Git.Git("checkout", "-q", branch); err != nil {
		return "", err
	}
	if err := edit(p.Git.Work); err != nil {
		return "", err
	}
	if _, err := p.Git.Git("commit", "-q", "-am", message); err != nil {
		return "", err
	}
	return p.push(branch)
}

func (p *Platform) push(branch string) (string, error) {
	if _, err := p.Git.Git("push", "-q", "origin", branch); err != nil {
		return "", err
	}
	return p.Git.Head(branch), nil
}

// SetBackend is the workflow's CI step: it commits a new backend tag (and, for a bad build
// here, an error rate) to the environment's values file on its branch.
func (p *Platform) SetBackend(e Environment, tag, errorRate string) (string, error) {
	return p.Commit(e.Branch, fmt.Sprintf("%s: backend %s", e.Name, tag), func(work string) error {
		return editFile(filepath.Join(work, e.ValuesFile()), func(s string) string { return setBackend(s, tag, errorRate) })
	})
}

// Promote merges from's branch into to's and, in the same merge commit, pins to's backend to
// the tag from runs: what was tested in one environment is what the next one releases.
func (p *Platform) Promote(from, to Environment) (string, error) {
	tag, err := p.BackendTag(from, from.Branch)
	if err != nil {
		return "", err
	}
	if _, err := p.Git.Git("checkout", "-q", to.Branch); err != nil {
		return "", err
	}
	if _, err := p.Git.Git("merge", "-q", "--no-ff", "--no-commit", from.Branch); err != nil {
		return "", err
	}
	if err := editFile(filepath.Join(p.Git.Work, to.ValuesFile()), func(s string) string { return setBackend(s, tag, "") }); err != nil {
		return "", err
	}
	if _, err := p.Git.Git("commit", "-q", "-am", fmt.Sprintf("promote backend %s from %s to %s", tag, from.Name, to.Name)); err != nil {
		return "", err
	}
	return p.push(to.Branch)
}

// Revert reverts a commit on the environment's branch.
func (p *Platform) Revert(e Environment, commit string) (string, error) {
	if _, err := p.Git.Git("checkout", "-q", e.Branch); err != nil {
		return "", err
	}
	if _, err := p.Git.Git("revert", "--no-edit", commit); err != nil {
		return "", err
	}
	return p.push(e.Branch)
}

// Release is what one change looked like from Argo CD and from the users' side.
type Release struct {
	Env, Change, Commit string
	Pushed              time.Time
	// ToSynced is push → Argo CD reports the commit Synced; ToDone is push → done (the final
	// state the caller waited for: Healthy, Suspended at a gate, Degraded after an abort).
	ToSynced, ToDone time.Duration
	// Samples of the Application every SampleInterval from the push until done.
	Samples []AppState
	// Served is the traffic the backend answered meanwhile.
	Served stack.Sample
}

// OutOfSyncAfterSynced counts the samples that weren't Synced once Argo CD had first called
// the commit Synced: drift Weir would have caused.
func (r Release) OutOfSyncAfterSynced() int { return len(r.Drift()) }

// Drift are the samples that weren't Synced once Argo CD had first called the commit Synced.
func (r Release) Drift() []AppState {
	var out []AppState
	synced := false
	for _, s := range r.Samples {
		if s.SyncRevision == r.Commit && s.Sync == "Synced" {
			synced = true
		} else if synced && s.Sync != "Synced" {
			out = append(out, s)
		}
	}
	return out
}

// SyncedSamples counts the samples from the first Synced one on.
func (r Release) SyncedSamples() int {
	for i, s := range r.Samples {
		if s.SyncRevision == r.Commit && s.Sync == "Synced" {
			return len(r.Samples) - i
		}
	}
	return 0
}

// RolloutHealths is the sequence of the backend Rollout's health in Argo CD from the first
// Synced sample on, repeats folded ("Progressing", "Suspended", "Healthy").
func (r Release) RolloutHealths() []string {
	var out []string
	synced := false
	for _, s := range r.Samples {
		synced = synced || (s.SyncRevision == r.Commit && s.Sync == "Synced")
		if synced && s.RolloutHealth != "" && (len(out) == 0 || out[len(out)-1] != s.RolloutHealth) {
			out = append(out, s.RolloutHealth)
		}
	}
	return out
}

// Messages are the distinct Rollout health messages Argo CD showed, in order.
func (r Release) Messages() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range r.Samples {
		if s.RolloutMessage != "" && !seen[s.RolloutMessage] {
			seen[s.RolloutMessage] = true
			out = append(out, s.RolloutMessage)
		}
	}
	return out
}

// Watch follows a pushed commit: it samples the Application, asks Argo CD to refresh (the Git
// webhook's job), runs act once the commit is known to Argo CD (a manual sync, say; nil for
// automated environments), and returns when done holds for the Application and the Rollout.
func (p *Platform) Watch(ctx context.Context, e Environment, change, commit string, pushed time.Time,
	act func() error, done func(AppState, *weirv1.Rollout) bool) (r Release, err error) {
	r = Release{Env: e.Name, Change: change, Commit: commit, Pushed: pushed}
	p.Loads[e.Name].Take()
	sampler := p.Sample(e.App)
	var final *AppState // the state that ended the wait, which the sampler may have missed
	defer func() {      // r is the named result: the caller gets the samples
		r.Samples = sampler.Stop()
		if final != nil {
			r.Samples = append(r.Samples, *final)
		}
	}()
	if err := p.Notify(ctx, e.App, commit); err != nil {
		return r, err
	}
	if act != nil {
		if _, err := p.WaitApp(ctx, e.App, 3*time.Minute, func(s AppState) bool { return s.SyncRevision == commit }); err != nil {
			return r, err
		}
		if err := act(); err != nil {
			return r, err
		}
	}
	deadline := time.Now().Add(6 * time.Minute)
	var last AppState
	for {
		s, err := p.App(ctx, e.App)
		if err == nil {
			last = s
			if r.ToSynced == 0 && s.SyncRevision == commit && s.Sync == "Synced" {
				r.ToSynced = time.Since(pushed)
			}
			if r.ToSynced != 0 {
				if ro, err := p.Rollout(ctx, e); err == nil && done(s, ro) {
					final = &s
					r.ToDone = time.Since(pushed)
					r.Served = p.Loads[e.Name].Take()
					return r, nil
				}
			}
		}
		if time.Now().After(deadline) {
			ro, _ := p.Rollout(ctx, e)
			return r, fmt.Errorf("%s %s: not done within 6 minutes; Argo CD: %s; Rollout: %s (logs in %s)", e.Name, change, last, describe(ro), p.Stack.LogDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Rollout reads the environment's backend Rollout.
func (p *Platform) Rollout(ctx context.Context, e Environment) (*weirv1.Rollout, error) {
	var ro weirv1.Rollout
	err := p.Stack.Client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: "backend"}, &ro)
	return &ro, err
}

// StableImage is the image of the backend's stable ReplicaSet: what users are served.
func (p *Platform) StableImage(ctx context.Context, e Environment) (string, error) {
	ro, err := p.Rollout(ctx, e)
	if err != nil {
		return "", err
	}
	var sets appsv1.ReplicaSetList
	if err := p.Stack.Client.List(ctx, &sets, client.InNamespace(e.Namespace)); err != nil {
		return "", err
	}
	for _, rs := range sets.Items {
		if rs.Labels[revision.HashLabel] == ro.Status.StableRS && strings.HasPrefix(rs.Name, "backend-") {
			return rs.Spec.Template.Spec.Containers[0].Image, nil
		}
	}
	return "", fmt.Errorf("no stable ReplicaSet %q for %s/backend", ro.Status.StableRS, e.Namespace)
}

// Released: the Rollout finished releasing tag and Argo CD shows the app Synced and Healthy.
func Released(tag string) func(AppState, *weirv1.Rollout) bool {
	return func(s AppState, ro *weirv1.Rollout) bool {
		return s.Sync == "Synced" && s.Health == "Healthy" && s.RolloutHealth == "Healthy" && settled(ro) &&
			ro.Status.Phase == weirv1.PhaseHealthy && runsTag(ro, tag)
	}
}

// AtGate: the release waits at a pause {} step and Argo CD shows it Suspended.
func AtGate(s AppState, ro *weirv1.Rollout) bool {
	return s.Sync == "Synced" && s.RolloutHealth == "Suspended" && settled(ro) && ro.Status.Phase == weirv1.PhasePaused
}

// Aborted: Weir aborted the release and Argo CD shows the app Degraded.
func Aborted(s AppState, ro *weirv1.Rollout) bool {
	return s.Health == "Degraded" && s.RolloutHealth == "Degraded" && ro.Status.Aborted != nil
}

func settled(ro *weirv1.Rollout) bool { return ro.Status.ObservedGeneration == ro.Generation }

// runsTag: the Rollout's pod template names the backend image at tag.
func runsTag(ro *weirv1.Rollout, tag string) bool {
	return strings.HasSuffix(ro.Spec.Template.Spec.Containers[0].Image, ":"+tag)
}

// verifiedCanaryWeight is the canary weight Weir read back from the routes (0 until verified).
func verifiedCanaryWeight(ro *weirv1.Rollout, err error) int32 {
	if err != nil || ro.Status.Canary == nil || ro.Status.Canary.Weights == nil || ro.Status.Canary.Weights.Verified == nil {
		return 0
	}
	return ro.Status.Canary.Weights.Verified.Canary
}

func describe(ro *weirv1.Rollout) string {
	if ro == nil {
		return "<none>"
	}
	return fmt.Sprintf("phase=%s message=%q image=%s", ro.Status.Phase, ro.Status.Message, ro.Spec.Template.Spec.Containers[0].Image)
}

// Agreement says whether Git, Argo CD and the cluster agree on an environment: the app is
// Synced and Healthy at the branch's head, and the stable revision runs the tag Git names.
func (p *Platform) Agreement(ctx context.Context, e Environment) error {
	tag, err := p.BackendTag(e, e.Branch)
	if err != nil {
		return err
	}
	head := p.Git.Head(e.Branch)
	s, err := p.App(ctx, e.App)
	if err != nil {
		return err
	}
	image, err := p.StableImage(ctx, e)
	if err != nil {
		return err
	}
	if s.Sync != "Synced" || s.Health != "Healthy" || s.SyncRevision != head || !strings.HasSuffix(image, ":"+tag) {
		return fmt.Errorf("%s: Git %s names %s; Argo CD %s; stable runs %s", e.Name, head[:7], tag, s, image)
	}
	return nil
}
