package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestWrittenVersions(t *testing.T) {
	var w writtenVersions
	key := types.NamespacedName{Namespace: "shop", Name: "web"}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if w.behind(key, "100", t0) {
		t.Error("nothing written: never behind")
	}
	w.wrote(key, "120", t0)
	if !w.behind(key, "99", t0.Add(time.Millisecond)) || !w.behind(key, "119", t0.Add(time.Millisecond)) {
		t.Error("a cached copy older than Weir's write is behind")
	}
	if w.behind(key, "120", t0.Add(time.Millisecond)) {
		t.Error("the written version itself is caught up")
	}
	if w.behind(key, "119", t0.Add(time.Millisecond)) {
		t.Error("once caught up, the entry is forgotten")
	}
	w.wrote(key, "130", t0)
	if w.behind(key, "129", t0.Add(catchUpLimit+time.Millisecond)) {
		t.Error("a cache that never catches up is waited for only catchUpLimit")
	}
	w.wrote(key, "140", t0)
	if w.behind(key, "not-a-number", t0) {
		t.Error("versions that don't compare never block")
	}
}
