// Package view turns what the plugin read into what a person reads: the tree of
// `kubectl weir get rollout`, the table of `list rollouts`, the line of `status`, and their
// JSON/YAML forms. Everything here is pure: the clock is passed in, so tests are exact.
package view

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"time"

	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/state"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/routing"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// Rollout is the whole picture of one Rollout; it is also the JSON/YAML output of get.
type Rollout struct {
	Name      string    `json:"name"`
	Namespace string    `json:"namespace"`
	Created   time.Time `json:"created"`
	Strategy  string    `json:"strategy"`
	Phase     string    `json:"phase"`
	Verdict   string    `json:"verdict"`
	Reason    string    `json:"reason,omitempty"`
	Message   string    `json:"message,omitempty"`
	// Step is "3/5" (1-based) and StepAction what that step does.
	Step       string `json:"step"`
	StepAction string `json:"stepAction,omitempty"`
	// Pause is set while a timed pause step runs.
	Pause *Pause `json:"pause,omitempty"`
	// DesiredWeight and VerifiedWeight are the canary's traffic share in percent.
	DesiredWeight  *int32   `json:"desiredWeight,omitempty"`
	VerifiedWeight *int32   `json:"verifiedWeight,omitempty"`
	Replicas       Replicas `json:"replicas"`
	Request        string   `json:"pendingRequest,omitempty"`
	// Policy is what the ReleasePolicies selecting the Rollout say of its revision.
	Policy *Policy `json:"policy,omitempty"`
	// Services says which revision each blue-green Service selects.
	Services  string        `json:"services,omitempty"`
	Revisions []Revision    `json:"revisions"`
	Runs      []AnalysisRun `json:"otherAnalysisRuns,omitempty"`
	Routes    []Route       `json:"routes,omitempty"`
	Now       time.Time     `json:"-"`
	State     state.State   `json:"-"`
}

// Policy is the ReleasePolicies' verdict and its evidence.
type Policy struct {
	Policies []string `json:"policies"`
	Evidence []string `json:"evidence,omitempty"`
	// Override says who let the revision through, when and why.
	Override string `json:"override,omitempty"`
}

