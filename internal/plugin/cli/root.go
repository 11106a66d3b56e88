// Package cli is the command line of kubectl weir: cobra commands with the standard
// kubectl connection flags (k8s.io/cli-runtime), help text with examples, and exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/view"
)

// Options are what the commands need from outside; tests replace each of them.
type Options struct {
	Version string
	In      io.Reader
	Out     io.Writer
	ErrOut  io.Writer
	// Now is the clock for ages, progress bars and request timestamps.
	Now func() time.Time
	// Terminal forces (or denies) colour and symbols; nil asks whether Out is a terminal.
	Terminal *bool
}

// app is the state shared by the commands of one invocation.
type app struct {
	Options
	flags   *genericclioptions.ConfigFlags
	noColor bool
	cluster *kube.Cluster
}

// NewRoot builds the kubectl-weir command tree.
func NewRoot(o Options) *cobra.Command {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.In == nil {
		o.In = os.Stdin
	}
	a := &app{Options: o, flags: genericclioptions.NewConfigFlags(true)}
	root := &cobra.Command{
		Use:   "kubectl-weir",
		Short: "Watch and steer Weir progressive deliveries",
		Long: `kubectl weir shows Weir Rollouts and acts on their releases.

Acting on a release (promote, abort, retry, pause, resume) writes a request into the
Rollout's status: the spec, which Git holds, never changes, and the Weir controller carries
the request out and records an Event. Requests that make no sense in the Rollout's state are
refused here, with the reason, before anything is written.`,
		Example: `  kubectl weir list rollouts -A
  kubectl weir get rollout web --watch
  kubectl weir promote web
  kubectl weir status web --watch --timeout 15m && echo released`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl weir"},
	}
	root.SetIn(o.In)
	root.SetOut(o.Out)
	root.SetErr(o.ErrOut)
	a.flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVar(&a.noColor, "no-color", false, "Plain text: no colours or symbols, even on a terminal")
	root.AddGroup(&cobra.Group{ID: "view", Title: "Looking at Rollouts:"},
		&cobra.Group{ID: "act", Title: "Acting on a release (written into status.request):"},
		&cobra.Group{ID: "spec", Title: "Changing the spec (GitOps: prefer changing Git):"},
		&cobra.Group{ID: "other", Title: "Other:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("view", a.listCommand(), a.getCommand(), a.statusCommand(), a.dashboardCommand())
	add("act", a.requestCommands()...)
	add("spec", a.undoCommand(), a.setCommand(), a.restartCommand())
	add("other", a.lintCommand(), a.convertCommand(), a.versionCommand(), a.completionCommand(root))
	root.SetHelpCommandGroupID("other")
	root.CompletionOptions.DisableDefaultCmd = true // ours below limits it to bash, zsh and fish
	return root
}

// Execute runs the command line and returns the process exit code; errors go to ErrOut.
func Execute(ctx context.Context, o Options, args []string) int {
	root := NewRoot(o)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintln(o.ErrOut, "error:", exit.err)
		}
		return exit.code
	}
	fmt.Fprintln(o.ErrOut, "error:", err)
	return 1
}

// exitError carries an exit code other than 1; err nil means nothing more to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// connect makes the cluster connection on first use: lint, version and completion never do.
// connected is a command's RunE that reaches the cluster first.
func (a *app) connected(run func(cmd *cobra.Command, c *kube.Cluster, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.connect()
		if err != nil {
			return err
		}
		return run(cmd, c, args)
	}
}

func (a *app) connect() (*kube.Cluster, error) {
	if a.cluster == nil {
		c, err := kube.Connect(a.flags, "kubectl-weir/"+a.Version)
		if err != nil {
			return nil, err
		}
		a.cluster = c
	}
	return a.cluster, nil
}

// style decides between colour and plain text.
func (a *app) style() view.Style {
	if a.noColor {
		return view.Plain
	}
	if a.Terminal != nil {
		if *a.Terminal {
			return view.Terminal
		}
		return view.Plain
	}
	if a.isTerminal() {
		return view.Terminal
	}
	return view.Plain
}

func (a *app) isTerminal() bool {
	if a.Terminal != nil {
		return *a.Terminal
	}
	f, ok := a.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// singleName is the argument check of verbs that act on one Rollout.
func singleName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s needs exactly one Rollout name (see '%s --help')", cmd.Name(), cmd.CommandPath())
	}
	return nil
}
