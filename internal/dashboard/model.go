package dashboard

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/ops"
	"github.com/weir-dev/weir/internal/plugin/state"
	"github.com/weir-dev/weir/internal/plugin/view"
)

// Filters of the overview: where a release is.
const (
	FilterReleasing = "releasing"
	FilterWaiting   = "waiting" // for promotion (or a person: paused)
	FilterDegraded  = "degraded"
	FilterHeld      = "held" // by a release policy
	FilterHealthy   = "healthy"
)

// Row is one Rollout of the overview.
type Row struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Strategy  string `json:"strategy"`
	Step      string `json:"step"`
	Phase     string `json:"phase"`
	Reason    string `json:"reason,omitempty"`
	Message   string `json:"message,omitempty"`
	Desired   *int32 `json:"desiredWeight,omitempty"`
	Verified  *int32 `json:"verifiedWeight,omitempty"`
	Filter    string `json:"filter"`
}

// RowOf is the overview's line for a Rollout. It reads status only (no template hash): the
// overview of thousands of Rollouts is rebuilt at every change.
func RowOf(ro *weirv1.Rollout) Row {
	r := Row{Namespace: ro.Namespace, Name: ro.Name, Strategy: view.StrategyName(ro), Step: state.StepLabel(ro),
		Phase: string(ro.Status.Phase), Message: ro.Status.Message}
	if c := meta.FindStatusCondition(ro.Status.Conditions, weirv1.ConditionReady); c != nil {
		r.Reason = c.Reason
	}
	r.Desired, r.Verified = state.CanaryWeights(ro)
	releasing := ro.Status.StableRS != "" && ro.Status.CurrentPodHash != ro.Status.StableRS
	switch {
	case weirv1.HeldByPolicy(r.Reason):
		r.Filter = FilterHeld
	case ro.Status.Aborted != nil || ro.Status.Phase == weirv1.PhaseDegraded:
		r.Filter = FilterDegraded
	case ro.Status.Phase == weirv1.PhasePaused:
		r.Filter = FilterWaiting
	case releasing || ro.Status.Phase == weirv1.PhaseProgressing:
		r.Filter = FilterReleasing
	default:
		r.Filter = FilterHealthy
	}
	return r
}

// Overview is every Rollout's row, sorted by namespace and name, with counts per filter.
type Overview struct {
	Rows   []Row          `json:"rows"`
	Counts map[string]int `json:"counts"`
}

// OverviewOf builds the overview of a list of Rollouts.
func OverviewOf(rollouts []weirv1.Rollout) Overview {
	o := Overview{Rows: make([]Row, 0, len(rollouts)), Counts: map[string]int{}}
	for i := range rollouts {
		r := RowOf(&rollouts[i])
		o.Rows = append(o.Rows, r)
		o.Counts[r.Filter]++
	}
	sort.Slice(o.Rows, func(i, j int) bool {
		if o.Rows[i].Namespace != o.Rows[j].Namespace {
			return o.Rows[i].Namespace < o.Rows[j].Namespace
		}
		return o.Rows[i].Name < o.Rows[j].Name
	})
	return o
}

// Step is one step (or blue-green stage) on the timeline.
type Step struct {
	Label string `json:"label"`
	// State is done, current or todo.
	State string `json:"state"`
	// At is when a done step ended (its StepCompleted Event; a timed pause ends by the clock
	// and has none), or when the current one started.
	At *time.Time `json:"at,omitempty"`
}

// Pod is one pod of a revision.
type Pod struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// Plot is one analysis metric's measurements against its conditions.
type Plot struct {
	Run    string  `json:"run"`
	Metric string  `json:"metric"`
	Where  string  `json:"where,omitempty"`
	Phase  string  `json:"phase"`
	Points []Point `json:"points"`
	// SuccessCondition and FailureCondition as written; Threshold is the number one of them
	// compares result with, when it is that simple ("result < 0.05").
	SuccessCondition string   `json:"successCondition,omitempty"`
	FailureCondition string   `json:"failureCondition,omitempty"`
	Threshold        *float64 `json:"threshold,omitempty"`
}

// Point is one measurement; Value is nil when it wasn't one number.
type Point struct {
	At    time.Time `json:"at"`
	Value *float64  `json:"value"`
	Phase string    `json:"phase"`
}

