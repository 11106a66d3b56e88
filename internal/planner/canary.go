package planner

import (
	"fmt"
	"time"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

func (d *decision) canary() {
	c := d.r.Spec.Strategy.Canary
	if d.s.Canary == nil {
		d.s.Canary = &weirv1.CanaryStatus{}
	}
	d.strategy(len(c.Steps), func() { d.idle(c) }, func() { d.release(c) })
}

// strategy runs either strategy over its stages: the start of every decision (begin), then
// its idle state when there is no release or the policies hold it, else the release.
func (d *decision) strategy(stages int, idle, release func()) {
	stable, other := d.r.Spec.Strategy.Services()
	if !d.begin(stable, other, d.r.Spec.Strategy.TrafficRouting(), stages) {
		return
	}
	if d.in.CurrentHash == d.s.StableRS {
		idle()
		return
	}
	if d.s.Aborted == nil && d.policyHolds(idle) {
		return
	}
	release()
}

// idle is the canary's state without a release.
func (d *decision) idle(c *weirv1.CanaryStrategy) {
	d.s.Canary.StepAnalysisRun, d.s.Canary.BackgroundAnalysisRun, d.s.Canary.PostPromotionAnalysisRun = "", "", ""
	d.s.Canary.HeaderRoutes, d.s.Canary.MirrorRoutes = nil, nil
	d.steady(c.StableService, c.CanaryService, c.TrafficRouting)
}

// steady is the state without a release, for both strategies: the stable revision at full
// size behind both Services, all traffic on it, older revisions scaled down once their delay
// has passed. Healthy once every pod is available and the traffic is verified.
func (d *decision) steady(stableSvc, otherSvc string, routing *weirv1.TrafficRouting) {
	stable := d.s.StableRS
	d.plan.Scale[stable] = d.replicas
	d.scaleDownOthers(stable)
	if !d.handingOver() {
		d.plan.Selectors[stableSvc] = stable
		d.plan.Selectors[otherSvc] = stable
	}
	d.setTraffic(routing, 0, nil, nil)
	// Healthy means all traffic on the stable revision as read back: the routes' weights,
	// and both Services selecting it (with routes too: they send traffic to the Services).
	d.verifySelector(nil, stableSvc, stable)
	d.verifySelector(nil, otherSvc, stable)
	switch avail := d.available(stable); {
	case avail < d.replicas && d.handingOver():
		d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
			fmt.Sprintf("taking over from Deployment %s: %d of %d pods of revision %s available; the Deployment's %d serve meanwhile",
				d.in.Workload.Name, avail, d.replicas, stable, d.in.Workload.Available))
	case avail < d.replicas:
		d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
			fmt.Sprintf("%d of %d pods of revision %s available", avail, d.replicas, stable))
	case !d.verified:
		d.wait(weirv1.PhaseProgressing, d.trafficWait(), d.trafficMessage)
	default:
		d.phase, d.reason = weirv1.PhaseHealthy, weirv1.ReasonHealthy
		d.message = fmt.Sprintf("revision %s serves all traffic with %d pods", stable, d.replicas)
	}
}

