package planner

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// waitingRecheck bounds how long a waiting Rollout goes without a fresh look.
const waitingRecheck = 10 * time.Second

// countReplicas sums the pods of every revision.
func (d *decision) countReplicas() {
	var total, ready, available, updated int32
	for _, rs := range d.in.ReplicaSets {
		total += rs.Total
		ready += rs.Ready
		available += rs.Available
		if rs.Hash == d.in.CurrentHash {
			updated = rs.Total
		}
	}
	d.s.Replicas, d.s.ReadyReplicas, d.s.AvailableReplicas, d.s.UpdatedReplicas = total, ready, available, updated
}

// trackProgress moves ProgressedAt when anything advanced, and applies the progress
// deadline to waiting states: exceeded, it is reported and, if configured, aborts.
func (d *decision) trackProgress() {
	old := d.r.Status
	moved := old.AvailableReplicas != d.s.AvailableReplicas || old.UpdatedReplicas != d.s.UpdatedReplicas ||
		verifiedOf(old.Canary) != verifiedOf(d.s.Canary)
	if moved || d.s.ProgressedAt == nil {
		d.s.ProgressedAt = d.now()
	}
	if !d.waiting {
		return
	}
	limit := seconds(d.r.Spec.ProgressDeadline())
	deadline := d.s.ProgressedAt.Add(limit)
	if d.in.Now.Before(deadline) {
		// Watches wake the reconciler when pods or routes change; a look every few seconds
		// while waiting is a cheap safety net should a change be missed.
		d.plan.recheck(min(deadline.Sub(d.in.Now), waitingRecheck))
		return
	}
	msg := fmt.Sprintf("no progress for %s while %s", limit, lowerFirst(d.message))
	d.exceeded = msg
	releasing := d.in.CurrentHash != d.s.StableRS
	if d.r.Spec.ProgressDeadlineAbort && releasing && d.s.Aborted == nil {
		d.abort(weirv1.ReasonProgressDeadlineExceeded, msg)
		d.plan.requeue(time.Second) // the next decision pulls the traffic
	}
	if c := findCondition(d.r.Status.Conditions, weirv1.ConditionProgressing); c == nil || c.Reason != weirv1.ReasonProgressDeadlineExceeded {
		d.plan.warning(weirv1.ReasonProgressDeadlineExceeded, msg)
	}
	d.phase, d.reason, d.message = weirv1.PhaseDegraded, weirv1.ReasonProgressDeadlineExceeded, msg
}

func verifiedOf(c *weirv1.CanaryStatus) weirv1.WeightPair {
	if c == nil || c.Weights == nil || c.Weights.Verified == nil {
		return weirv1.WeightPair{Stable: -1, Canary: -1}
	}
	return *c.Weights.Verified
}

// setConditions writes phase, message and conditions from what the decision found.
func (d *decision) setConditions() {
	d.s.Phase, d.s.Message = d.phase, d.message
	gen := d.r.Generation
	set := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&d.s.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason,
			Message: msg, ObservedGeneration: gen, LastTransitionTime: metav1.NewTime(d.in.Now)})
	}
	healthy := d.phase == weirv1.PhaseHealthy
	// Stalled in kstatus terms: degraded, or waiting on a person (paused) or on a provider
	// that doesn't answer. Tools that follow kstatus (Flux, kstatus itself) then flag the
	// release instead of showing it in progress for ever.
	stalled := d.phase == weirv1.PhaseDegraded || d.phase == weirv1.PhasePaused || d.blocked
	set(weirv1.ConditionReady, healthy, d.reason, d.message)
	set(weirv1.ConditionReconciling, !healthy && !stalled, d.reason, d.message)
	// Stalled and Paused say "not so" the same way whatever the release does: repeating the
	// live message in them would change them at every step for nothing.
	if stalled {
		set(weirv1.ConditionStalled, true, d.reason, d.message)
	} else {
		set(weirv1.ConditionStalled, false, weirv1.ReasonAsExpected, "not stalled")
	}
	if d.exceeded != "" {
		set(weirv1.ConditionProgressing, false, weirv1.ReasonProgressDeadlineExceeded, d.exceeded)
	} else {
		set(weirv1.ConditionProgressing, !stalled, d.reason, d.message)
	}
	if d.phase == weirv1.PhasePaused {
		set(weirv1.ConditionPaused, true, d.reason, d.message)
	} else {
		set(weirv1.ConditionPaused, false, weirv1.ReasonAsExpected, "not paused")
	}
	minAvailable := d.replicas
	if c := d.r.Spec.Strategy.Canary; c != nil {
		minAvailable -= ScaledValue(c.MaxUnavailable, weirv1.DefaultMaxUnavailable, d.replicas, false)
	}
	set(weirv1.ConditionAvailable, d.s.AvailableReplicas >= minAvailable, availabilityReason(d.s.AvailableReplicas >= minAvailable),
		fmt.Sprintf("%d pods available, %d required", d.s.AvailableReplicas, minAvailable))
	if a := d.s.Aborted; a != nil {
		set(weirv1.ConditionAborted, true, a.Reason, a.Message)
	} else {
		set(weirv1.ConditionAborted, false, weirv1.ReasonAsExpected, "not aborted")
	}
	if d.invalid {
		set(weirv1.ConditionInvalidSpec, true, d.reason, d.message)
	} else {
		set(weirv1.ConditionInvalidSpec, false, weirv1.ReasonAsExpected, "spec and references usable")
	}
	if d.plan.Traffic != nil {
		set(weirv1.ConditionTrafficVerified, d.verified, d.trafficReason, d.trafficMessage)
	} else {
		meta.RemoveStatusCondition(&d.s.Conditions, weirv1.ConditionTrafficVerified)
	}
}

func availabilityReason(ok bool) string {
	if ok {
		return weirv1.ReasonAsExpected
	}
	return weirv1.ReasonNotAvailable
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
