package planner

import (
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Input is everything the planner may look at.
type Input struct {
	// Rollout as read; its status is the previous decision.
	Rollout *weirv1.Rollout
	// CurrentHash is the pod-template hash of spec.template.
	CurrentHash string
	// ReplicaSets owned by the Rollout.
	ReplicaSets []ReplicaSet
	// Services the strategy names, by name. A missing entry means the Service doesn't exist.
	Services map[string]Service
	// Routes are the routes the strategy names (HTTPRoutes, then GRPCRoutes), in spec order.
	Routes []Route
	// AnalysisRuns owned by the Rollout, by name.
	AnalysisRuns map[string]AnalysisRun
	// AnalysisProblem says why an analysis the strategy names can't run (a template missing
	// or invalid, an argument without a value); empty when every analysis can run.
	AnalysisProblem string
	// Policies are the ReleasePolicies that select the Rollout, by name.
	Policies []weirv1.ReleasePolicy
	// Upstreams are the Rollouts the policies name as upstream, by UpstreamOf(…).String()
	// ("namespace/name"); a missing entry means that Rollout doesn't exist.
	Upstreams map[string]Upstream
	// Workload is the Deployment spec.workloadRef names (Found false when it doesn't exist);
	// nil without a workloadRef.
	Workload *Workload
	// Now is the time of this decision.
	Now time.Time
}

// ReplicaSet is what the planner needs of one revision.
type ReplicaSet struct {
	Name      string
	Hash      string
	Replicas  int32 // spec.replicas
	Available int32
	Ready     int32
	Total     int32 // status.replicas: pods that exist
	// Revision is its revision number (0 when it has none).
	Revision int64
	// ScaleDownAt is when an old revision kept up after a release may go, from the
	// annotation Weir wrote on ReplicaSets before status.scaleDowns existed (still honoured).
	ScaleDownAt *time.Time
	Created     time.Time
}

// Service is what the planner needs of a Service.
type Service struct {
	// Hash is the pod-template hash its selector picks, "" when it picks none.
	Hash string
	// Ports are the Service's port numbers; none for a Service that lists none (then only
	// the gateway's verdict tells whether a route's port resolves).
	Ports []int32
}

// Route is one named route as read back.
type Route struct {
	// Kind of the route ("HTTPRoute", "GRPCRoute"), for messages.
	Kind  string
	Name  string
	Found bool
	// WeightsOnly routes carry weights and never the rules of header or mirror steps.
	WeightsOnly bool
	// Problem says why the route can't be used (a named rule is missing, no rule points at
	// both Services); empty when usable.
	Problem string
	// Weights read from the rules Weir sets; nil when those rules disagree.
	Weights *weirv1.WeightPair
	// Accepted is true when every parentRef of the route reports Accepted and ResolvedRefs
	// for the route's current generation.
	Accepted bool
	// AcceptanceMessage explains a route that is not Accepted.
	AcceptanceMessage string
	// Unresolved is set when a gateway reports a backendRef it can't resolve (a Service or
	// port it can't reach), for the current generation or, until it reports on that one, for
	// an older one: no more traffic may go to the canary.
	Unresolved string
	// BackendPorts are the ports the route's backendRefs name for each of the strategy's two
	// Services, by Service name.
	BackendPorts map[string][]int32
	// InjectedRules say what each Weir-owned header/mirror rule present does
	// (HeaderRuleKey, MirrorRuleKey), sorted; a rule that isn't as Weir writes it has a key
	// no step has.
	InjectedRules []string
}

// AnalysisRun is what the planner needs of a run.
type AnalysisRun struct {
	Phase   weirv1.AnalysisPhase
	Message string
	OnError weirv1.ErrorAction
	// Waiting says what a running run waits for when it can't measure (its provider doesn't
	// answer), "" otherwise.
	Waiting string
	// Created is when the run started (or was created): the oldest finished runs are
	// deleted first.
	Created time.Time
	// Terminated is true once Weir stopped the run (spec.terminate): whatever phase it then
	// reached, it is never a verdict; a release that needs it again starts a new attempt.
	Terminated bool
}
