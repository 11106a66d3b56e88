package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// checkReferences finds what the strategy names but can't be used.
func (d *decision) checkReferences(stableSvc, canarySvc string, routing *weirv1.TrafficRouting) (reason, problem string) {
	for _, name := range []string{stableSvc, canarySvc} {
		if _, ok := d.in.Services[name]; !ok {
			return weirv1.ReasonReferenceNotFound, fmt.Sprintf("Service %s/%s not found", d.r.Namespace, name)
		}
	}
	if routing == nil {
		return "", ""
	}
	for _, route := range d.in.Routes {
		if !route.Found {
			return weirv1.ReasonReferenceNotFound, fmt.Sprintf("%s %s/%s not found", route.Kind, d.r.Namespace, route.Name)
		}
		if route.Problem != "" {
			return weirv1.ReasonInvalidSpec, fmt.Sprintf("%s %s/%s: %s", route.Kind, d.r.Namespace, route.Name, route.Problem)
		}
	}
	return "", ""
}

// setTraffic records the desired route state and whether what was read back matches it.
func (d *decision) setTraffic(routing *weirv1.TrafficRouting, canaryWeight int32, headers []weirv1.SetHeaderRoute, mirrors []weirv1.SetMirrorRoute) {
	want := weirv1.WeightPair{Stable: 100 - canaryWeight, Canary: canaryWeight}
	if routing == nil {
		d.plan.Traffic = nil
		d.verified, d.trafficReason, d.trafficMessage = true, weirv1.ReasonVerified, "no traffic routing"
		return
	}
	held, unresolved, why := d.holdUnresolved(want)
	want = held
	d.plan.Traffic = &Traffic{Weights: want, HeaderRoutes: headers, MirrorRoutes: mirrors}
	if d.s.Canary != nil {
		d.s.Canary.HeaderRoutes, d.s.Canary.MirrorRoutes = names(headers, mirrors)
	}

	injected := injectedKeys(headers, mirrors)
	observed, agree := (*weirv1.WeightPair)(nil), true
	d.verified, d.trafficReason, d.trafficMessage = true, weirv1.ReasonVerified, fmt.Sprintf("weights %d/%d verified on every route", want.Stable, want.Canary)
	if unresolved != nil {
		d.blocked = true // a person must fix the route or the Service: kstatus Stalled
		d.fail(weirv1.ReasonBackendNotResolved, fmt.Sprintf("%s %s: a backend doesn't resolve (%s): no more traffic goes to the canary until it does",
			unresolved.Kind, unresolved.Name, why))
	}
	for _, route := range d.in.Routes {
		wantRules := injected
		if route.WeightsOnly {
			wantRules = nil
		}
		switch {
		case !route.Accepted:
			d.fail(weirv1.ReasonNotAccepted, fmt.Sprintf("%s %s not Accepted by its gateway for its current generation%s", route.Kind, route.Name, suffix(route.AcceptanceMessage)))
		case route.Weights == nil:
			d.fail(weirv1.ReasonWeightMismatch, fmt.Sprintf("%s %s: the rules Weir sets disagree", route.Kind, route.Name))
		case *route.Weights != want:
			d.fail(weirv1.ReasonWeightMismatch, fmt.Sprintf("%s %s has weights %d/%d, want %d/%d",
				route.Kind, route.Name, route.Weights.Stable, route.Weights.Canary, want.Stable, want.Canary))
		case !sameSet(route.InjectedRules, wantRules):
			d.fail(weirv1.ReasonWeightMismatch, fmt.Sprintf("%s %s has injected rules [%s], want [%s]",
				route.Kind, route.Name, strings.Join(route.InjectedRules, ","), strings.Join(wantRules, ",")))
		}
		if route.Accepted && route.Weights != nil {
			if observed == nil {
				observed = route.Weights
			} else if *observed != *route.Weights {
				agree = false
			}
		}
	}
	slot := d.weightsStatus()
	if *slot == nil {
		*slot = &weirv1.Weights{}
	}
	w := *slot
	if w.Desired != want {
		w.VerifiedAt = nil
	}
	w.Desired = want
	w.Verified = nil
	if observed != nil && agree {
		w.Verified, w.LastVerified = ptr.To(*observed), ptr.To(*observed) // two fields, two values: neither aliases the other
	}
	if d.verified && w.VerifiedAt == nil {
		w.VerifiedAt = d.now()
	}
}

