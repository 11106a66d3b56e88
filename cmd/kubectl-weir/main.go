// Command kubectl-weir is the kubectl plugin for Weir (kubectl weir …).
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println("kubectl-weir", version)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: kubectl weir version (more verbs arrive with the plugin issue)")
	os.Exit(2)
}
