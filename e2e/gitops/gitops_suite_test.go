package gitops

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var ctx = context.Background()

var platform *Platform

// TestGitOps walks the blog platform's GitOps workflow against a real Argo CD.
func TestGitOps(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Weir under Argo CD")
}

var _ = BeforeSuite(func() {
	var err error
	platform, err = Start(func(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) })
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		platform.Stop()
		fmt.Fprintf(GinkgoWriter, "stack stopped; logs were in %s\n", platform.Stack.LogDir)
	})
})
