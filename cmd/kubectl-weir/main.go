// Command kubectl-weir is the kubectl plugin for Weir: on PATH, it runs as `kubectl weir …`.
// The commands live in internal/plugin/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/weir-dev/weir/internal/plugin/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	// Ctrl-C ends a --watch cleanly (exit 0) instead of killing it mid-redraw.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Options{Version: version, In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
