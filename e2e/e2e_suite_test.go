// Package e2e releases the demo app through a real Gateway API data plane (Traefik) with
// real Prometheus analysis, sending real HTTP requests, on a local control plane.
package e2e

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/weir-dev/weir/e2e/stack"
)

var env *stack.Stack

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Weir e2e")
}

var _ = BeforeSuite(func() {
	var err error
	env, err = stack.Start(func(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) })
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		env.Stop()
		fmt.Fprintf(GinkgoWriter, "stack stopped; logs were in %s\n", env.LogDir)
	})
})
