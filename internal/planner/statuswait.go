package planner

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// MaxStatusWait bounds how long a status that Plan.StatusCanWait may go unwritten: the
// route's verification usually comes within tens of milliseconds and is written with it; a
// gateway slower than this gets the unverified state shown.
const MaxStatusWait = time.Second

// statusCanWait says whether the decided status may wait for the next decision: a weight
// was just asked of the routes and isn't verified yet, and the status differs from the
// recorded one only in what it reports of that moment (pod counts, messages, condition
// reasons, the progress time, the route weights). The verification a moment later is
// written together with it, one status write instead of two per weight change.
//
// It never holds back what a later decision reads from the status (revision, step, start
// times, abort, pause, requests, scale-downs), a phase or a condition turning True or False,
// or a decision that records Events (they are recorded once their status is).
func (d *decision) statusCanWait() bool {
	if d.plan.Traffic == nil || d.verified || len(d.plan.Events) > 0 || equality.Semantic.DeepEqual(d.r.Status, d.s) {
		return false // nothing in flight, something to record, or nothing to write at all
	}
	return equality.Semantic.DeepEqual(reportless(d.r.Status), reportless(d.s))
}

// reportless is a status without what statusCanWait lets wait.
func reportless(s weirv1.RolloutStatus) weirv1.RolloutStatus {
	out := *s.DeepCopy()
	out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas = 0, 0, 0, 0
	out.Message, out.ProgressedAt = "", nil
	out.Conditions = nil
	for _, c := range s.Conditions {
		if c.Type != weirv1.ConditionTrafficVerified {
			out.Conditions = append(out.Conditions, metav1.Condition{Type: c.Type, Status: c.Status})
		}
	}
	if out.Canary != nil {
		out.Canary.Weights = nil
	}
	if out.BlueGreen != nil {
		out.BlueGreen.Weights = nil
	}
	return out
}
