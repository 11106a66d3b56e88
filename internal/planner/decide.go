package planner

import (
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// decision is the scratchpad of one Decide call.
type decision struct {
	// stableSvc names the stable (canary) or active (blue-green) Service.
	stableSvc string
	in        Input
	r         *weirv1.Rollout
	s         weirv1.RolloutStatus // the status being decided, starting from the previous one
	plan      Plan
	replicas  int32
	byHash    map[string]*ReplicaSet

	// What the status will say, set by the branch that decides.
	phase   weirv1.RolloutPhase
	reason  string
	message string
	// waiting is true in states that must not last longer than the progress deadline
	// (pods becoming available, weights being verified).
	waiting bool
	// traffic verification of this decision's desired weights.
	verified       bool
	trafficReason  string
	trafficMessage string
	invalid        bool
	// exceeded explains a progress deadline that passed.
	exceeded string
	// blocked: the release can't go on by its own doing, it waits for a person or for an
	// analysis provider to answer (kstatus: Stalled, not Reconciling).
	blocked bool
	// verdict is what the ReleasePolicies say of the current revision.
	verdict PolicyVerdict
}

// Decide returns the whole desired state of a Rollout for what was observed.
func Decide(in Input) Plan {
	d := &decision{
		in: in,
		r:  in.Rollout,
		s:  *in.Rollout.Status.DeepCopy(),
		plan: Plan{
			Scale:     map[string]int32{},
			Selectors: map[string]string{},
		},
		byHash: map[string]*ReplicaSet{},
	}
	for i := range in.ReplicaSets {
		d.byHash[in.ReplicaSets[i].Hash] = &in.ReplicaSets[i]
	}
	d.replicas = DesiredReplicas(d.r)
	d.s.DesiredReplicas = ptr.To(d.replicas)
	d.s.ObservedGeneration = d.r.Generation
	if sel, err := metav1.LabelSelectorAsSelector(d.r.Spec.Selector); err == nil {
		d.s.Selector = sel.String()
	}

	switch c, b := d.r.Spec.Strategy.Canary, d.r.Spec.Strategy.BlueGreen; {
	case d.r.DeletionTimestamp != nil && c != nil:
		d.deleting(c.StableService, c.CanaryService, c.TrafficRouting)
	case d.r.DeletionTimestamp != nil:
		d.deleting(b.ActiveService, b.PreviewService, b.TrafficRouting)
	case c != nil:
		d.s.Strategy = "Canary"
		d.canary()
	default:
		d.blueGreen()
	}
	d.scaleWorkload()
	d.recordWeights()
	d.numberRevision()
	d.orderWrites()
	d.countReplicas()
	d.trackProgress()
	d.recordHealthy()
	d.historyLimit()
	d.analysisHistoryLimit()
	d.setConditions()
	d.plan.Status = d.s
	d.plan.StatusCanWait = d.statusCanWait()
	return d.plan
}

// numberRevision gives the current revision its number when its ReplicaSet is to be
// created: one above every number given before, those still on ReplicaSets and the one
// recorded in status (which outlives pruning). Asked again before the new ReplicaSet is
// seen, it gives the same number.
func (d *decision) numberRevision() {
	hash := d.in.CurrentHash
	if d.byHash[hash] != nil {
		return
	}
	if _, scaled := d.plan.Scale[hash]; !scaled {
		return
	}
	if n := d.s.NewestRevision; n != nil && n.Hash == hash {
		d.plan.NewRevision = n.Number
		return
	}
	var highest int64
	if n := d.s.NewestRevision; n != nil {
		highest = n.Number
	}
	for _, rs := range d.in.ReplicaSets {
		highest = max(highest, rs.Revision)
	}
	d.s.NewestRevision = &weirv1.RevisionNumber{Hash: hash, Number: highest + 1}
	d.plan.NewRevision = highest + 1
}

// orderWrites decides whether the Services' selectors are written before the routes.
func (d *decision) orderWrites() {
	want, ok := d.plan.Selectors[d.stableSvc]
	d.plan.SelectorsFirst = ok && want == d.in.CurrentHash && d.in.Services[d.stableSvc].Hash != want
}

// begin does what every strategy does first: settle the stable and current revisions, check
// what the spec names, and act on an operator request. It reports whether the strategy can
// go on; if not, the spec is marked invalid and every revision keeps its size.
func (d *decision) begin(stableSvc, canarySvc string, routing *weirv1.TrafficRouting, stages int) bool {
	d.stableSvc = stableSvc
	d.firstRevision()
	d.trackRevision()
	reason, problem := d.checkReferences(stableSvc, canarySvc, routing)
	if problem == "" && d.in.AnalysisProblem != "" {
		reason, problem = weirv1.ReasonInvalidSpec, d.in.AnalysisProblem
	}
	if problem == "" {
		if p := workloadProblem(d.r, d.in.Workload); p != "" {
			reason, problem = weirv1.ReasonInvalidSpec, p
		}
	}
	if c := d.r.Spec.Strategy.Canary; problem == "" && c != nil {
		if i, podless := PodlessRouteStep(c.Steps); podless != "" {
			reason, problem = weirv1.ReasonInvalidSpec, fmt.Sprintf("spec.strategy.canary.steps[%d]: %s", i, podless)
		}
	}
	if problem != "" {
		d.markInvalid(reason, problem)
		d.holdReplicas()
		return false
	}
	d.evaluatePolicies()
	d.handleRequest(stages)
	return true
}

// now as a metav1.Time.
func (d *decision) now() *metav1.Time { return ptr.To(metav1.NewTime(d.in.Now)) }

// nowMicro is now for the times that delays are counted from: stored to the microsecond.
func (d *decision) nowMicro() *metav1.MicroTime { return ptr.To(metav1.NewMicroTime(d.in.Now)) }

// firstRevision decides the stable revision when none is recorded: the current one for a
// new Rollout, otherwise (status lost) the existing revision with most available pods.
func (d *decision) firstRevision() {
	if d.s.StableRS != "" {
		return
	}
	others := make([]ReplicaSet, 0, len(d.in.ReplicaSets))
	for _, rs := range d.in.ReplicaSets {
		if rs.Hash != d.in.CurrentHash && rs.Replicas > 0 {
			others = append(others, rs)
		}
	}
	if len(others) == 0 {
		d.s.StableRS = d.in.CurrentHash
		d.s.Unproven = "created as stable: no release ran"
		d.plan.event("Created", fmt.Sprintf("revision %s is stable: a new Rollout goes straight to stable, no steps", d.in.CurrentHash))
		return
	}
	sort.Slice(others, func(i, j int) bool {
		if others[i].Available != others[j].Available {
			return others[i].Available > others[j].Available
		}
		return others[i].Created.After(others[j].Created)
	})
	d.s.StableRS = others[0].Hash
}

// trackRevision restarts the steps when a new pod template arrives, also mid-release.
func (d *decision) trackRevision() {
	hash := d.in.CurrentHash
	if d.s.CurrentPodHash == hash {
		return
	}
	previous := d.s.CurrentPodHash
	d.s.CurrentPodHash = hash
	if hash != d.s.StableRS {
		d.s.CurrentStepIndex = ptr.To[int32](0)
	}
	d.s.StepStartedAt = d.nowMicro()
	d.s.ProgressedAt = d.now()
	d.s.Aborted = nil
	d.s.Retries = 0
	if w := *d.weightsStatus(); w != nil && hash != d.s.StableRS {
		w.History = nil // a new release: its own history
	}
	if previous != "" { // a new Rollout's first revision stays unproven (firstRevision)
		d.s.Unproven = ""
	}
	if d.s.Paused != nil && d.s.Paused.Reason != weirv1.ReasonOperatorPause {
		d.s.Paused = nil
	}
	if d.s.Canary != nil {
		d.s.Canary.StepAnalysisRun, d.s.Canary.BackgroundAnalysisRun, d.s.Canary.PostPromotionAnalysisRun = "", "", ""
	}
	if d.s.BlueGreen != nil {
		d.s.BlueGreen.PreviewAvailableAt, d.s.BlueGreen.SwitchedAt = nil, nil
		d.s.BlueGreen.PrePromotionAnalysisRun, d.s.BlueGreen.PostPromotionAnalysisRun = "", ""
	}
	switch {
	case previous == "" || hash == d.s.StableRS && previous == d.s.StableRS:
	case hash == d.s.StableRS:
		d.plan.event(weirv1.ReasonNewRevision, fmt.Sprintf("template is back to stable revision %s: release of %s dropped", hash, previous))
	case previous != d.s.StableRS:
		d.plan.event(weirv1.ReasonNewRevision, fmt.Sprintf("revision %s replaces canary %s mid-release: steps restart", hash, previous))
	default:
		d.plan.event("ReleaseStarted", fmt.Sprintf("releasing revision %s (stable is %s)", hash, d.s.StableRS))
	}
}

// holdReplicas keeps every revision at its current size (used when nothing else is safe).
func (d *decision) holdReplicas() {
	for _, rs := range d.in.ReplicaSets {
		d.plan.Scale[rs.Hash] = rs.Replicas
	}
	if _, ok := d.byHash[d.s.StableRS]; !ok && d.s.StableRS == d.in.CurrentHash {
		d.plan.Scale[d.in.CurrentHash] = d.replicas
	}
}

func (d *decision) markInvalid(reason, message string) {
	d.invalid = true
	d.phase, d.reason, d.message = weirv1.PhaseDegraded, reason, message
	if c := findCondition(d.r.Status.Conditions, weirv1.ConditionInvalidSpec); c == nil || c.Message != message {
		d.plan.warning(reason, message)
	}
	d.plan.recheck(time.Minute)
}

// available is the available pod count of a revision (0 when it doesn't exist yet).
func (d *decision) available(hash string) int32 {
	if rs := d.byHash[hash]; rs != nil {
		return rs.Available
	}
	return 0
}

// historyLimit deletes the oldest scaled-down revisions beyond revisionHistoryLimit.
func (d *decision) historyLimit() {
	limit := 10
	if d.r.Spec.RevisionHistoryLimit != nil {
		limit = int(*d.r.Spec.RevisionHistoryLimit)
	}
	var old []ReplicaSet
	for _, rs := range d.in.ReplicaSets {
		if rs.Hash == d.s.StableRS || rs.Hash == d.in.CurrentHash || rs.Replicas > 0 || rs.Total > 0 {
			continue
		}
		if want, ok := d.plan.Scale[rs.Hash]; ok && want > 0 {
			continue
		}
		old = append(old, rs)
	}
	if len(old) <= limit {
		return
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Created.Before(old[j].Created) })
	for _, rs := range old[:len(old)-limit] {
		d.plan.Delete = append(d.plan.Delete, rs.Name)
	}
}

