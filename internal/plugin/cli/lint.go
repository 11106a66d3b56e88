package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/plugin/lint"
)

func (a *app) lintCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check Rollout and AnalysisTemplate manifests offline, with line numbers",
		Long: `Check Rollout, AnalysisTemplate, ClusterAnalysisTemplate and ReleasePolicy manifests
without a cluster.
Each problem is printed as file:line: field: message; the exit code is 1 when there is any.

The checks are the CRDs' own (their OpenAPI schemas, CEL rules and unknown fields, from the
CRDs built into this binary) plus Weir's: exactly one strategy, exactly one action per step,
weights 0-100, distinct stable and canary Services, durations such as 30s or 5m, a selector
that matches the template's labels, at least one metric with a query and a success or
failure condition (unless dryRun), an interval when count > 1, CEL conditions that compile
and queries that use only declared arguments, time zones that exist, and no image a
ReleasePolicy among the files refuses (in the Rollout's namespace, by its selector; a
document without a namespace counts as in any). Documents of other kinds in the same files
(Services, HTTPRoutes…) are skipped. '-' reads standard input.`,
		Example: `  kubectl weir lint deploy/rollout.yaml deploy/analysis.yaml
  kustomize build overlays/prod | kubectl weir lint -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "", "json"); err != nil {
				return err
			}
			var sources []lint.Source
			for _, name := range args {
				var data []byte
				var err error
				if name == "-" {
					data, err = io.ReadAll(a.In)
				} else {
					data, err = os.ReadFile(name)
				}
				if err != nil {
					return err
				}
				sources = append(sources, lint.Source{Name: name, Data: data})
			}
			r := lint.Lint(sources)
			if output == "json" {
				if err := printStructured(a.Out, "json", r); err != nil {
					return err
				}
			} else {
				for _, p := range r.Problems {
					fmt.Fprintln(a.Out, p.String())
				}
			}
			if len(r.Problems) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d problems in %d Weir documents", len(r.Problems), r.Checked)}
			}
			if r.Checked == 0 {
				return errors.New("no Rollout, AnalysisTemplate, ClusterAnalysisTemplate or ReleasePolicy found")
			}
			fmt.Fprintf(a.ErrOut, "%d Weir documents checked, no problems (%d other documents skipped)\n", r.Checked, r.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: json")
	return cmd
}