// Replicas are the pod counts over every revision.
type Replicas struct {
	Desired   int32 `json:"desired"`
	Current   int32 `json:"current"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// Pause is a timed pause step in progress.
type Pause struct {
	Duration time.Duration `json:"duration"`
	Elapsed  time.Duration `json:"elapsed"`
}

// Revision is one ReplicaSet of the Rollout.
type Revision struct {
	Number int    `json:"revision"`
	Name   string `json:"name"`
	Hash   string `json:"podTemplateHash"`
	// Role is stable, canary, or empty for an old revision.
	Role    string        `json:"role,omitempty"`
	Desired int32         `json:"desired"`
	Ready   int32         `json:"ready"`
	Images  []string      `json:"images"`
	Created time.Time     `json:"created"`
	Runs    []AnalysisRun `json:"analysisRuns,omitempty"`
	// ScaleDownAt is when an old revision kept up after a release scales to zero.
	ScaleDownAt *time.Time `json:"scaleDownAt,omitempty"`
}

// AnalysisRun is one run with its metrics.
type AnalysisRun struct {
	Name    string   `json:"name"`
	Phase   string   `json:"phase"`
	Message string   `json:"message,omitempty"`
	Where   string   `json:"where,omitempty"`
	Metrics []Metric `json:"metrics,omitempty"`
}

// Metric is one metric's verdict and its latest measurements, oldest first.
type Metric struct {
	Name         string        `json:"name"`
	Phase        string        `json:"phase"`
	DryRun       bool          `json:"dryRun,omitempty"`
	Count        int32         `json:"count"`
	Successful   int32         `json:"successful"`
	Failed       int32         `json:"failed"`
	Measurements []Measurement `json:"lastMeasurements,omitempty"`
}

// Measurement is one query result.
type Measurement struct {
	Value string    `json:"value"`
	Phase string    `json:"phase"`
	At    time.Time `json:"at"`
}

// Route is what one route says now.
type Route struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Found    bool   `json:"found"`
	Stable   *int32 `json:"stableWeight,omitempty"`
	Canary   *int32 `json:"canaryWeight,omitempty"`
	Accepted bool   `json:"accepted"`
	Problem  string `json:"problem,omitempty"`
}

// shownMeasurements is how many of a metric's latest measurements the tree shows.
const shownMeasurements = 3

// Build makes the picture of a Tree at time now.
func Build(t *kube.Tree, now time.Time) *Rollout {
	ro := t.Rollout
	st := state.Of(ro)
	v := &Rollout{
		Name: ro.Name, Namespace: ro.Namespace, Created: ro.CreationTimestamp.Time,
		Strategy: StrategyName(ro), Phase: string(ro.Status.Phase), Verdict: st.Verdict().String(),
		Message: ro.Status.Message, Step: st.StepLabel(), Now: now, State: st,
		Replicas: Replicas{Desired: ptr.Deref(ro.Spec.Replicas, ptr.Deref(ro.Status.DesiredReplicas, 1)),
			Current: ro.Status.Replicas, Updated: ro.Status.UpdatedReplicas, Ready: ro.Status.ReadyReplicas,
			Available: ro.Status.AvailableReplicas},
	}
	if v.Phase == "" {
		v.Phase = "Unknown"
	}
	if c := readyCondition(ro); c != "" {
		v.Reason = c
	}
	if step := st.Step(); step != nil && st.Releasing {
		v.StepAction = step.Describe()
	}
	if b := ro.Spec.Strategy.BlueGreen; st.BlueGreen && b != nil {
		v.StepAction = stageAction(st, b)
		if bs := ro.Status.BlueGreen; bs != nil {
			v.Services = fmt.Sprintf("%s → %s, %s → %s", b.ActiveService, orNone(bs.ActiveSelector), b.PreviewService, orNone(bs.PreviewSelector))
		}
	}
	if p := st.Pause(); p != nil {
		v.Pause = &Pause{Duration: p.Duration, Elapsed: min(max(now.Sub(p.Started), 0), p.Duration)}
	}
	v.DesiredWeight, v.VerifiedWeight = state.CanaryWeights(ro)
	if r := ro.Status.Request; r != nil {
		v.Request = string(r.Action) + " by " + r.By
	}
	if p := ro.Status.Policy; p != nil {
		v.Policy = &Policy{Policies: p.Policies, Evidence: p.Evidence}
		if o := p.Override; o != nil {
			v.Policy.Override = fmt.Sprintf("revision %s let through by %s at %s: %s", o.Revision, o.By, o.At.UTC().Format(time.RFC3339), o.Reason)
		}
	}
	runs := map[string][]AnalysisRun{}
	for i := range t.Runs {
		run := buildRun(&t.Runs[i])
		hash := runHash(ro.Name, t.Runs[i].Name, t.ReplicaSets)
		runs[hash] = append(runs[hash], run)
	}
	for i := range t.ReplicaSets {
		rs := &t.ReplicaSets[i]
		hash := rs.Labels[revision.HashLabel]
		rev := Revision{Number: kube.RevisionNumber(rs), Name: rs.Name, Hash: hash, Role: role(st, hash),
			Desired: ptr.Deref(rs.Spec.Replicas, 1), Ready: rs.Status.ReadyReplicas, Created: rs.CreationTimestamp.Time,
			Runs: runs[hash]}
		for _, c := range rs.Spec.Template.Spec.Containers {
			rev.Images = append(rev.Images, c.Image)
		}
		for _, sd := range ro.Status.ScaleDowns {
			if sd.Revision == hash {
				rev.ScaleDownAt = &sd.At.Time
			}
		}
		delete(runs, hash)
		v.Revisions = append(v.Revisions, rev)
	}
	v.Runs = runs[""]
	v.Routes = buildRoutes(t)
	return v
}

// StrategyName is the Rollout's strategy as status says it, else as the spec does.
func StrategyName(ro *weirv1.Rollout) string {
	switch {
	case ro.Status.Strategy != "":
		return ro.Status.Strategy
	case ro.Spec.Strategy.BlueGreen != nil:
		return "BlueGreen"
	default:
		return "Canary"
	}
}

// readyCondition is the reason of the condition that explains the phase.
func readyCondition(ro *weirv1.Rollout) string {
	for _, c := range ro.Status.Conditions {
		if c.Type == weirv1.ConditionReady {
			return c.Reason
		}
	}
	return ""
}

// role names a revision as its strategy does: stable and canary, or active and preview.
func role(st state.State, hash string) string {
	w := roleWords(st.BlueGreen)
	switch {
	case hash == st.StableHash:
		return w[0]
	case hash == st.CurrentHash:
		return w[1]
	}
	return ""
}

func roleWords(blueGreen bool) [2]string {
	if blueGreen {
		return [2]string{"active", "preview"}
	}
	return [2]string{"stable", "canary"}
}

// stageAction says what a blue-green stage is doing.
func stageAction(st state.State, b *weirv1.BlueGreenStrategy) string {
	if !st.Releasing {
		return ""
	}
	if st.StepIndex <= state.StagePreview {
		return "the new revision is up behind Service " + b.PreviewService + "; users stay on " + b.ActiveService
	}
	return "users are on the new revision; the old one is still up"
}

func orNone(hash string) string {
	if hash == "" {
		return "(none yet)"
	}
	return hash
}

// runHash finds the revision a run belongs to: runs are named <rollout>-<hash>-<step>-<n>.
func runHash(rollout, run string, rss []appsv1.ReplicaSet) string {
	for i := range rss {
		hash := rss[i].Labels[revision.HashLabel]
		if strings.HasPrefix(run, rollout+"-"+hash+"-") {
			return hash
		}
	}
	return ""
}

func buildRun(run *weirv1.AnalysisRun) AnalysisRun {
	out := AnalysisRun{Name: run.Name, Phase: string(run.Status.Phase), Message: run.Status.Message,
		Where: run.Annotations[weirv1.AnalysisRunStepAnnotation]}
	if out.Phase == "" {
		out.Phase = string(weirv1.AnalysisPending)
	}
	for _, m := range run.Status.MetricResults {
		metric := Metric{Name: m.Name, Phase: string(m.Phase), DryRun: m.DryRun, Count: m.Count,
			Successful: m.Successful, Failed: m.Failed}
		from := max(len(m.Measurements)-shownMeasurements, 0)
		for _, ms := range m.Measurements[from:] {
			value := ms.Value
			if ms.NoData {
				value = "no data"
			}
			at := ms.StartedAt.Time
			if ms.FinishedAt != nil {
				at = ms.FinishedAt.Time
			}
			metric.Measurements = append(metric.Measurements, Measurement{Value: value, Phase: string(ms.Phase), At: at})
		}
		out.Metrics = append(out.Metrics, metric)
	}
	return out
}

// buildRoutes reads each route with its kind's router: what the controller reads.
func buildRoutes(t *kube.Tree) []Route {
	backends := routing.BackendsOf(t.Rollout)
	var out []Route
	for _, n := range registry.RoutesOf(t.Rollout.Spec.Strategy) {
		obs := n.Router.Observe(t.Routes[n.Key()], n.Ref, backends)
		r := Route{Kind: obs.Kind, Name: n.Ref.Name, Found: obs.Found, Accepted: obs.Accepted, Problem: obs.Problem}
		if obs.Weights != nil {
			r.Stable, r.Canary = ptr.To(obs.Weights.Stable), ptr.To(obs.Weights.Canary)
		} else if obs.Found && obs.Problem == "" {
			r.Problem = "the rules Weir sets disagree on the weights"
		}
		if obs.Found && !obs.Accepted && r.Problem == "" {
			r.Problem = obs.AcceptanceMessage
		}
		out = append(out, r)
	}
	return out
}