// holdUnresolved keeps the canary weight at what was last verified while a backend of a
// route doesn't resolve: traffic may go back to stable, never further to the canary. The
// routes may carry a weight written in the moment before the gateway noticed the broken
// backend; that weight was never verified and goes back. unresolved is the first such route
// and why says what doesn't resolve.
func (d *decision) holdUnresolved(want weirv1.WeightPair) (held weirv1.WeightPair, unresolved *Route, why string) {
	for i := range d.in.Routes {
		if why = d.unresolvedBackend(d.in.Routes[i]); why != "" {
			unresolved = &d.in.Routes[i]
			break
		}
	}
	if unresolved == nil {
		return want, nil, ""
	}
	floor := min(want.Canary, d.lastVerifiedCanary())
	for _, route := range d.in.Routes {
		have := int32(0) // a route whose weights can't be read counts as 0
		if route.Weights != nil {
			have = route.Weights.Canary
		}
		floor = min(floor, have)
	}
	return weirv1.WeightPair{Stable: 100 - floor, Canary: floor}, unresolved, why
}

// unresolvedBackend says which backend of a route doesn't resolve: what its gateway
// reports, or else a port the route names that its Service doesn't have. Weir sees the
// second itself, so no weight moves before a gateway has said so.
func (d *decision) unresolvedBackend(route Route) string {
	if route.Unresolved != "" {
		return route.Unresolved
	}
	for _, name := range slices.Sorted(maps.Keys(route.BackendPorts)) {
		svc, ok := d.in.Services[name]
		if !ok || len(svc.Ports) == 0 {
			continue // a missing Service is ReferenceNotFound; one with no ports, the gateway's call
		}
		for _, port := range route.BackendPorts[name] {
			if !slices.Contains(svc.Ports, port) {
				return fmt.Sprintf("Service %s/%s has no port %d", d.r.Namespace, name, port)
			}
		}
	}
	return ""
}

// lastVerifiedCanary is the canary weight the routes were last read back with, their
// gateways accepting it (status weights.lastVerified); 0 when they never were.
func (d *decision) lastVerifiedCanary() int32 {
	if w := *d.weightsStatus(); w != nil && w.LastVerified != nil {
		return w.LastVerified.Canary
	}
	return 0
}

// weightsStatus is where the strategy records its route weights.
func (d *decision) weightsStatus() **weirv1.Weights {
	if d.s.BlueGreen != nil && d.r.Spec.Strategy.BlueGreen != nil {
		return &d.s.BlueGreen.Weights
	}
	return &d.s.Canary.Weights
}

// trafficWait is the reason of a release waiting on its traffic: the routes aren't there
// yet, or a backend doesn't resolve and Weir holds the weight.
func (d *decision) trafficWait() string {
	if d.trafficReason == weirv1.ReasonBackendNotResolved {
		return weirv1.ReasonBackendNotResolved
	}
	return weirv1.ReasonWaitingForTraffic
}

// trafficProgress says where a weight waiting to be verified is.
func (d *decision) trafficProgress() string {
	if d.trafficReason == weirv1.ReasonBackendNotResolved {
		return "held"
	}
	return "written, not yet verified"
}

func (d *decision) fail(reason, message string) {
	if d.verified { // keep the first problem: it is what to fix first
		d.verified, d.trafficReason, d.trafficMessage = false, reason, message
	}
}

// verifiedCanaryWeight is the canary weight read back from every route.
func (d *decision) verifiedCanaryWeight() int32 {
	if w := *d.weightsStatus(); w != nil && w.Verified != nil {
		return w.Verified.Canary
	}
	return -1
}

