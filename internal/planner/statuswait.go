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

// statusCanWait says whether the decided status may wait for a later decision, because
// whatever differs from the recorded one (if anything: whether anything does is for the
// writer to compare, once) is only what it reports of a passing moment:
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
	if len(d.plan.Events) > 0 {
		return false // recorded once their status is
	}
	old, now := d.r.Status, d.s
	inFlight := d.plan.Traffic != nil && !d.verified
	return sameConditionStates(old.Conditions, now.Conditions, inFlight) &&
		equality.Semantic.DeepEqual(reportless(old, inFlight), reportless(now, inFlight))
}

// sameConditionStates says both lists hold the same conditions with the same status (their
// reasons and messages may differ), TrafficVerified aside while its weight is in flight.
func sameConditionStates(old, now []metav1.Condition, inFlight bool) bool {
	counted := 0
	for _, c := range now {
		if inFlight && c.Type == weirv1.ConditionTrafficVerified {
			continue
		}
		counted++
		if o := findCondition(old, c.Type); o == nil || o.Status != c.Status {
			return false
		}
	}
	for _, c := range old {
		if !(inFlight && c.Type == weirv1.ConditionTrafficVerified) {
			counted--
		}
	}
	return counted == 0
}

// reportless is a status without what statusCanWait lets wait (conditions are compared by
// sameConditionStates). It copies only what it changes: a decision runs at every reconcile.
func reportless(s weirv1.RolloutStatus, inFlight bool) weirv1.RolloutStatus {
	out := s
	out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas = 0, 0, 0, 0
	out.Message, out.ProgressedAt, out.Conditions = "", nil, nil
	if inFlight && s.Canary != nil {
		c := *s.Canary
		c.Weights = nil
		out.Canary = &c
	}
	if inFlight && s.BlueGreen != nil {
		b := *s.BlueGreen
		b.Weights = nil
		out.BlueGreen = &b
	}
	return out
}
