package planner

import (
	"fmt"
	"time"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Blue-green stages (weirv1.StagePreview…), under the planner's short names.
const (
	stagePreview  = weirv1.StagePreview
	stageSwitched = weirv1.StageSwitched
	stagesDone    = weirv1.StagesDone
)

func (d *decision) blueGreen() {
	b := d.r.Spec.Strategy.BlueGreen
	d.s.Strategy = "BlueGreen"
	if d.s.BlueGreen == nil {
		d.s.BlueGreen = &weirv1.BlueGreenStatus{}
	}
	d.strategy(int(stagesDone), func() { d.blueGreenIdle(b) }, func() { d.blueGreenRelease(b) })
}

// blueGreenIdle: the active revision behind both Services.
func (d *decision) blueGreenIdle(b *weirv1.BlueGreenStrategy) {
	d.s.BlueGreen.ActiveSelector, d.s.BlueGreen.PreviewSelector = d.s.StableRS, d.s.StableRS
	d.steady(b.ActiveService, b.PreviewService, b.TrafficRouting)
}

// verifySelector counts a Service selector switch as traffic verification when no routes
// carry the traffic: the Service read back must select the revision.
func (d *decision) verifySelector(routing *weirv1.TrafficRouting, svc, hash string) {
	if routing != nil || !d.verified {
		return
	}
	if got := d.in.Services[svc].Hash; got != hash {
		d.verified, d.trafficReason = false, weirv1.ReasonWeightMismatch
		d.trafficMessage = fmt.Sprintf("Service %s selects revision %q, want %s", svc, got, hash)
	}
}

func (d *decision) blueGreenRelease(b *weirv1.BlueGreenStrategy) {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	stage := min(max(ptr.Deref(d.s.CurrentStepIndex, 0), 0), stagesDone)
	d.s.CurrentStepIndex = ptr.To(stage)
	d.scaleDownOthers(stable, hash)
	d.plan.Scale[stable] = d.replicas
	d.plan.Selectors[b.PreviewService] = hash
	d.s.BlueGreen.PreviewSelector = hash

	if d.s.Aborted != nil {
		d.blueGreenAborted(b)
		return
	}
	if stage == stagePreview {
		if !d.preview(b) {
			return
		}
		stage = stageSwitched
		d.s.CurrentStepIndex = ptr.To(stage)
		d.s.StepStartedAt = d.nowMicro()
		d.s.ProgressedAt = d.now()
	}
	if !d.switchTraffic(b) {
		return
	}
	if d.s.Paused != nil {
		if stage == stageSwitched && b.PostPromotionAnalysis != nil {
			d.keepMeasuring(b.PostPromotionAnalysis, d.runBase("post"), &d.s.BlueGreen.PostPromotionAnalysisRun, "post-promotion", "post-promotion analysis")
		}
		if d.s.Aborted != nil {
			d.blueGreenAborted(b)
			return
		}
		d.showPause()
		return
	}
	if stage == stageSwitched && b.PostPromotionAnalysis != nil {
		base := d.runBase("post")
		if !d.runAnalysis(b.PostPromotionAnalysis, base, &d.s.BlueGreen.PostPromotionAnalysisRun, "post-promotion", "post-promotion analysis") {
			if d.s.Aborted != nil { // failed: straight back to the old revision
				d.blueGreenAborted(b)
			}
			return
		}
	}
	if d.windowHolds("traffic switched", "the end of the release") {
		return
	}
	d.s.CurrentStepIndex = ptr.To(stagesDone)
	d.complete(hash, stable, "active")
	d.blueGreenIdle(b)
}

// preview brings the new revision up behind the preview Service only, runs the
// pre-promotion analysis and holds the promotion gate. It reports whether to switch now.
func (d *decision) preview(b *weirv1.BlueGreenStrategy) bool {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	size := d.replicas
	if b.PreviewReplicaCount != nil {
		size = min(*b.PreviewReplicaCount, d.replicas)
	}
	d.plan.Scale[hash] = size
	d.plan.Selectors[b.ActiveService] = stable
	d.s.BlueGreen.ActiveSelector = stable
	d.setTraffic(b.TrafficRouting, 0, nil, nil)
	if avail := d.available(hash); avail < size {
		d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
			fmt.Sprintf("preview: %d of %d pods of revision %s available", avail, size, hash))
		return false
	}
	if d.s.BlueGreen.PreviewAvailableAt == nil {
		d.s.BlueGreen.PreviewAvailableAt = d.nowMicro()
		d.plan.event("PreviewReady", fmt.Sprintf("revision %s is up behind Service %s", hash, b.PreviewService))
	}
	if d.s.Paused != nil {
		if b.PrePromotionAnalysis != nil {
			d.keepMeasuring(b.PrePromotionAnalysis, d.runBase("pre"), &d.s.BlueGreen.PrePromotionAnalysisRun, "pre-promotion", "pre-promotion analysis against the preview")
		}
		if d.s.Aborted != nil {
			d.blueGreenAborted(b)
			return false
		}
		d.showPause()
		return false
	}
	if b.PrePromotionAnalysis != nil {
		base := d.runBase("pre")
		if !d.runAnalysis(b.PrePromotionAnalysis, base, &d.s.BlueGreen.PrePromotionAnalysisRun, "pre-promotion", "pre-promotion analysis against the preview") {
			if d.s.Aborted != nil {
				d.blueGreenAborted(b)
			}
			return false
		}
	}
	if !ptr.Deref(b.AutoPromotionEnabled, true) {
		d.phase, d.reason = weirv1.PhasePaused, weirv1.ReasonWaitingForPromotion
		d.message = fmt.Sprintf("preview %s ready behind Service %s; promote with 'kubectl weir promote %s'", hash, b.PreviewService, d.r.Name)
		return false
	}
	at := d.s.BlueGreen.PreviewAvailableAt.Add(time.Duration(b.AutoPromotionSeconds) * time.Second)
	if d.in.Now.Before(at) {
		d.phase, d.reason = weirv1.PhaseProgressing, weirv1.ReasonStepPause
		d.message = fmt.Sprintf("preview %s ready; auto-promotion at %s", hash, clock(at))
		d.plan.requeue(at.Sub(d.in.Now))
		return false
	}
	if d.windowHolds("preview ready", "the switch of traffic to it") {
		return false
	}
	d.plan.event("Promoting", fmt.Sprintf("switching traffic to revision %s", hash))
	return true
}

