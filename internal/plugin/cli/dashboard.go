package cli

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/weir-dev/weir/internal/dashboard"
	"github.com/weir-dev/weir/internal/plugin/kube"
)

func (a *app) dashboardCommand() *cobra.Command {
	var port int
	var address string
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a web page of the Rollouts and their releases on 127.0.0.1",
		Long: `Serve the dashboard: every Rollout of the namespace (or, with -A, of every namespace) with
its strategy, step, desired and verified weight, phase and message, filtered by where the
release is; and a page per Rollout with its steps, a plot of the canary weight asked of the
routes and verified, each analysis metric's measurements against its condition, the
revisions, the Events, and buttons for promote, abort, retry, pause and resume (disabled, with
the reason, when the controller would refuse them).

Every read and write uses your kubeconfig and your RBAC, as kubectl weir does: the page can
do what you can. It listens on 127.0.0.1 only unless --address says otherwise; the page
updates itself when a Rollout changes (one watch, server-sent events).`,
		Example: `  kubectl weir dashboard -A
  kubectl weir dashboard -n blog-prod --port 8099`,
		Args: cobra.NoArgs,
		RunE: a.connected(func(cmd *cobra.Command, c *kube.Cluster, args []string) error {
			s := &dashboard.Server{Client: c.Client, Namespace: c.Namespace, User: c.User, Now: a.Now}
			if allNamespaces {
				s.Namespace = ""
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
			if err != nil {
				return err
			}
			go s.Watch(cmd.Context())
			where := "namespace " + s.Namespace
			if s.Namespace == "" {
				where = "every namespace"
			}
			fmt.Fprintf(a.Out, "Weir dashboard of %s: http://%s/\n(Ctrl-C stops it)\n", where, ln.Addr())
			srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() { <-cmd.Context().Done(); _ = srv.Close() }()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&port, "port", 8099, "Port to listen on (0: any free port)")
	cmd.Flags().StringVar(&address, "address", "127.0.0.1", "Address to listen on")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "Show the Rollouts of every namespace")
	return cmd
}