// release walks the steps of a canary release as far as what was observed allows.
func (d *decision) release(c *weirv1.CanaryStrategy) {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	steps := int32(len(c.Steps))
	i := min(max(ptr.Deref(d.s.CurrentStepIndex, 0), 0), steps)
	d.s.CurrentStepIndex = ptr.To(i)
	routed := c.TrafficRouting != nil

	// A Service selecting an old canary keeps it up until the selector has moved away.
	canarySvc := d.in.Services[c.CanaryService]
	keep := []string{stable, hash}
	if canarySvc.Hash != hash && canarySvc.Hash != "" {
		keep = append(keep, canarySvc.Hash)
		if rs := d.byHash[canarySvc.Hash]; rs != nil {
			d.plan.Scale[rs.Hash] = rs.Replicas
		}
	}
	d.scaleDownOthers(keep...)
	d.plan.Selectors[c.StableService] = stable

	d.backgroundVerdict(c)
	if d.s.Aborted != nil {
		d.aborted(c)
		return
	}

	for {
		weight := WeightAt(c.Steps, i)
		canaryWant := d.sizeRevisions(c, i, weight)
		d.stepVerdict(c, i, weight)
		if d.s.Aborted != nil {
			d.aborted(c)
			return
		}
		routeWeight := int32(0)
		if canarySvc.Hash == hash || !routed {
			routeWeight = min(weight, CapacityWeight(d.replicas, d.available(hash)))
		}
		if d.s.Paused != nil {
			routeWeight = min(routeWeight, d.pausedWeight())
			d.holdPausedCanary()
		}
		headers, mirrors := InjectedRoutes(c.Steps, i)
		d.setTraffic(c.TrafficRouting, routeWeight, headers, mirrors)
		// The canary Service moves to the new revision only once no traffic reaches it
		// through the routes, so the old canary never serves a share it wasn't sized for.
		if canarySvc.Hash == hash || !routed || (d.verified && d.verifiedCanaryWeight() == 0) {
			d.plan.Selectors[c.CanaryService] = hash
		}
		inForce := d.available(hash) >= canaryWant && (!routed || d.verified && routeWeight == weight)
		d.backgroundAnalysis(c, i, inForce)
		if d.s.Aborted != nil {
			d.aborted(c)
			return
		}
		if d.s.Paused != nil { // also past the last step: a pause holds the final weight too
			if a := stepAnalysisAt(c.Steps, i); a != nil {
				base, where, detail := d.stepRun(i, int(steps), weight)
				d.keepMeasuring(a, base, &d.s.Canary.StepAnalysisRun, where, detail)
			}
			if a := c.PostPromotionAnalysis; a != nil && i >= steps && d.bakeStarted() {
				d.keepMeasuring(a, d.runBase("post"), &d.s.Canary.PostPromotionAnalysisRun, "post-promotion", bakeDetail)
			}
			if d.s.Aborted != nil {
				d.aborted(c)
				return
			}
			d.showPause()
			return
		}
		if i >= steps {
			if c.PostPromotionAnalysis != nil && !d.bake(c, routeWeight, canaryWant) {
				if d.s.Aborted != nil { // the bake failed: straight back to stable
					d.aborted(c)
				}
				return
			}
			d.finish(c, canaryWant)
			return
		}
		done := d.stepDone(c, i, weight, routeWeight, canaryWant)
		if d.s.Aborted != nil { // the step's analysis failed
			d.aborted(c)
			return
		}
		if !done || d.windowHolds(canaryBoundary(i, steps)) {
			return
		}
		if !timedPause(c.Steps[i]) {
			d.plan.event("StepCompleted", fmt.Sprintf("step %d/%d done (%s)", i+1, steps, c.Steps[i].Describe()))
		}
		i++
		d.s.CurrentStepIndex = ptr.To(i)
		d.s.StepStartedAt = d.nowMicro()
		d.s.ProgressedAt = d.now()
	}
}

// showPause is the state of a release held by a pause: phase Paused, with the pause's reason
// and message.
func (d *decision) showPause() {
	d.phase, d.reason, d.message = weirv1.PhasePaused, d.s.Paused.Reason, d.s.Paused.Message
}

// pausedWeight holds a paused release where it was: the routes keep the canary weight last
// asked for, however many canary pods come up meanwhile.
func (d *decision) pausedWeight() int32 {
	if w := d.r.Status.Canary; w != nil && w.Weights != nil {
		return w.Weights.Desired.Canary
	}
	// No weight recorded (status lost): where the routes are now.
	for _, route := range d.in.Routes {
		if route.Weights != nil {
			return route.Weights.Canary
		}
	}
	return 0
}

// holdPausedCanary is pausedWeight without routes, where the pods' share is the traffic: the
// new revision doesn't grow while paused (the stable one may).
func (d *decision) holdPausedCanary() {
	if d.r.Spec.Strategy.Canary.TrafficRouting != nil {
		return
	}
	hash := d.in.CurrentHash
	current := int32(0)
	if rs := d.byHash[hash]; rs != nil {
		current = rs.Replicas
	}
	d.plan.Scale[hash] = min(d.plan.Scale[hash], current)
}

// sizeRevisions sets the replicas of the stable and canary revisions at step i (of weight)
// and returns the canary's target size.
func (d *decision) sizeRevisions(c *weirv1.CanaryStrategy, i, weight int32) int32 {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	if c.TrafficRouting != nil {
		// The routes decide traffic: stable stays at full size so an abort is instant; the
		// canary has what the weight needs, or what a setCanaryScale asks for.
		canary := CanaryPods(c.Steps, i, d.replicas)
		d.plan.Scale[stable] = d.replicas
		d.plan.Scale[hash] = canary
		return canary
	}
	var stableCurrent int32
	if rs := d.byHash[stable]; rs != nil {
		stableCurrent = rs.Replicas
	}
	surge := ScaledValue(c.MaxSurge, weirv1.DefaultMaxSurge, d.replicas, true)
	unavailable := ScaledValue(c.MaxUnavailable, weirv1.DefaultMaxUnavailable, d.replicas, false)
	stableSize, canary := BasicCanarySizes(d.replicas, weight, stableCurrent, d.available(hash), surge, unavailable)
	d.plan.Scale[stable] = stableSize
	d.plan.Scale[hash] = canary
	return CanaryReplicas(d.replicas, weight)
}

