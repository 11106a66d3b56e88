// Command demo shows Weir working on an embedded local control plane: it starts etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok from bin/, installs the
// CRDs, applies config/samples and shows what the API server now holds. Run it with
// `make demo`; everything it starts stops when it ends.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/weir-dev/weir/internal/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	step("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (127.0.0.1 only)")
	started := time.Now()
	env, err := testenv.Start(testenv.Options{Pods: true})
	if err != nil {
		return err
	}
	defer env.Stop()
	fmt.Printf("    control plane up in %s; Weir and Gateway API CRDs installed; logs in %s\n",
		time.Since(started).Round(100*time.Millisecond), env.LogDir)

	kubectl := func(args ...string) error {
		cmd := exec.Command(filepath.Join(testenv.BinDir(root), "kubectl"), append([]string{"--kubeconfig", env.Kubeconfig}, args...)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return cmd.Run()
	}
	step("applying config/samples (server-side apply)")
	if err := kubectl("apply", "--server-side", "-f", filepath.Join(root, "config", "samples")); err != nil {
		return err
	}
	step("what the API server holds")
	return kubectl("get", "rollouts,analysistemplates,services,httproutes", "-n", "default")
}

func step(msg string) { fmt.Printf("==> %s\n", msg) }
