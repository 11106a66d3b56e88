package planner

import (
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Plan is the whole desired state for one reconcile.
type Plan struct {
	// Status to write (once).
	Status weirv1.RolloutStatus
	// StatusCanWait says a changed Status may be left unwritten for up to MaxStatusWait:
	// what changed only reports pod counts, or a weight on its way through the gateway whose
	// verification will be written with it (statusCanWait says what qualifies). Whether it
	// changed at all is for the writer to compare.
	StatusCanWait bool
	// NewRevision is the revision number a ReplicaSet created for the current hash gets
	// (its size is in Scale); 0 when that ReplicaSet exists.
	NewRevision int64
	// Scale sets replicas of ReplicaSets by name.
	Scale map[string]int32
	// Delete removes old ReplicaSets beyond revisionHistoryLimit.
	Delete []string
	// Selectors point Services (by name) at a pod-template hash.
	Selectors map[string]string
	// Traffic is the desired state of the routes; nil when the strategy has no routing or
	// the routes can't be used.
	Traffic *Traffic
	// SelectorsFirst asks for the Services' selectors to be written before the routes: the
	// stable (active) Service is moving to the current revision, and must select it before
	// the routes send it all traffic. Otherwise the routes go first, so that pulling weight
	// off a canary happens before anything else can fail.
	SelectorsFirst bool
	// AnalysisRuns the release needs, by name; runs it no longer needs are terminated.
	AnalysisRuns []AnalysisRunPlan
	// DeleteAnalysisRuns are finished runs beyond analysisRunHistoryLimit, by name.
	DeleteAnalysisRuns []string
	// WorkloadReplicas scales the Deployment a workloadRef names; nil keeps its scale.
	WorkloadReplicas *int32
	// ReleaseFinalizer says a Rollout being deleted has given back traffic and selectors
	// (or given up waiting): its finalizer may go.
	ReleaseFinalizer bool
	// Events to record.
	Events []Event
	// RequeueAfter asks to be called again (a pause ends, a delay passes, a deadline).
	RequeueAfter time.Duration
	// Punctual says RequeueAfter keeps a promise made in the spec (a pause's end, a delay):
	// it should run ahead of work that has no clock, so that with hundreds of releases
	// queued a 1 s pause still lasts about 1 s.
	Punctual bool
}

// Traffic is what the routes should say.
type Traffic struct {
	Weights weirv1.WeightPair
	// HeaderRoutes and MirrorRoutes are the injected rules wanted now; others are removed.
	HeaderRoutes []weirv1.SetHeaderRoute
	MirrorRoutes []weirv1.SetMirrorRoute
}

// AnalysisRunPlan is a run the release needs.
type AnalysisRunPlan struct {
	Name     string
	Analysis weirv1.RolloutAnalysis
	// Background runs last for the whole release.
	Background bool
	// Where describes the step and weight, for the run's message ("step 2/5 at weight 20").
	Where string
}

// Event is a Kubernetes Event to record on the Rollout.
type Event struct {
	Warning bool
	Reason  string
	Message string
}

// requeue asks for a decision when a promised time comes (a pause ends, a delay passes).
func (p *Plan) requeue(after time.Duration) { p.wake(after, true) }

// recheck asks for another look later, as a safety net or to retry; nothing is promised.
func (p *Plan) recheck(after time.Duration) { p.wake(after, false) }

func (p *Plan) wake(after time.Duration, punctual bool) {
	if after <= 0 {
		after = time.Second
	}
	switch {
	case p.RequeueAfter == 0 || after < p.RequeueAfter:
		p.RequeueAfter, p.Punctual = after, punctual
	case after == p.RequeueAfter:
		p.Punctual = p.Punctual || punctual
	}
}

func (p *Plan) event(reason, message string) {
	p.Events = append(p.Events, Event{Reason: reason, Message: message})
}

func (p *Plan) warning(reason, message string) {
	p.Events = append(p.Events, Event{Warning: true, Reason: reason, Message: message})
}

// clock writes a moment for a status message. Messages name when a wait ends, never how
// long is left: a countdown would change the status at every reconcile, and each change is
// a write.
func clock(t time.Time) string { return t.UTC().Format(time.RFC3339) }