// InjectedRoutes folds the header and mirror steps up to and including step i: a later step
// with the same name replaces an earlier one, and an empty match (or percent 0) removes it.
func InjectedRoutes(steps []weirv1.CanaryStep, i int32) ([]weirv1.SetHeaderRoute, []weirv1.SetMirrorRoute) {
	headers := map[string]weirv1.SetHeaderRoute{}
	mirrors := map[string]weirv1.SetMirrorRoute{}
	for j := 0; j <= int(i) && j < len(steps); j++ {
		if h := steps[j].SetHeaderRoute; h != nil {
			if len(h.Match) == 0 {
				delete(headers, h.Name)
			} else {
				headers[h.Name] = *h
			}
		}
		if m := steps[j].SetMirrorRoute; m != nil {
			if m.Percent == 0 {
				delete(mirrors, m.Name)
			} else {
				mirrors[m.Name] = *m
			}
		}
	}
	var hs []weirv1.SetHeaderRoute
	for _, h := range headers {
		hs = append(hs, h)
	}
	var ms []weirv1.SetMirrorRoute
	for _, m := range mirrors {
		ms = append(ms, m)
	}
	sort.Slice(hs, func(a, b int) bool { return hs[a].Name < hs[b].Name })
	sort.Slice(ms, func(a, b int) bool { return ms[a].Name < ms[b].Name })
	return hs, ms
}

func names(headers []weirv1.SetHeaderRoute, mirrors []weirv1.SetMirrorRoute) (hs, ms []string) {
	for _, h := range headers {
		hs = append(hs, h.Name)
	}
	for _, m := range mirrors {
		ms = append(ms, m.Name)
	}
	return hs, ms
}

// injectedKeys says what the injected rules wanted now do, one key each (InjectedRuleKeys).
func injectedKeys(headers []weirv1.SetHeaderRoute, mirrors []weirv1.SetMirrorRoute) []string {
	all := make([]string, 0, len(headers)+len(mirrors))
	for _, h := range headers {
		all = append(all, HeaderRuleKey(h))
	}
	for _, m := range mirrors {
		all = append(all, MirrorRuleKey(m))
	}
	sort.Strings(all)
	return all
}

// HeaderRuleKey says in one line what the rule of a setHeaderRoute step does: its name and
// every header it matches. Verification compares these keys, read back from the route
// (routing.Observe) against the steps', so that a changed match under the same name is
// not taken for applied.
func HeaderRuleKey(h weirv1.SetHeaderRoute) string {
	return "header " + h.Name + " " + matchKey(h.Match)
}

// MirrorRuleKey is HeaderRuleKey for a setMirrorRoute step: name, percent and matches.
func MirrorRuleKey(m weirv1.SetMirrorRoute) string {
	return fmt.Sprintf("mirror %s %d%% %s", m.Name, m.Percent, matchKey(m.Match))
}

func matchKey(match []weirv1.HeaderMatch) string {
	parts := make([]string, 0, len(match))
	for _, h := range match {
		typ := h.Type
		if typ == "" {
			typ = "Exact" // the API's default
		}
		parts = append(parts, fmt.Sprintf("%s %s %q", h.Name, typ, h.Value))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// maxWeightHistory bounds status weights' history (the CRD's limit).
const maxWeightHistory = 64

// recordWeights appends the decided canary weight, and what was verified of it, to the
// release's history when either changed: once per decision, after every step it took.
func (d *decision) recordWeights() {
	w := *d.weightsStatus()
	if w == nil {
		return
	}
	rec := weirv1.WeightRecord{At: *d.now(), Desired: w.Desired.Canary}
	if w.Verified != nil && *w.Verified == w.Desired {
		rec.Verified = ptr.To(w.Verified.Canary)
	}
	if n := len(w.History); n > 0 && w.History[n-1].Desired == rec.Desired && ptr.Equal(w.History[n-1].Verified, rec.Verified) {
		return
	}
	w.History = append(w.History, rec)
	if len(w.History) > maxWeightHistory {
		w.History = w.History[len(w.History)-maxWeightHistory:]
	}
}
