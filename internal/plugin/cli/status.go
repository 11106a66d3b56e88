package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/state"
	"github.com/weir-dev/weir/internal/plugin/view"
)

// Exit codes of kubectl weir status: scripts and CI pipelines branch on them.
const (
	ExitHealthy     = 0
	ExitDegraded    = 1
	ExitPaused      = 2
	ExitTimeout     = 3
	ExitProgressing = 4
	// ExitUnknown is status's answer when it could not tell (API unreachable, no such
	// Rollout): not 1, which means Degraded.
	ExitUnknown = 5
)

func (a *app) statusCommand() *cobra.Command {
	var watch bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Print a Rollout's state in one line; the exit code says it too",
		Long: `Print one line: the Rollout's state (Healthy, Progressing, Paused, Degraded), its step,
its canary weight (desired/verified) and the controller's message.

Exit codes:
  0  Healthy: no release in progress, the stable revision serves all traffic
  1  Degraded: the release was aborted, the spec is invalid or the progress deadline passed
  2  Paused: the release waits for a person (kubectl weir promote / resume)
  3  --watch only: --timeout passed before any of the above
  4  without --watch: still Progressing
  5  the state could not be read (no such Rollout, API server unreachable)

With --watch a line is printed each time the state changes, until the Rollout is Healthy,
Degraded or Paused, or --timeout passes. A Rollout counts as Healthy only once the
controller has observed its current spec, so 'kubectl apply … && kubectl weir status
--watch' never reports the previous release.`,
		Example: `  kubectl weir status web
  kubectl weir status web --watch --timeout 15m || echo "release needs attention"`,
		Args:              singleName,
		ValidArgsFunction: a.completeRolloutAfter(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := a.status(cmd.Context(), args[0], watch, timeout)
			var exit *exitError
			if err != nil && !errors.As(err, &exit) {
				return &exitError{code: ExitUnknown, err: err}
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "Wait until the Rollout is Healthy, Degraded or Paused")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "How long --watch waits")
	return cmd
}

func (a *app) status(ctx context.Context, name string, watch bool, timeout time.Duration) error {
	c, err := a.connect()
	if err != nil {
		return err
	}
	style := a.style()
	if !watch {
		ro, err := kube.GetRollout(ctx, c.Client, c.Namespace, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Out, view.StatusLine(ro, style))
		if code := verdictCode(state.Of(ro).Verdict()); code != 0 {
			return &exitError{code: code}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	updates := make(chan *weirv1.Rollout)
	done := make(chan error, 1)
	go func() { done <- kube.WatchRollout(ctx, c.Client, c.Namespace, name, updates) }()
	var shown string
	for {
		select {
		case ro := <-updates:
			if line := view.StatusLine(ro, style); line != shown {
				shown = line
				fmt.Fprintln(a.Out, line)
			}
			if v := state.Of(ro).Verdict(); v != state.Progressing {
				cancel()
				if code := verdictCode(v); code != 0 {
					return &exitError{code: code}
				}
				return nil
			}
		case err := <-done:
			if err == nil && ctx.Err() != nil {
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return &exitError{code: ExitTimeout, err: fmt.Errorf("rollout %s: still progressing after %s", name, timeout)}
				}
				return ctx.Err()
			}
			return err
		}
	}
}

func verdictCode(v state.Verdict) int {
	switch v {
	case state.Healthy:
		return ExitHealthy
	case state.Degraded:
		return ExitDegraded
	case state.Paused:
		return ExitPaused
	}
	return ExitProgressing
}
