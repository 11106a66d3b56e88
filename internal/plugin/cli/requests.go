package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/ops"
)

// requestVerb describes one verb that writes status.request.
type requestVerb struct {
	use, short, long, example string
	action                    weirv1.RequestAction
}

var requestVerbs = []requestVerb{
	{
		use:    "promote NAME",
		short:  "Move a release past its current step (or to the end with --full)",
		action: weirv1.RequestPromote,
		long: `Move the release to the next step: a pause ends, a waiting or failed-to-decide analysis
step is skipped. With --full every remaining step is skipped and the new revision takes all
traffic at once.

For a blue-green Rollout, promote moves one stage on: from the preview, users switch to the
new revision once all its pods are available; during the post-promotion analysis, the
release ends without waiting for it. --full goes straight to the end.

Refused when there is no release in progress (the Rollout is Healthy) or when the release
is aborted (retry it first).

With --override-policy --reason "…", the release is let through the ReleasePolicies that
hold it (a closed release window, an upstream not soaked, a refused image): the hotfix path.
Who asked, when and why are recorded in status.policy.override and a Warning Event; it holds
for the current revision only, the next one is held by the policies again.`,
		example: `  # at step 3/5, a pause until promoted: go on to step 4/5
  kubectl weir promote web
  # skip every remaining step
  kubectl weir promote web --full
  # a hotfix on a Friday: let this revision through the release window
  kubectl weir promote web --override-policy --reason "hotfix for INC-123"`,
	},
	{
		use:    "abort NAME",
		short:  "Stop a release: all traffic back to the stable revision",
		action: weirv1.RequestAbort,
		long: `Abort the release in progress: all traffic goes back to the stable (blue-green: active)
revision, and the new revision's pods are scaled down abortScaleDownDelaySeconds after that
is verified.
The Rollout is Degraded until the release is retried or a new revision is pushed.

Refused when there is no release in progress or it is already aborted.`,
		example: `  kubectl weir abort web`,
	},
	{
		use:    "retry NAME",
		short:  "Start an aborted release again from its first step",
		action: weirv1.RequestRetry,
		long: `Retry an aborted release of the same revision from step 1.

Refused when the release is not aborted.`,
		example: `  kubectl weir retry web`,
	},
	{
		use:    "pause NAME",
		short:  "Hold a release at its current step until resumed",
		action: weirv1.RequestPause,
		long: `Hold the release where it is: its step, weights and pods stay as they are until
'kubectl weir resume'.

Refused when there is no release in progress or it is already paused.`,
		example: `  kubectl weir pause web`,
	},
	{
		use:    "resume NAME",
		short:  "Continue a paused release (an operator pause or an undecided analysis)",
		action: weirv1.RequestResume,
		long: `Continue a release paused by an operator, or by an analysis that ended in Error or
Inconclusive (that analysis then runs again; promote skips it instead).

Refused when the release is not paused. A pause step without a duration (or a blue-green
preview with autoPromotionEnabled: false) is not a pause of this kind: it waits for
'kubectl weir promote'.`,
		example: `  kubectl weir resume web`,
	},
}

func (a *app) requestCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, v := range requestVerbs {
		cmds = append(cmds, a.requestCommand(v))
	}
	return cmds
}

func (a *app) requestCommand(v requestVerb) *cobra.Command {
	var full, override bool
	var reason string
	cmd := &cobra.Command{
		Use:               v.use,
		Short:             v.short,
		Long:              v.long + "\n\nThe request is written into status.request, with who asked (the user the API server\nknows you as); the controller acts on it within a moment and records an Event.",
		Example:           v.example,
		Args:              singleName,
		ValidArgsFunction: a.completeRolloutAfter(0),
		RunE: a.connected(func(cmd *cobra.Command, c *kube.Cluster, args []string) error {
			action := v.action
			switch {
			case full && override:
				return errors.New("--full and --override-policy are two requests: override first, then promote --full")
			case full:
				action = weirv1.RequestPromoteFull
			case override && reason == "":
				return errors.New("--override-policy needs --reason: say why the policies are set aside (it is recorded)")
			case override:
				action = weirv1.RequestOverridePolicy
			case reason != "":
				return errors.New("--reason goes with --override-policy")
			}
			name := args[0]
			by := c.User(cmd.Context())
			next, err := ops.RequestWithReason(cmd.Context(), c.Client, c.Namespace, name, action, by, reason, a.Now())
			var refused *ops.Refused
			if errors.As(err, &refused) {
				return fmt.Errorf("%s %s refused: %s", ops.Command(action), name, refused.Reason)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "rollout %s: %s requested by %s\nnext: %s\n", name, action, by, next)
			return nil
		}),
	}
	if v.action == weirv1.RequestPromote {
		cmd.Flags().BoolVar(&full, "full", false, "Skip every remaining step")
		cmd.Flags().BoolVar(&override, "override-policy", false, "Let the current revision through the ReleasePolicies that hold it (needs --reason)")
		cmd.Flags().StringVar(&reason, "reason", "", "Why the policies are set aside (recorded in status and an Event)")
	}
	return cmd
}
