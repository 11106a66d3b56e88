package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/view"
)

// clearScreen moves the cursor home and clears the terminal before a redraw.
const clearScreen = "\x1b[H\x1b[2J"

func (a *app) getCommand() *cobra.Command {
	var watch bool
	var output string
	cmd := &cobra.Command{
		Use:   "get rollout NAME",
		Short: "Show a Rollout as a tree: revisions, analysis runs, metrics and routes",
		Long: `Show one Rollout and what it owns, as a tree:

  the Rollout (strategy, phase, message, current step, canary weights)
  └── its revisions (ReplicaSets: revision number, stable/canary, pods ready/desired, images)
      └── their AnalysisRuns (phase)
          └── metrics, with their latest measurements (value, phase, when)
  └── the HTTPRoutes with the weights they carry now

On a terminal the phases carry colours and symbols (✔ ✖ ⏸ ◌); piped, or with --no-color,
the output is plain text. --watch redraws whenever the Rollout or anything it owns changes
(API watch events, no polling) and shows the progress of a timed pause; Ctrl-C stops it.

Only the Rollout's own objects are read: ReplicaSets by its selector, AnalysisRuns by
their rollouts.weir.dev/rollout label, and the routes its strategy names.`,
		Example: `  kubectl weir get rollout web
  kubectl weir get rollout web -n shop --watch
  kubectl weir get rollout web -o json | jq .revisions`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 || (args[0] != "rollout" && args[0] != "rollouts" && args[0] != "ro") {
				return fmt.Errorf("usage: kubectl weir get rollout NAME [--watch] [-o json|yaml]")
			}
			return nil
		},
		ValidArgsFunction: a.completeRolloutAfter(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "", "json", "yaml"); err != nil {
				return err
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			name := args[1]
			if watch {
				if output != "" {
					return errors.New("--watch prints the tree; leave out -o")
				}
				return a.watchTree(cmd.Context(), c, name)
			}
			tree, err := kube.FetchTree(cmd.Context(), c.Client, c.Namespace, name)
			if err != nil {
				return err
			}
			v := view.Build(tree, a.Now())
			if output != "" {
				return printStructured(a.Out, output, v)
			}
			return view.WriteTree(a.Out, v, a.style())
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "Redraw on every change until interrupted")
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: json or yaml")
	return cmd
}

// watchTree redraws the tree on every change. On a terminal it redraws in place and ticks
// every second while a timed pause runs, so its progress bar moves; in a pipe each change
// is printed once, after a blank line.
func (a *app) watchTree(ctx context.Context, c *kube.Cluster, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	trees := make(chan *kube.Tree)
	done := make(chan error, 1)
	go func() { done <- kube.WatchTree(ctx, c.Client, c.Namespace, name, trees) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	style := a.style()
	terminal := a.isTerminal()
	var last *kube.Tree
	var shown string
	draw := func() error {
		v := view.Build(last, a.Now())
		var b strings.Builder
		if err := view.WriteTree(&b, v, style); err != nil {
			return err
		}
		if b.String() == shown {
			return nil
		}
		prefix := "\n"
		if terminal {
			prefix = clearScreen
		} else if shown == "" {
			prefix = ""
		}
		shown = b.String()
		_, err := fmt.Fprint(a.Out, prefix+shown)
		return err
	}
	for {
		select {
		case err := <-done:
			if errors.Is(err, kube.ErrRolloutDeleted) {
				return fmt.Errorf("rollout %s was deleted", name)
			}
			return err
		case t := <-trees:
			last = t
			if err := draw(); err != nil {
				return err
			}
		case <-tick.C:
			// Only a terminal redraws on the clock: a log would fill with progress bars.
			if last != nil && terminal {
				if err := draw(); err != nil {
					return err
				}
			}
		}
	}
}
