package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/weir-dev/weir/internal/planner"
)

// heldStatuses remembers since when each Rollout's decided status has been held back
// (planner.Plan.StatusCanWait: it only reports pod counts, or a weight on its way through
// the gateway), so that it is written at the latest planner.MaxStatusWait later, whatever
// comes meanwhile. Kept in memory only: after a restart the first decision writes.
type heldStatuses struct {
	m sync.Map // types.NamespacedName → time.Time
}

// hold returns how much longer the status may stay unwritten; 0 means write it now.
func (h *heldStatuses) hold(key types.NamespacedName, now time.Time) time.Duration {
	since, _ := h.m.LoadOrStore(key, now)
	return max(planner.MaxStatusWait-now.Sub(since.(time.Time)), 0)
}

// release forgets a hold: the status was written, or needs no holding.
func (h *heldStatuses) release(key types.NamespacedName) { h.m.Delete(key) }
