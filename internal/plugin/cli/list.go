package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/view"
)

func (a *app) listCommand() *cobra.Command {
	var allNamespaces bool
	var output string
	cmd := &cobra.Command{
		Use:     "list rollouts",
		Aliases: []string{"ls"},
		Short:   "List Rollouts with their step, canary weight and phase",
		Long: `List Rollouts in one namespace, or in all of them with -A.

STEP is the current canary step (1-based) of the number of steps; WEIGHT is the canary's
traffic share as desired/verified: what Weir wrote on the routes, and what it read back
from every route (- until verified). -o wide adds the status message.

The list is one API call however many Rollouts there are, so it stays fast on large
clusters.`,
		Example: `  kubectl weir list rollouts
  kubectl weir list rollouts -A -o wide
  kubectl weir list rollouts -n shop -o json | jq '.items[].status.phase'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || (args[0] != "rollouts" && args[0] != "rollout" && args[0] != "ro") {
				return fmt.Errorf("usage: kubectl weir list rollouts [-A] [-o wide|json|yaml]")
			}
			return nil
		},
		ValidArgs: []string{"rollouts"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "", "wide", "json", "yaml"); err != nil {
				return err
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			var list weirv1.RolloutList
			var opts []client.ListOption
			if !allNamespaces {
				opts = append(opts, client.InNamespace(c.Namespace))
			}
			if err := c.Client.List(cmd.Context(), &list, opts...); err != nil {
				return fmt.Errorf("listing rollouts: %w", err)
			}
			switch output {
			case "json", "yaml":
				list.APIVersion, list.Kind = weirv1.GroupVersion.String(), "RolloutList"
				for i := range list.Items {
					list.Items[i].APIVersion, list.Items[i].Kind = weirv1.GroupVersion.String(), "Rollout"
					list.Items[i].ManagedFields = nil
				}
				return printStructured(a.Out, output, &list)
			}
			if len(list.Items) == 0 {
				where := "namespace " + c.Namespace
				if allNamespaces {
					where = "any namespace"
				}
				fmt.Fprintf(a.ErrOut, "No rollouts found in %s.\n", where)
				return nil
			}
			return view.WriteTable(a.Out, list.Items, a.Now(), view.TableOptions{AllNamespaces: allNamespaces, Wide: output == "wide"}, a.style())
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "List Rollouts of every namespace")
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: wide, json or yaml")
	return cmd
}

// checkOutput refuses an -o value the command can't print.
func checkOutput(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q (allowed: %q)", got, allowed[1:])
}

// printStructured prints v as indented JSON or as YAML.
func printStructured(w io.Writer, format string, v any) error {
	if format == "yaml" {
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
