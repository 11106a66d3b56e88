package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish. Rollout names complete from the cluster.

kubectl completes plugin commands through an executable named kubectl_complete-weir on
PATH that runs 'kubectl-weir __complete "$@"'; the scripts printed here complete the
kubectl-weir binary itself.`,
		Example: `  source <(kubectl-weir completion bash)
  kubectl-weir completion zsh > "${fpath[1]}/_kubectl-weir"
  kubectl-weir completion fish > ~/.config/fish/completions/kubectl-weir.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.Out, true)
			case "zsh":
				return root.GenZshCompletion(a.Out)
			case "fish":
				return root.GenFishCompletion(a.Out, true)
			}
			return fmt.Errorf("unknown shell %q", args[0])
		},
	}
}

// completeRolloutAfter completes Rollout names for the argument at position n.
func (a *app) completeRolloutAfter(n int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) != n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if n == 1 && args[0] != "rollout" && args[0] != "rollouts" && args[0] != "ro" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := a.connect()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var list weirv1.RolloutList
		if err := c.Client.List(cmd.Context(), &list, client.InNamespace(c.Namespace)); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []cobra.Completion
		for _, ro := range list.Items {
			names = append(names, ro.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
