package planner

import (
	"fmt"
	"strings"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// DeletionGiveUp bounds how long a deleted Rollout waits for its routes and Services to read
// back as given back: a gateway that never accepts the route again must not keep the Rollout
// (and its namespace) from going.
const DeletionGiveUp = 2 * time.Minute

// deleting is the state of a Rollout being deleted: before it goes, everything Weir changed
// on objects it doesn't own is given back. All traffic goes to the stable (active) Service,
// Weir's header and mirror rules leave the routes, and both Services' selectors lose Weir's
// hash label, so they select every pod of the app: a Deployment started beside the Rollout
// takes over as the Rollout's pods go (docs/deployment-to-rollout.md). The ReplicaSets go
// with the Rollout; a workloadRef's Deployment is scaled back up first (scaleWorkload), and
// the Rollout waits for its pods. Routes or Services already gone count as given back.
func (d *decision) deleting(stableSvc, otherSvc string, routing *weirv1.TrafficRouting) {
	d.stableSvc = stableSvc
	if d.r.Spec.Strategy.Canary != nil && d.s.Canary == nil {
		d.s.Canary = &weirv1.CanaryStatus{}
	}
	if d.r.Spec.Strategy.BlueGreen != nil && d.s.BlueGreen == nil {
		d.s.BlueGreen = &weirv1.BlueGreenStatus{}
	}
	d.holdReplicas()
	d.setTraffic(routing, 0, nil, nil)
	if d.s.Canary != nil {
		d.s.Canary.HeaderRoutes, d.s.Canary.MirrorRoutes = nil, nil
	}
	var pending []string
	for _, route := range d.in.Routes {
		if !route.Found || route.Problem != "" {
			continue
		}
		if !route.Accepted || route.Weights == nil || *route.Weights != (weirv1.WeightPair{Stable: 100}) || len(route.InjectedRules) > 0 {
			pending = append(pending, fmt.Sprintf("%s %s to send all traffic to %s", route.Kind, route.Name, stableSvc))
		}
	}
	for _, name := range []string{stableSvc, otherSvc} {
		d.plan.Selectors[name] = ""
		if svc, ok := d.in.Services[name]; ok && svc.Hash != "" {
			pending = append(pending, fmt.Sprintf("Service %s to select every pod of the app (it selects revision %s)", name, svc.Hash))
		}
	}
	if _, waiting := handOver(d.r, d.in.Workload, d.replicas, d.rolloutAvailable()); waiting != "" {
		pending = append(pending, waiting) // its pods first: the Rollout's go with it
	}
	d.phase, d.reason = weirv1.PhaseProgressing, weirv1.ReasonRestoringTraffic
	if c := findCondition(d.r.Status.Conditions, weirv1.ConditionProgressing); c == nil || c.Reason != weirv1.ReasonRestoringTraffic {
		d.plan.event(weirv1.ReasonRestoringTraffic, fmt.Sprintf("Rollout deleted: all traffic back to %s and the Services' selectors given back before it goes", stableSvc))
	}
	since := d.r.DeletionTimestamp.Time
	switch {
	case len(pending) == 0:
		d.message = "deleting: traffic and selectors given back"
		d.plan.ReleaseFinalizer = true
	case !d.in.Now.Before(since.Add(DeletionGiveUp)):
		d.message = "deleting: gave up waiting for " + strings.Join(pending, ", ")
		d.plan.warning(weirv1.ReasonRestoringTraffic, fmt.Sprintf("Rollout deleted after %s without reading back %s", DeletionGiveUp, strings.Join(pending, ", ")))
		d.plan.ReleaseFinalizer = true
	default:
		d.message = "deleting: waiting for " + strings.Join(pending, ", ")
		d.plan.recheck(min(2*time.Second, since.Add(DeletionGiveUp).Sub(d.in.Now)))
	}
}
