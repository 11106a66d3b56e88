package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/convert"
)

func (a *app) convertCommand() *cobra.Command {
	var output string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "convert FILE|DIR|-...",
		Short: "Translate Argo Rollouts and Flagger manifests into Weir's, offline",
		Long: `Translate the peers' objects into Weir's and print them; nothing is sent to a cluster.

Argo Rollouts' Rollout, AnalysisTemplate and ClusterAnalysisTemplate, and Flagger's Canary
(with the MetricTemplates and the Deployment it uses, when they are among the inputs) become
a Weir Rollout, AnalysisTemplates and the Services and HTTPRoute Weir needs. A route through
Istio, NGINX or SMI becomes an HTTPRoute, written for you to name its Gateway. Every other
object is printed unchanged, except those a translation takes the place of (the Deployment a
Canary or workloadRef names, an Istio VirtualService).

A report on standard error says, field by field, what was translated differently, what was
dropped and why, and what a person must decide; nothing is left out without a line. The
output passes kubectl weir lint. A directory is read for *.yaml, *.yml and *.json files,
recursively; '-' reads standard input.`,
		Example: `  kubectl weir convert rollout.yaml analysis.yaml > weir.yaml
  kubectl weir convert charts/app/templates/ -o json
  helm template app ./chart | kubectl weir convert - > weir.yaml 2> report.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "", "yaml", "json"); err != nil {
				return err
			}
			var inputs []convert.Input
			for _, name := range args {
				in, err := a.readInputs(name)
				if err != nil {
					return err
				}
				inputs = append(inputs, in...)
			}
			res, err := convert.Convert(inputs)
			if err != nil {
				return err
			}
			if err := convert.Write(a.Out, res.Objects, output); err != nil {
				return err
			}
			if !quiet {
				res.Report.Write(a.ErrOut)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "Output format: yaml or json")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "No report on standard error")
	return cmd
}

// readInputs reads a file, every manifest below a directory, or standard input ("-").
func (a *app) readInputs(name string) ([]convert.Input, error) {
	if name == "-" {
		data, err := io.ReadAll(a.In)
		return []convert.Input{{Name: "-", Data: data}}, err
	}
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(name)
		return []convert.Input{{Name: name, Data: data}}, err
	}
	var paths []string
	err = filepath.WalkDir(name, func(path string, d fs.DirEntry, err error) error {
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
			if err == nil && !d.IsDir() {
				paths = append(paths, path)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *.yaml, *.yml or *.json files", name)
	}
	sort.Strings(paths)
	var out []convert.Input
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, convert.Input{Name: p, Data: data})
	}
	return out, nil
}
