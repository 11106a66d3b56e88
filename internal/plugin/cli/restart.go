package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/ops"
)

func (a *app) restartCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Replace the stable revision's pods, without a new release",
		Long: `Restart the pods of the stable revision — to pick up a changed Secret or ConfigMap, or to
shake off a bad state — without changing the pod template, so no new revision and no
release.

Pods are deleted in batches of canary.maxUnavailable (25% of the replicas by default, at
least one pod). Their ReplicaSet recreates them at once; the next batch waits until as many
pods as before are Ready again, so capacity never drops by more than maxUnavailable. Only
the stable revision's pods restart: a canary in progress keeps its pods.`,
		Example: `  kubectl weir restart web
  kubectl weir restart web --timeout 20m`,
		Args:              singleName,
		ValidArgsFunction: a.completeRolloutAfter(0),
		RunE: a.connected(func(cmd *cobra.Command, c *kube.Cluster, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			n, err := ops.Restart(ctx, c.Client, c.Namespace, args[0], func(msg string) { fmt.Fprintln(a.Out, msg) })
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "rollout %s: %d pods restarted\n", args[0], n)
			return nil
		}),
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "How long to wait for the replacement pods")
	return cmd
}
