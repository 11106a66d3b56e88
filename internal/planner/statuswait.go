package planner

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// MaxStatusWait bounds how long a status that Plan.StatusCanWait may go unwritten: the
// route's verification usually comes within tens of milliseconds and is written with it; a
// gateway slower than this gets the unverified state shown, and pods that keep coming up get
// their counts written about once a second rather than once per pod.
const MaxStatusWait = time.Second

// statusCanWait says whether the decided status may wait for a later decision, because it
// differs from the recorded one only in what it reports of a passing moment:
//
//   - pod counts and what follows from them alone (messages, condition reasons, the progress
//     time), however many pods are coming and going: written at most once a second, not once
//     per pod;
//   - while a weight just asked of the routes isn't verified yet, also the weight asked and
//     TrafficVerified: the verification a moment later is written together with it, one
//     status write instead of two per weight change.
//
// It never holds back what a later decision reads from the status (revision, step, start
// times, abort, pause, requests, scale-downs), a phase or a condition turning True or False
// (but TrafficVerified while its weight is in flight), or a decision that records Events
// (they are recorded once their status is).
func (d *decision) statusCanWait() bool {
	if len(d.plan.Events) > 0 || equality.Semantic.DeepEqual(d.r.Status, d.s) {
		return false // something to record, or nothing to write at all
	}
	inFlight := d.plan.Traffic != nil && !d.verified
	return equality.Semantic.DeepEqual(reportless(d.r.Status, inFlight), reportless(d.s, inFlight))
}

// reportless is a status without what statusCanWait lets wait.
func reportless(s weirv1.RolloutStatus, inFlight bool) weirv1.RolloutStatus {
	out := *s.DeepCopy()
	out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas = 0, 0, 0, 0
	out.Message, out.ProgressedAt = "", nil
	out.Conditions = nil
	for _, c := range s.Conditions {
		if inFlight && c.Type == weirv1.ConditionTrafficVerified {
			continue
		}
		out.Conditions = append(out.Conditions, metav1.Condition{Type: c.Type, Status: c.Status})
	}
	if inFlight && out.Canary != nil {
		out.Canary.Weights = nil
	}
	if inFlight && out.BlueGreen != nil {
		out.BlueGreen.Weights = nil
	}
	return out
}
