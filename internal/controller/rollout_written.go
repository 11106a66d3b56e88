package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// writtenVersions remembers the resourceVersion of each Rollout's last status write until the
// informer cache has caught up with it. A reconcile that reads an older copy would decide
// from a status Weir already replaced, and its resourceVersion-guarded status write would only
// meet a 409: waiting a few milliseconds for the cache is cheaper than that round trip.
type writtenVersions struct {
	m sync.Map // types.NamespacedName → written
}

type written struct {
	rv string
	at time.Time
}

// catchUpLimit bounds the wait for a cache that doesn't catch up (a broken watch): past it,
// the reconcile goes ahead and the API's optimistic lock decides.
const catchUpLimit = 2 * time.Second

func (w *writtenVersions) wrote(key types.NamespacedName, rv string, now time.Time) {
	w.m.Store(key, written{rv: rv, at: now})
}

// behind reports whether the cached copy at rv is older than Weir's last write of it.
func (w *writtenVersions) behind(key types.NamespacedName, rv string, now time.Time) bool {
	v, ok := w.m.Load(key)
	if !ok {
		return false
	}
	last := v.(written)
	cmp, err := resourceversion.CompareResourceVersion(rv, last.rv)
	if err != nil || cmp >= 0 || now.Sub(last.at) > catchUpLimit {
		// Caught up, versions that don't compare (some other storage), or waited enough.
		w.m.CompareAndDelete(key, v)
		return false
	}
	return true
}

func (w *writtenVersions) forget(key types.NamespacedName) { w.m.Delete(key) }
