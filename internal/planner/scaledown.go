package planner

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// keepUntil keeps an old revision running for delay (scaleDownDelaySeconds), recorded in
// status.scaleDowns.
func (d *decision) keepUntil(hash string, delay time.Duration) {
	at := metav1.NewMicroTime(d.in.Now.Add(delay))
	for i := range d.s.ScaleDowns {
		if d.s.ScaleDowns[i].Revision == hash {
			d.s.ScaleDowns[i].At = at
			return
		}
	}
	d.s.ScaleDowns = append(d.s.ScaleDowns, weirv1.ScaleDown{Revision: hash, At: at})
}

// scaleDownOthers scales every revision but keep to zero, except old stable revisions still
// within their scale-down delay. An entry of status.scaleDowns goes once its revision has no
// pods left (or is gone), so dropping it rides along with the replica counts' own change.
func (d *decision) scaleDownOthers(keep ...string) {
	var pending []weirv1.ScaleDown
	for _, rs := range d.in.ReplicaSets {
		if contains(keep, rs.Hash) {
			continue
		}
		at, recorded := d.scaleDownAt(rs)
		if at != nil && d.in.Now.Before(*at) {
			d.plan.Scale[rs.Hash] = rs.Replicas
			d.plan.requeue(at.Sub(d.in.Now))
		} else {
			d.plan.Scale[rs.Hash] = 0
		}
		if recorded != nil && (rs.Total > 0 || d.plan.Scale[rs.Hash] > 0) {
			pending = append(pending, *recorded)
		}
	}
	d.s.ScaleDowns = pending
}

// scaleDownAt is when an old revision may scale down: from status.scaleDowns, else from the
// annotation older Weir versions wrote.
func (d *decision) scaleDownAt(rs ReplicaSet) (*time.Time, *weirv1.ScaleDown) {
	for i := range d.s.ScaleDowns {
		if e := d.s.ScaleDowns[i]; e.Revision == rs.Hash {
			return &e.At.Time, &e
		}
	}
	return rs.ScaleDownAt, nil
}