// Action is a button of the Rollout page: a status request and whether the controller would
// take it now (the reason when not, from the same checks as kubectl weir).
type Action struct {
	Verb    string `json:"verb"`
	Request string `json:"request"`
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// Detail is everything the Rollout page shows.
type Detail struct {
	Rollout *view.Rollout `json:"rollout"`
	Steps   []Step        `json:"steps"`
	// Weights is the release's canary weight asked and verified, one point per change
	// (status records it).
	Weights  []weirv1.WeightRecord `json:"weights"`
	Analyses []Plot                `json:"analyses"`
	Events   []Event               `json:"events"`
	Actions  []Action              `json:"actions"`
	// Pods of each revision, by ReplicaSet name.
	Pods map[string][]Pod `json:"pods"`
}

// Event is one Kubernetes Event of the Rollout.
type Event struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// DetailOf builds the Rollout page from what was read.
func DetailOf(t *kube.Tree, pods map[string][]Pod, events []Event, now time.Time) Detail {
	st := state.Of(t.Rollout)
	d := Detail{Rollout: view.Build(t, now), Events: events, Pods: pods, Weights: []weirv1.WeightRecord{}}
	if w := weightsOf(t.Rollout); w != nil {
		d.Weights = w.History
	}
	for i := 0; i < st.Steps; i++ {
		s := Step{Label: st.Describe(i), State: "todo"}
		switch {
		case !st.Releasing:
			s.State = "done"
		case i < st.StepIndex:
			s.State = "done"
		case i == st.StepIndex:
			s.State = "current"
			if at := t.Rollout.Status.StepStartedAt; at != nil {
				s.At = &at.Time
			}
		}
		if s.State == "done" && st.Releasing {
			s.At = stepCompleted(events, i, st.Steps)
		}
		d.Steps = append(d.Steps, s)
	}
	for i := range t.Runs {
		d.Analyses = append(d.Analyses, plotsOf(&t.Runs[i])...)
	}
	for _, a := range ops.Actions {
		act := Action{Verb: ops.Command(a), Request: string(a), Allowed: true}
		if err := ops.Check(t.Rollout, a); err != nil {
			act.Allowed, act.Reason = false, err.Error()
		}
		d.Actions = append(d.Actions, act)
	}
	return d
}

// stepCompleted is when the newest StepCompleted Event of step i was recorded (the
// planner's message: "step 2/5 done (…)").
func stepCompleted(events []Event, i, steps int) *time.Time {
	prefix := fmt.Sprintf("step %d/%d done", i+1, steps)
	for j := len(events) - 1; j >= 0; j-- {
		if e := events[j]; e.Reason == "StepCompleted" && strings.HasPrefix(e.Message, prefix) {
			return &e.At
		}
	}
	return nil
}

func plotsOf(run *weirv1.AnalysisRun) []Plot {
	var out []Plot
	for _, m := range run.Spec.Metrics {
		p := Plot{Run: run.Name, Metric: m.Name, Where: run.Annotations[weirv1.AnalysisRunStepAnnotation], SuccessCondition: m.SuccessCondition,
			FailureCondition: m.FailureCondition, Threshold: threshold(m.FailureCondition, m.SuccessCondition), Points: []Point{}}
		for _, r := range run.Status.MetricResults {
			if r.Name != m.Name {
				continue
			}
			p.Phase = string(r.Phase)
			for _, ms := range r.Measurements {
				pt := Point{Phase: string(ms.Phase)}
				if ms.FinishedAt != nil {
					pt.At = ms.FinishedAt.Time
				} else {
					pt.At = ms.StartedAt.Time
				}
				if v, err := strconv.ParseFloat(ms.Value, 64); err == nil {
					pt.Value = &v
				}
				p.Points = append(p.Points, pt)
			}
		}
		out = append(out, p)
	}
	return out
}

var simpleCondition = regexp.MustCompile(`^\s*result(\[0\])?\s*(<=|>=|<|>)\s*([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)\s*$`)

// threshold is the number the first simple condition compares result with.
func threshold(conditions ...string) *float64 {
	for _, c := range conditions {
		if m := simpleCondition.FindStringSubmatch(c); m != nil {
			if v, err := strconv.ParseFloat(m[3], 64); err == nil {
				return &v
			}
		}
	}
	return nil
}

// weightsOf is the strategy's route weights in status.
func weightsOf(ro *weirv1.Rollout) *weirv1.Weights {
	switch {
	case ro.Status.Canary != nil && ro.Status.Canary.Weights != nil:
		return ro.Status.Canary.Weights
	case ro.Status.BlueGreen != nil:
		return ro.Status.BlueGreen.Weights
	}
	return nil
}
