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
	if !RunSpecs(t, "Weir under Argo CD") {
		// Said again last: CI keeps only the tail of a run's output, where Ginkgo's summary
		// names a failure's place but not its message.
		for _, f := range failures {
			fmt.Printf("failed: %s\n", f)
		}
	}
}

// failures are the failed specs' (and suite nodes') names and messages, for TestGitOps to
// repeat.
var failures []string

var _ = ReportAfterSuite("failures", func(r Report) {
	for _, s := range r.SpecReports {
		if s.Failed() {
			failures = append(failures, fmt.Sprintf("%s %s: %s", s.LeafNodeType, s.LeafNodeText, s.FailureMessage()))
		}
	}
})

var _ = BeforeSuite(func() {
	var err error
	platform, err = Start(func(format string, args ...any) { GinkgoWriter.Printf(format+"\n", args...) })
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		platform.Stop()
		fmt.Fprintf(GinkgoWriter, "stack stopped; logs were in %s\n", platform.Stack.LogDir)
	})
})