// switchTraffic moves users to the new revision once all its replicas are available: the
// active Service's selector, or with routes the weights 0/100 between active and preview.
// It reports whether the switch is verified.
func (d *decision) switchTraffic(b *weirv1.BlueGreenStrategy) bool {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	d.plan.Scale[hash] = d.replicas
	if d.s.BlueGreen.SwitchedAt == nil {
		if avail := d.available(hash); avail < d.replicas {
			d.plan.Selectors[b.ActiveService] = stable
			d.setTraffic(b.TrafficRouting, 0, nil, nil)
			d.wait(weirv1.PhaseProgressing, weirv1.ReasonWaitingForPods,
				fmt.Sprintf("promotion: %d of %d pods of revision %s available; traffic switches when all are", avail, d.replicas, hash))
			return false
		}
	}
	active := hash
	if b.TrafficRouting != nil {
		active = stable // the routes switch, the active Service stays on the old revision
		d.setTraffic(b.TrafficRouting, 100, nil, nil)
	} else {
		d.setTraffic(nil, 0, nil, nil)
	}
	d.plan.Selectors[b.ActiveService] = active
	d.s.BlueGreen.ActiveSelector = active
	d.verifySelector(b.TrafficRouting, b.ActiveService, active)
	if !d.verified {
		d.wait(weirv1.PhaseProgressing, d.trafficWait(), "switching: "+d.trafficMessage)
		return false
	}
	if d.s.BlueGreen.SwitchedAt == nil {
		d.s.BlueGreen.SwitchedAt = d.nowMicro()
		d.plan.event("Switched", fmt.Sprintf("traffic is on revision %s; revision %s stays up", hash, stable))
	}
	return true
}

// blueGreenAborted: traffic on the old revision (switched back if it had moved), the
// preview scaled down only once that is verified and abortScaleDownDelaySeconds passed.
func (d *decision) blueGreenAborted(b *weirv1.BlueGreenStrategy) {
	hash, stable := d.in.CurrentHash, d.s.StableRS
	d.plan.Scale[stable] = d.replicas
	d.plan.Selectors[b.ActiveService] = stable
	d.s.BlueGreen.ActiveSelector = stable
	d.setTraffic(b.TrafficRouting, 0, nil, nil)
	d.verifySelector(b.TrafficRouting, b.ActiveService, stable)
	d.scaleDownAborted(hash, seconds(d.r.Spec.Strategy.AbortScaleDownDelaySeconds()))
}