// analysisHistoryLimit deletes the oldest finished AnalysisRuns beyond
// analysisRunHistoryLimit. A run the plan wants, or one the status names (the run a step or
// a pause refers to), is never deleted, finished or not.
func (d *decision) analysisHistoryLimit() {
	limit := 10
	if d.r.Spec.AnalysisRunHistoryLimit != nil {
		limit = int(*d.r.Spec.AnalysisRunHistoryLimit)
	}
	keep := map[string]bool{}
	for _, p := range d.plan.AnalysisRuns {
		keep[p.Name] = true
	}
	if c := d.s.Canary; c != nil {
		keep[c.StepAnalysisRun], keep[c.BackgroundAnalysisRun], keep[c.PostPromotionAnalysisRun] = true, true, true
	}
	if b := d.s.BlueGreen; b != nil {
		keep[b.PrePromotionAnalysisRun], keep[b.PostPromotionAnalysisRun] = true, true
	}
	type finished struct {
		name    string
		created time.Time
	}
	var old []finished
	for name, run := range d.in.AnalysisRuns {
		if !keep[name] && (run.Phase.Completed() || run.Terminated) {
			old = append(old, finished{name, run.Created})
		}
	}
	if len(old) <= limit {
		return
	}
	sort.Slice(old, func(i, j int) bool {
		if !old[i].created.Equal(old[j].created) {
			return old[i].created.Before(old[j].created)
		}
		return old[i].name < old[j].name
	})
	for _, run := range old[:len(old)-limit] {
		d.plan.DeleteAnalysisRuns = append(d.plan.DeleteAnalysisRuns, run.name)
	}
}

func findCondition(conds []metav1.Condition, t string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func seconds(n int32) time.Duration { return time.Duration(n) * time.Second }
