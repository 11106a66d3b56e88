package cli_test

import (
	"os"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/plugin/cli"
)

// TestEveryVerbHasHelpWithExamples keeps --help useful as verbs are added.
func TestEveryVerbHasHelpWithExamples(t *testing.T) {
	g := NewWithT(t)
	root := cli.NewRoot(cli.Options{Out: &syncBuffer{}, ErrOut: &syncBuffer{}})
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "set" {
				walk(sub)
				continue
			}
			seen++
			g.Expect(sub.Short).NotTo(BeEmpty(), sub.CommandPath())
			g.Expect(sub.Example).To(ContainSubstring("weir"), sub.CommandPath()+" needs an example")
			walk(sub)
		}
	}
	walk(root)
	g.Expect(seen).To(Equal(16)) // list get status dashboard promote abort retry pause resume undo set-image restart lint convert version completion

	res := weir("promote", "--help")
	g.Expect(res.code).To(Equal(0))
	g.Expect(res.out).To(ContainSubstring("kubectl weir promote NAME [flags]"), "usage names the plugin as kubectl runs it")
	g.Expect(res.out).To(ContainSubstring("--full"))
	g.Expect(res.out).To(ContainSubstring("--override-policy"))
	g.Expect(weir("promote", "web", "--override-policy").err).To(ContainSubstring("--override-policy needs --reason"))
	g.Expect(weir("dashboard", "--help").out).To(And(ContainSubstring("127.0.0.1"), ContainSubstring("your kubeconfig and your RBAC")))
	g.Expect(weir("status", "--help").out).To(ContainSubstring("3  --watch only: --timeout passed"))
}

func TestVersionAndCompletion(t *testing.T) {
	g := NewWithT(t)
	res := weir("version")
	g.Expect(res.code).To(Equal(0))
	g.Expect(res.out).To(HavePrefix("kubectl-weir test ("))
	for shell, marker := range map[string]string{"bash": "__start_kubectl-weir", "zsh": "#compdef kubectl-weir", "fish": "complete -c kubectl-weir"} {
		res := weir("completion", shell)
		g.Expect(res.code).To(Equal(0), shell)
		g.Expect(res.out).To(ContainSubstring(marker), shell)
	}
	res = weir("completion", "powershell")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring(`invalid argument "powershell"`))
}

// TestCompletionOfRolloutNames asks the plugin what cobra asks it when Tab is pressed.
func TestCompletionOfRolloutNames(t *testing.T) {
	r := newRelease(t, "")
	r.unmanagedRollout("web:1", 1)
	res := weir("__complete", "-n", r.NS, "promote", "")
	r.G.Expect(res.code).To(Equal(0), res.String())
	r.G.Expect(res.out).To(HavePrefix("web\n"))
	res = weir("__complete", "-n", r.NS, "get", "rollout", "w")
	r.G.Expect(res.out).To(HavePrefix("web\n"))
}

// TestLintCommand: exit codes, standard input and JSON (the rules have their own table
// test in internal/plugin/lint).
func TestLintCommand(t *testing.T) {
	g := NewWithT(t)
	good := "../testdata/lint/good-mixed.yaml"
	res := weir("lint", good, "../testdata/lint/good-rollout.yaml")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(BeEmpty())
	g.Expect(res.err).To(Equal("3 Weir documents checked, no problems (1 other documents skipped)\n"))

	bad, err := os.ReadFile("../testdata/lint/bad-template.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	res = invocation{stdin: string(bad)}.run("lint", "-")
	g.Expect(res.code).To(Equal(1), res.String())
	g.Expect(res.out).To(HavePrefix("-:9: spec.metrics[0].interval: a metric with count greater than 1 needs an interval\n"))
	g.Expect(res.err).To(MatchRegexp(`error: \d+ problems in 1 Weir documents`))

	res = weir("lint", "-o", "json", "../testdata/lint/bad-syntax.yaml")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.out).To(ContainSubstring(`"line": 7`))

	res = weir("lint", "missing.yaml")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("missing.yaml: no such file"))
	res = invocation{stdin: "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"}.run("lint", "-")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("no Rollout, AnalysisTemplate, ClusterAnalysisTemplate or ReleasePolicy found"))
}

// TestSetImageErrors: unknown containers and malformed arguments change nothing.
func TestSetImageErrors(t *testing.T) {
	r := newRelease(t, "")
	r.unmanagedRollout("web:1", 1)
	res := weir("-n", r.NS, "set", "image", "web", "sidecar=x:1")
	r.G.Expect(res.code).To(Equal(1))
	r.G.Expect(res.err).To(ContainSubstring("rollout web has no container named sidecar (it has: web)"))
	res = weir("-n", r.NS, "set", "image", "web", "web:2")
	r.G.Expect(res.code).To(Equal(1))
	r.G.Expect(res.err).To(ContainSubstring(`"web:2" is not CONTAINER=IMAGE`))
	res = weir("-n", r.NS, "set", "image", "web", "web=web:1")
	r.G.Expect(res.code).To(Equal(0), res.String())
	r.G.Expect(res.out).To(Equal("rollout web:\n  container web: already web:1\nnothing changed\n"))
	r.G.Expect(r.Get().Generation).To(Equal(int64(1)))
	r.G.Expect(strings.Contains(res.err, "GitOps")).To(BeFalse())
}
