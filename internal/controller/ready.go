package controller

import (
	"context"
	"errors"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
)

// CachesSynced is a readiness check: ready once every informer Weir reads from has synced.
// Before that a decision would be made on a partial view (a missing Service or route reads
// as not found). It waits at most a second per probe. Leadership is not part of it: a
// standby replica with synced caches is ready to take over.
func CachesSynced(c cache.Cache) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !c.WaitForCacheSync(ctx) {
			return errors.New("informer caches not synced yet")
		}
		return nil
	}
}
