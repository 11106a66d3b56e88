package planner

import (
	"fmt"
	"strings"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// maxEvidence bounds status.policy.evidence (the CRD's limit).
const maxEvidence = 16

// evaluatePolicies runs the policy rules for a revision being released and records what
// they found in status. Once a revision is admitted its evidence stays as it was then (a
// soak "for 1h12m" recomputed would change the status at every reconcile); without a
// release only the policies' names are shown.
func (d *decision) evaluatePolicies() {
	if len(d.in.Policies) == 0 {
		d.s.Policy = nil
		return
	}
	if d.s.Policy == nil {
		d.s.Policy = &weirv1.PolicyStatus{}
	}
	ps := d.s.Policy
	ps.Policies = ps.Policies[:0]
	for _, p := range d.in.Policies {
		ps.Policies = append(ps.Policies, p.Name)
	}
	hash := d.in.CurrentHash
	if o := ps.Override; o != nil && o.Revision != hash {
		ps.Override = nil // it let one revision through, and only that one
	}
	if ps.Admitted != hash {
		ps.Admitted, ps.Evidence = "", nil
	}
	d.verdict = PolicyVerdict{Windows: WindowState{Open: true}}
	if hash == d.s.StableRS {
		return
	}
	d.verdict = EvaluatePolicies(PolicyInput{Policies: d.in.Policies, Rollout: d.r.Name,
		Containers: d.r.Spec.Template.Spec.Containers, Upstreams: d.in.Upstreams, Now: d.in.Now})
	if ps.Admitted != hash {
		ps.Evidence = d.verdict.Evidence[:min(len(d.verdict.Evidence), maxEvidence)]
	}
}

// overridden says whether a person let the current revision through the policies.
func (d *decision) overridden() bool {
	o := d.s.Policy
	return o != nil && o.Override != nil && o.Override.Revision == d.in.CurrentHash
}

// policyHolds decides whether the policies keep the current revision's release from
// starting. Held, the revision waits while the strategy's idle state (idle) keeps the stable
// one at full size with all traffic on it; the release starts by itself when the policies
// allow (a window opens, the upstream has soaked). Once admitted, only windows hold it, at
// step boundaries.
func (d *decision) policyHolds(idle func()) bool {
	ps := d.s.Policy
	if ps == nil || d.overridden() || ps.Admitted == d.in.CurrentHash {
		return false
	}
	v := d.verdict
	if !v.Held {
		ps.Admitted = d.in.CurrentHash
		d.plan.event("ReleaseAdmitted", fmt.Sprintf("policies %s let revision %s start: %s",
			strings.Join(ps.Policies, ", "), d.in.CurrentHash, strings.Join(ps.Evidence, "; ")))
		return false
	}
	idle()
	if !v.Wake.IsZero() {
		d.plan.requeue(v.Wake.Sub(d.in.Now))
	}
	if d.phase != weirv1.PhaseHealthy {
		// The stable revision isn't whole yet (an earlier canary still had traffic): what it
		// waits for is the state until it is, with why the release waits.
		d.message = fmt.Sprintf("release of %s held: %s; meanwhile: %s", d.in.CurrentHash, v.Message, d.message)
		return true
	}
	phase := weirv1.PhasePaused // it goes on by itself, or when a person overrides
	if v.Reason == weirv1.ReasonImageRefused {
		phase = weirv1.PhaseDegraded // Git has to change
	}
	msg := fmt.Sprintf("release of %s held, all traffic on stable %s: %s", d.in.CurrentHash, d.s.StableRS, v.Message)
	if d.r.Status.Message != msg {
		d.plan.event(v.Reason, msg)
	}
	d.phase, d.reason, d.message, d.waiting = phase, v.Reason, msg, false
	return true
}

// windowHolds keeps an admitted release at a step boundary while a window is closed: what
// is done is done, the next change waits for the window to open.
func (d *decision) windowHolds(done, next string) bool {
	w := d.verdict.Windows
	if d.s.Policy == nil || w.Open || d.overridden() {
		return false
	}
	msg := fmt.Sprintf("%s; %s waits for the release window (policy %s: %s%s)",
		done, next, d.verdict.WindowPolicy, w.Why, until("; opens ", w.Next))
	if !w.Next.IsZero() {
		d.plan.requeue(w.Next.Sub(d.in.Now))
	}
	if d.r.Status.Message != msg {
		d.plan.event(weirv1.ReasonReleaseWindowClosed, msg)
	}
	d.phase, d.reason, d.message, d.waiting = weirv1.PhasePaused, weirv1.ReasonReleaseWindowClosed, msg, false
	return true
}

// recordHealthy keeps status.healthyHistory: a period opens when the stable revision
// serves everything Healthy, and closes when the Rollout stops being so (a release starts,
// pods are lost). A downstream's requireUpstream reads it.
func (d *decision) recordHealthy() {
	h := d.s.HealthyHistory
	open := len(h) > 0 && h[len(h)-1].Until == nil
	healthy := d.phase == weirv1.PhaseHealthy && d.in.CurrentHash == d.s.StableRS && d.r.DeletionTimestamp == nil
	images := ImagesOf(d.r.Spec.Template.Spec.Containers)
	if open && healthy && h[len(h)-1].Revision == d.s.StableRS && sameImages(h[len(h)-1].Images, images) {
		return
	}
	if open {
		h[len(h)-1].Until = d.now()
	}
	if healthy {
		h = append(h, weirv1.HealthyPeriod{Revision: d.s.StableRS, Images: images, Since: *d.now(), Unproven: d.s.Unproven})
	}
	if len(h) > maxHealthyHistory {
		h = h[len(h)-maxHealthyHistory:]
	}
	d.s.HealthyHistory = h
}

// maxHealthyHistory bounds status.healthyHistory (the CRD's limit).
const maxHealthyHistory = 10
