package gitops

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// heldByWindow is what the kit's health script says of a release a closed window holds.
const heldByWindow = "Held by release policy (" + weirv1.ReasonReleaseWindowClosed + ")"

// localStackPolicy is the line of the suite's production values that keeps the example's
// windows and staging soak out of the other specs (they run at any hour).
const localStackPolicy = "releasePolicy: {windows: null, requireUpstream: null}"

// WindowRun is a production release committed inside a release freeze.
type WindowRun struct {
	// Edge is when the freeze ends.
	Edge time.Time
	// Held is from the push until Argo CD showed the release held: Suspended, with the
	// policy's message.
	Held Release
	// Started is the first moment Argo CD showed the release no longer held; Admitted is when
	// Weir let it start (its ReleaseAdmitted Event).
	Started, Admitted time.Time
	// Gate is from the push until the release waited at production's pause {} gate.
	Gate Release
	// Promoted is from the promote action until Healthy.
	Promoted Release
}

// ReleaseProdThroughWindow commits, on main, a production release and a deny window of the
// ReleasePolicy that ends 30 to 90 s later; syncs it by hand; and follows it: held on the
// stable revision while the window is closed, started by itself when it opens, promoted at
// the gate through Argo CD's action. The window stays in Git, in the past.
func (p *Platform) ReleaseProdThroughWindow(ctx context.Context, tag string) (WindowRun, error) {
	now := time.Now().UTC()
	run := WindowRun{Edge: now.Add(90 * time.Second).Truncate(time.Minute)}
	freeze := fmt.Sprintf("releasePolicy: {windows: {deny: [{name: suite-freeze, start: %q, end: %q}]}, requireUpstream: null}",
		now.Format("15:04"), run.Edge.Format("15:04"))
	sha, err := p.Commit(Prod.Branch, "prod: backend "+tag+" inside a release freeze", func(work string) error {
		local := filepath.Join(work, "examples/blog-platform/microservices-app/local-stack/prod.yaml")
		if err := editFile(local, func(s string) string { return strings.Replace(s, localStackPolicy, freeze, 1) }); err != nil {
			return err
		}
		return editFile(filepath.Join(work, Prod.ValuesFile()), func(s string) string { return setBackend(s, tag, "") })
	})
	if err != nil {
		return run, err
	}
	pushed := time.Now()
	change := "freeze until " + run.Edge.Format("15:04") + " and backend " + tag + ", argocd app sync"
	run.Held, err = p.Watch(ctx, Prod, change, sha, pushed, func() error {
		// --async: a sync waits for the health of what it applied, and a held release is
		// Suspended until the window opens.
		out, err := p.Argo.CLI("app", "sync", Prod.App, "--async")
		if err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
		return nil
	}, func(s AppState, ro *weirv1.Rollout) bool {
		return s.Sync == "Synced" && s.RolloutHealth == "Suspended" && strings.HasPrefix(s.RolloutMessage, heldByWindow) && runsTag(ro, tag)
	})
	if err != nil {
		return run, err
	}
	if time.Now().After(run.Edge) {
		return run, fmt.Errorf("the hold was first seen after the window opened (%s): the machine is too slow for this spec", run.Edge.Format(time.RFC3339))
	}
	run.Gate, err = p.Watch(ctx, Prod, "the window opens", sha, pushed, nil, func(s AppState, ro *weirv1.Rollout) bool {
		if run.Started.IsZero() && !strings.HasPrefix(s.RolloutMessage, heldByWindow) {
			run.Started = s.At
		}
		return s.Sync == "Synced" && settled(ro) && runsTag(ro, tag) && ro.Status.Phase == weirv1.PhasePaused &&
			pausedBy(ro) == weirv1.ReasonWaitingForPromotion
	})
	if err != nil {
		return run, err
	}
	if run.Admitted, err = p.lastEvent(Prod, "ReleaseAdmitted"); err != nil {
		return run, err
	}
	run.Promoted, err = p.promoteProd(ctx, sha, time.Now(), tag)
	return run, err
}

// pausedBy is the reason of the Rollout's Paused condition.
func pausedBy(ro *weirv1.Rollout) string {
	for _, c := range ro.Status.Conditions {
		if c.Type == weirv1.ConditionPaused {
			return c.Reason
		}
	}
	return ""
}

// lastEvent is when the newest Event of a reason on the environment's backend Rollout was
// recorded.
func (p *Platform) lastEvent(e Environment, reason string) (time.Time, error) {
	out, err := p.Kubectl("-n", e.Namespace, "get", "events.events.k8s.io",
		"--field-selector", "reason="+reason+",regarding.name=backend", "-o", `jsonpath={range .items[*]}{.eventTime}{"\n"}{end}`)
	if err != nil {
		return time.Time{}, fmt.Errorf("%v\n%s", err, out)
	}
	var newest time.Time
	for _, line := range strings.Fields(out) {
		if t, err := time.Parse(time.RFC3339Nano, line); err == nil && t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return newest, fmt.Errorf("no %s Event on %s/backend: %q", reason, e.Namespace, out)
	}
	return newest, nil
}