// stepDone reports whether step i is complete, setting the waiting state when it isn't.
func (d *decision) stepDone(c *weirv1.CanaryStrategy, i, weight, routeWeight, canaryWant int32) bool {
	step := c.Steps[i]
	steps := len(c.Steps)
	hash := d.in.CurrentHash
	switch {
	case step.SetWeight != nil:
		if avail := d.available(hash); avail < canaryWant {
			d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
				fmt.Sprintf("step %d/%d: %d of %d canary pods available for weight %d", i+1, steps, avail, canaryWant, weight))
			return false
		}
		if c.TrafficRouting != nil && (!d.verified || routeWeight != weight) {
			d.wait(weirv1.PhaseProgressing, d.trafficWait(),
				fmt.Sprintf("step %d/%d: weight %d %s: %s", i+1, steps, weight, d.trafficProgress(), d.trafficMessage))
			return false
		}
		return true

	case step.Pause != nil:
		if step.Pause.Duration == nil {
			d.phase, d.reason = weirv1.PhasePaused, weirv1.ReasonWaitingForPromotion
			d.message = fmt.Sprintf("step %d/%d: paused at weight %d until promoted (kubectl weir promote %s)", i+1, steps, weight, d.r.Name)
			return false
		}
		started := d.in.Now
		if d.s.StepStartedAt != nil {
			started = d.s.StepStartedAt.Time
		}
		end := started.Add(step.Pause.Duration.Duration().OrDefault(0))
		if d.in.Now.Before(end) {
			d.phase, d.reason = weirv1.PhaseProgressing, weirv1.ReasonStepPause
			d.message = fmt.Sprintf("step %d/%d: pausing %s at weight %d (until %s)", i+1, steps,
				*step.Pause.Duration, weight, clock(end))
			d.plan.requeue(end.Sub(d.in.Now))
			return false
		}
		return true

	case step.Analysis != nil:
		return d.stepAnalysis(step.Analysis, i, steps, weight)

	case step.SetCanaryScale != nil:
		if avail := d.available(hash); avail < canaryWant {
			d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
				fmt.Sprintf("step %d/%d: %d of %d canary pods available (%s)", i+1, steps, avail, canaryWant, step.Describe()))
			return false
		}
		return true

	case step.SetHeaderRoute != nil, step.SetMirrorRoute != nil: // done once the routes carry the injected rules
		if !d.verified {
			d.wait(weirv1.PhaseProgressing, d.trafficWait(),
				fmt.Sprintf("step %d/%d: %s", i+1, steps, d.trafficMessage))
			return false
		}
		return true

	default:
		// Never done: a step this controller can't read holds the release where it is.
		d.markInvalid(weirv1.ReasonInvalidSpec, fmt.Sprintf("spec.strategy.canary.steps[%d]: a step of no kind this Weir knows "+
			"(setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale); the release holds at step %d/%d", i, i+1, steps))
		return false
	}
}

// finish makes the canary the new stable once it runs at full size.
func (d *decision) finish(c *weirv1.CanaryStrategy, canaryWant int32) {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	if avail := d.available(hash); avail < canaryWant {
		d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
			fmt.Sprintf("final step: %d of %d pods of revision %s available", avail, canaryWant, hash))
		return
	}
	d.complete(hash, stable, "stable")
	d.idle(c)
}

// complete ends a release: hash is the new stable (blue-green: active) revision, and the old
// one stays up scaleDownDelaySeconds.
func (d *decision) complete(hash, old, word string) {
	delay := seconds(d.r.Spec.Strategy.ScaleDownDelaySeconds())
	d.keepUntil(old, delay)
	d.plan.event("ReleaseCompleted", fmt.Sprintf("revision %s is %s; revision %s scales down in %s", hash, word, old, delay))
	d.s.StableRS = hash
	d.s.ProgressedAt = d.now()
}

// aborted keeps all traffic on stable; the canary scales down only after weight 0 was read
// back from every route, plus abortScaleDownDelaySeconds.
func (d *decision) aborted(c *weirv1.CanaryStrategy) {
	d.plan.Scale[d.s.StableRS] = d.replicas
	d.setTraffic(c.TrafficRouting, 0, nil, nil)
	d.s.Canary.HeaderRoutes, d.s.Canary.MirrorRoutes = nil, nil
	d.scaleDownAborted(d.in.CurrentHash, seconds(d.r.Spec.Strategy.AbortScaleDownDelaySeconds()))
	if d.bakeStarted() {
		// It failed with all traffic on it: not a release to retry as is.
		d.message += fmt.Sprintf("; it failed its bake with all traffic: revert its change in Git ('kubectl weir undo %s' prints it)", d.r.Name)
	}
}

