package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/ops"
	"github.com/weir-dev/weir/internal/plugin/state"
	"github.com/weir-dev/weir/internal/revision"
)

// gitOpsWarning is printed whenever the plugin changes a spec that Git may hold.
const gitOpsWarning = "warning: this changed the Rollout's spec in the cluster only. If a GitOps tool (Argo CD, Flux) manages it, it will put back what Git holds (releasing that again): make the same change in Git."

func (a *app) undoCommand() *cobra.Command {
	var toRevision int
	var inCluster bool
	cmd := &cobra.Command{
		Use:   "undo NAME",
		Short: "Show the change that goes back to an earlier revision (or make it with --in-cluster)",
		Long: `Go back to an earlier revision of the pod template.

Git is the source of truth, so by default undo changes nothing: it prints how the current
spec.template differs from the target revision's (the images first, then a unified diff of
the template) — the exact change to make in Git.

The target is --to-revision N (the rollouts.weir.dev/revision number 'kubectl weir get
rollout' shows), or by default: the stable revision while a release is in progress (the
release is dropped), else the revision before the current one.

--in-cluster writes the target template into spec.template directly. A GitOps tool will
revert that to what Git holds; use it to stop the bleeding, then change Git.`,
		Example: `  kubectl weir undo web
  kubectl weir undo web --to-revision 3
  kubectl weir undo web --in-cluster`,
		Args:              singleName,
		ValidArgsFunction: a.completeRolloutAfter(0),
		RunE: a.connected(func(cmd *cobra.Command, c *kube.Cluster, args []string) error {
			u, err := ops.PlanUndo(cmd.Context(), c.Client, c.Namespace, args[0], toRevision)
			if err != nil {
				return err
			}
			printUndo(a, u, inCluster)
			if !inCluster {
				return nil
			}
			if u.Diff == "" {
				return nil
			}
			if err := ops.ApplyUndo(cmd.Context(), c.Client, u); err != nil {
				return err
			}
			st := state.Of(u.Rollout)
			next := fmt.Sprintf("revision %d's template is released again through the steps", u.TargetRevision)
			if target := u.Target.Labels[revision.HashLabel]; target == st.StableHash && u.Exact {
				next = fmt.Sprintf("the template is the stable revision %s again: the release in progress is dropped and all traffic stays on stable", target)
			}
			fmt.Fprintf(a.Out, "spec.template of rollout %s set to revision %d\nnext: %s\n", args[0], u.TargetRevision, next)
			fmt.Fprintln(a.ErrOut, gitOpsWarning)
			return nil
		}),
	}
	cmd.Flags().IntVar(&toRevision, "to-revision", 0, "Revision number to go back to (default: stable during a release, else the previous one)")
	cmd.Flags().BoolVar(&inCluster, "in-cluster", false, "Write the template into the cluster's spec (a GitOps tool will revert it)")
	return cmd
}

func printUndo(a *app, u *ops.Undo, inCluster bool) {
	fmt.Fprintf(a.Out, "Undo rollout %s to revision %d (%s): %s.\n", u.Rollout.Name, u.TargetRevision, u.Target.Name, u.Why)
	if u.Diff == "" {
		fmt.Fprintln(a.Out, "The current spec.template is already that revision's: nothing to change.")
		return
	}
	for _, img := range u.Images {
		fmt.Fprintln(a.Out, "  "+img)
	}
	if !u.Exact {
		fmt.Fprintln(a.Out, "note: the ReplicaSet's template carries defaults the API server added that can't all be told apart from what was written; the diff shows them.")
	}
	if !inCluster {
		fmt.Fprintln(a.Out, "\nGit is the source of truth: make this change to the Rollout's manifest and let your GitOps tool apply it:")
	}
	fmt.Fprintln(a.Out)
	fmt.Fprint(a.Out, indentDiff(u.Diff))
	if !inCluster {
		fmt.Fprintf(a.Out, "\nTo change the cluster only (a GitOps tool will revert it): kubectl weir undo %s --to-revision %d --in-cluster\n",
			u.Rollout.Name, u.TargetRevision)
	}
}

// indentDiff indents the template diff as it sits in a manifest, under spec.template.
func indentDiff(diff string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(diff, "\n") {
		if line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "@@"):
			b.WriteString(line)
		default:
			b.WriteString(line[:1] + "    " + line[1:])
		}
	}
	return b.String()
}

func (a *app) setCommand() *cobra.Command {
	set := &cobra.Command{
		Use:   "set",
		Short: "Change a Rollout's spec (image)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("usage: kubectl weir set image NAME CONTAINER=IMAGE…")
		},
	}
	image := &cobra.Command{
		Use:   "image NAME CONTAINER=IMAGE...",
		Short: "Change container images: a new revision, released through the steps",
		Long: `Change the image of one or more containers (or init containers) in spec.template. That is
a new revision: Weir releases it through the strategy's steps.

Under GitOps this creates drift from Git, which the GitOps tool will revert: change the
image in Git instead, or as well.`,
		Example: `  kubectl weir set image web web=registry.example/web:1.4.2
  kubectl weir set image web web=web:2 migrate=web-migrate:2`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("usage: kubectl weir set image NAME CONTAINER=IMAGE…")
			}
			return nil
		},
		ValidArgsFunction: a.completeRolloutAfter(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			images, err := ops.ParseImages(args[1:])
			if err != nil {
				return err
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			changes, err := ops.SetImage(cmd.Context(), c.Client, c.Namespace, args[0], images)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "rollout %s:\n", args[0])
			for _, ch := range changes {
				fmt.Fprintln(a.Out, "  "+ch)
			}
			if !strings.Contains(strings.Join(changes, "\n"), "→") {
				fmt.Fprintln(a.Out, "nothing changed")
				return nil
			}
			fmt.Fprintf(a.Out, "next: a new revision is released through the steps (kubectl weir get rollout %s --watch)\n", args[0])
			fmt.Fprintln(a.ErrOut, gitOpsWarning)
			return nil
		},
	}
	set.AddCommand(image)
	return set
}
