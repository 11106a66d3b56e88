package controller_test

import (
	"context"
	"net/http/httptest"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
)

// TestReadyOnceCachesSynced: /readyz fails until the informers have synced from the real API
// server, then passes (issue 14, defect 10).
func TestReadyOnceCachesSynced(t *testing.T) {
	g := NewWithT(t)
	opts := controller.CacheOptionsFor(controller.Scope{})
	opts.Scheme = env.Scheme
	c, err := cache.New(env.Config, opts)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetInformer(context.Background(), &weirv1.Rollout{})
	g.Expect(err).NotTo(HaveOccurred())
	ready := controller.CachesSynced(c)
	probe := func() error { return ready(httptest.NewRequest("GET", "/readyz", nil)) }

	g.Expect(probe()).To(MatchError(ContainSubstring("not synced")), "not started: not ready")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c.Start(ctx) }()
	g.Eventually(probe, timeout, poll).Should(Succeed())
}