// scaleDownAborted keeps the aborted revision up until traffic is verified off it and the
// delay has passed, then scales it to zero; it writes the Degraded state that explains it.
func (d *decision) scaleDownAborted(hash string, delay time.Duration) {
	a := d.s.Aborted
	current := int32(0)
	if rs := d.byHash[hash]; rs != nil {
		current = rs.Replicas
	}
	d.plan.Scale[hash] = current
	d.phase, d.reason = weirv1.PhaseDegraded, a.Reason
	d.message = fmt.Sprintf("aborted: %s; ", a.Message)
	switch {
	case !d.verified:
		d.message += "moving all traffic back to stable: " + d.trafficMessage
		d.waiting = true
	case a.WeightVerifiedAt == nil:
		a.WeightVerifiedAt = d.nowMicro()
		fallthrough
	default:
		until := a.WeightVerifiedAt.Add(delay)
		if d.in.Now.Before(until) {
			d.message += fmt.Sprintf("all traffic on stable; the new revision scales down at %s", clock(until))
			d.plan.requeue(until.Sub(d.in.Now))
		} else {
			d.plan.Scale[hash] = 0
			d.message += "all traffic on stable, the new revision scaled down"
		}
	}
	d.message += fmt.Sprintf(". Retry with 'kubectl weir retry %s' or push a new revision", d.r.Name)
}

// abort records why the release stops; the next computation of desired state pulls traffic.
func (d *decision) abort(reason, message string) {
	if d.s.Aborted != nil {
		return
	}
	d.s.Aborted = &weirv1.AbortInfo{Reason: reason, Message: message, At: *d.now()}
	d.s.Paused = nil
	d.s.ProgressedAt = d.now()
	d.plan.warning("RolloutAborted", message)
}

func (d *decision) wait(phase weirv1.RolloutPhase, reason, message string) {
	d.phase, d.reason, d.message = phase, reason, message
	d.waiting = true
}

// WeightAt is the canary weight in force at step i: the last setWeight at or before it,
// 100 once every step is done.
func WeightAt(steps []weirv1.CanaryStep, i int32) int32 {
	if int(i) >= len(steps) {
		return 100
	}
	for j := i; j >= 0; j-- {
		if w := steps[j].SetWeight; w != nil {
			return *w
		}
	}
	return 0
}

// stepAnalysisAt is the analysis of step i, nil when step i is no analysis or past the end.
func stepAnalysisAt(steps []weirv1.CanaryStep, i int32) *weirv1.RolloutAnalysis {
	if int(i) < len(steps) {
		return steps[i].Analysis
	}
	return nil
}

// timedPause steps end by the clock alone, so their end gets no Event: it says nothing the
// step before didn't (status.stepStartedAt and the next step's Event tell the time), and at
// hundreds of releases one Event per step is a large share of all API writes.
func timedPause(s weirv1.CanaryStep) bool { return s.Pause != nil && s.Pause.Duration != nil }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// canaryBoundary names step i, done, and what comes next, for a release held between them.
func canaryBoundary(i, steps int32) (done, next string) {
	next = "the full promotion"
	if i+1 < steps {
		next = fmt.Sprintf("step %d/%d", i+2, steps)
	}
	return fmt.Sprintf("step %d/%d done", i+1, steps), next
}

// bakeDetail names the bake in its run's message.
const bakeDetail = "post-promotion analysis with all traffic on the new revision"

// bake is the post-promotion analysis after the last step: it starts once the new revision
// runs at full size with all traffic verified on it (the stable revision still up at full
// size), and reports whether it passed. A failure aborts the release.
func (d *decision) bake(c *weirv1.CanaryStrategy, routeWeight, canaryWant int32) bool {
	if avail := d.available(d.in.CurrentHash); avail < canaryWant {
		d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
			fmt.Sprintf("bake: %d of %d pods of revision %s available", avail, canaryWant, d.in.CurrentHash))
		return false
	}
	if c.TrafficRouting != nil && (!d.verified || routeWeight != 100) {
		d.wait(weirv1.PhaseProgressing, d.trafficWait(), "bake: all traffic to the new revision "+d.trafficProgress()+": "+d.trafficMessage)
		return false
	}
	return d.runAnalysis(c.PostPromotionAnalysis, d.runBase("post"), &d.s.Canary.PostPromotionAnalysisRun, "post-promotion", bakeDetail)
}

// bakeStarted says whether the bake's run was asked for in this release.
func (d *decision) bakeStarted() bool { return d.s.Canary.PostPromotionAnalysisRun != "" }
