package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RolloutSpec is a Deployment's spec plus the strategy that releases a new pod template.
//
// +kubebuilder:validation:XValidation:rule="has(self.workloadRef) || !has(self.selector.matchLabels) || self.selector.matchLabels.all(k, has(self.template) && has(self.template.metadata) && has(self.template.metadata.labels) && k in self.template.metadata.labels && self.template.metadata.labels[k] == self.selector.matchLabels[k])",message="selector.matchLabels must match template.metadata.labels",fieldPath=".selector"
// +kubebuilder:validation:XValidation:rule="has(self.workloadRef) || (has(self.template) && has(self.template.spec) && has(self.template.spec.containers) && size(self.template.spec.containers) > 0)",message="template.spec.containers must name at least one container",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="!has(self.workloadRef) || !has(self.template) || !has(self.template.spec) || !has(self.template.spec.containers) || size(self.template.spec.containers) == 0",message="set template or workloadRef, not both: with workloadRef the pod template is the Deployment's",fieldPath=".workloadRef"
type RolloutSpec struct {
	// Replicas is the desired number of pods. When absent, a new Rollout starts with 1 and a
	// running Rollout keeps the scale it has (set through the scale subresource, e.g. by an
	// HPA): removing the field from Git never scales a running release down.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Selector picks the Rollout's pods. It must match the template's labels and is immutable.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="selector is immutable"
	// +kubebuilder:validation:XValidation:rule="has(self.matchLabels) || has(self.matchExpressions)",message="selector must not be empty"
	Selector *metav1.LabelSelector `json:"selector"`

	// Template is the pod template released by the strategy (unless workloadRef names a
	// Deployment to take it from).
	// +optional
	Template corev1.PodTemplateSpec `json:"template,omitempty"`

	// WorkloadRef takes the pod template from a Deployment instead of spec.template, so that
	// a chart moves to a Rollout with no big-bang switch: Weir scales the Deployment down as
	// the Rollout's pods become available, and back up to spec.replicas if the Rollout is
	// deleted (it waits for those pods before it goes).
	// +optional
	WorkloadRef *WorkloadRef `json:"workloadRef,omitempty"`

	// MinReadySeconds a new pod must be Ready before it counts as available.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// RevisionHistoryLimit is how many old, scaled-down ReplicaSets are kept for undo.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=10
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// AnalysisRunHistoryLimit is how many finished AnalysisRuns are kept (for reading their
	// measurements later); older ones are deleted. Runs the release still needs are always
	// kept.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=10
	// +optional
	AnalysisRunHistoryLimit *int32 `json:"analysisRunHistoryLimit,omitempty"`

	// ProgressDeadlineSeconds bounds every waiting state of a release (pods becoming
	// available, a weight being verified on the routes, an analysis metric going without a
	// counted measurement). Exceeding it sets the Progressing condition to False with reason
	// ProgressDeadlineExceeded (an analysis ends Inconclusive, naming the metric).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=600
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// ProgressDeadlineAbort aborts the release when the progress deadline is exceeded,
	// instead of only reporting it.
	// +optional
	ProgressDeadlineAbort bool `json:"progressDeadlineAbort,omitempty"`

	// Strategy says how a new pod template is released.
	Strategy RolloutStrategy `json:"strategy"`
}

// RolloutStrategy holds exactly one strategy.
//
// +kubebuilder:validation:XValidation:rule="[has(self.canary), has(self.blueGreen)].filter(x, x).size() == 1",message="set exactly one of strategy.canary or strategy.blueGreen"
type RolloutStrategy struct {
	// Canary shifts traffic to the new revision step by step.
	// +optional
	Canary *CanaryStrategy `json:"canary,omitempty"`
	// BlueGreen brings the new revision up beside the active one and switches at once.
	// +optional
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// WorkloadRef names the Deployment, in the Rollout's namespace, whose pod template the
// Rollout releases.
type WorkloadRef struct {
	// APIVersion of the workload: apps/v1.
	// +kubebuilder:validation:Enum=apps/v1
	// +kubebuilder:default=apps/v1
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind of the workload: Deployment.
	// +kubebuilder:validation:Enum=Deployment
	// +kubebuilder:default=Deployment
	// +optional
	Kind string `json:"kind,omitempty"`
	// Name of the Deployment.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// ScaleDown says what happens to the Deployment: Progressively (default) scales it down
	// by as many pods as the Rollout has available, never below what keeps the app whole;
	// Never leaves its scale alone.
	// +kubebuilder:validation:Enum=Progressively;Never
	// +kubebuilder:default=Progressively
	// +optional
	ScaleDown WorkloadScaleDown `json:"scaleDown,omitempty"`
}

// WorkloadScaleDown is how a workloadRef's Deployment is scaled down.
type WorkloadScaleDown string

// Ways to scale a workloadRef's Deployment down.
const (
	ScaleDownProgressively WorkloadScaleDown = "Progressively"
	ScaleDownNever         WorkloadScaleDown = "Never"
)

// RolloutStatus is what Weir observed and decided; operator requests are written here too,
// so acting on a release never changes the spec that Git holds.
type RolloutStatus struct {
	// ObservedGeneration is the spec generation the rest of the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Strategy names the strategy in use (Canary or BlueGreen), for printing.
	// +optional
	Strategy string `json:"strategy,omitempty"`

	// Phase is a one-word summary for people; conditions carry the detail.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`

	// Message says, in a sentence, what the Rollout is doing or why it stopped.
	// +optional
	Message string `json:"message,omitempty"`

	// Conditions are the Rollout's conditions (see the Condition* constants).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// CurrentPodHash is the pod-template hash of the newest revision.
	// +optional
	CurrentPodHash string `json:"currentPodHash,omitempty"`

	// StableRS is the pod-template hash of the revision that serves users when no release
	// is in progress.
	// +optional
	StableRS string `json:"stableRS,omitempty"`

	// NewestRevision is the revision number given to the newest ReplicaSet Weir created
	// (its rollouts.weir.dev/revision annotation) and that revision's hash. The next one
	// gets a higher number: numbers never repeat, even after old ReplicaSets are pruned, so
	// 'kubectl weir undo --to-revision' always means one revision.
	// +optional
	NewestRevision *RevisionNumber `json:"newestRevision,omitempty"`

	// CurrentStepIndex is the canary step being executed; equal to the number of steps when
	// the release has finished.
	// +optional
	CurrentStepIndex *int32 `json:"currentStepIndex,omitempty"`

	// StepStartedAt is when the current step started (for pauses: when its weight was
	// verified). Microsecond precision: a pause measured from a time rounded to the second
	// would end up to a second early.
	// +optional
	StepStartedAt *metav1.MicroTime `json:"stepStartedAt,omitempty"`

	// Canary is the canary strategy's traffic state.
	// +optional
	Canary *CanaryStatus `json:"canary,omitempty"`

	// BlueGreen is the blue-green strategy's state.
	// +optional
	BlueGreen *BlueGreenStatus `json:"blueGreen,omitempty"`

	// Aborted is set when the current revision's release was aborted; cleared by retry or
	// a new revision.
	// +optional
	Aborted *AbortInfo `json:"aborted,omitempty"`

	// Paused is set while the release waits for a person: an operator's pause, or an
	// analysis that ended in Error or Inconclusive. Resume (or promote) clears it.
	// +optional
	Paused *PauseInfo `json:"paused,omitempty"`

	// ProgressedAt is when the release last moved (a step, a weight verified, a pod
	// becoming available); the progress deadline counts from it.
	// +optional
	ProgressedAt *metav1.Time `json:"progressedAt,omitempty"`

	// ScaleDowns are old revisions kept running after a release (scaleDownDelaySeconds),
	// each with when it scales to zero. Kept here rather than on the ReplicaSets so that
	// finishing a release costs no extra write.
	// +optional
	// +listType=map
	// +listMapKey=revision
	// +kubebuilder:validation:MaxItems=16
	ScaleDowns []ScaleDown `json:"scaleDowns,omitempty"`

	// Retries counts the retries of the current revision's release; analysis runs of a
	// retried release get new names, so an earlier failed run never decides it.
	// +optional
	Retries int32 `json:"retries,omitempty"`

	// CollisionCount makes the pod-template hash unique when two templates hash alike.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// Request is an operator's pending request; Weir acts on it and clears it.
	// +optional
	Request *OperatorRequest `json:"request,omitempty"`

	// Policy is what the ReleasePolicies that select this Rollout say of its current
	// revision; absent when none selects it.
	// +optional
	Policy *PolicyStatus `json:"policy,omitempty"`

	// Unproven says why the revision being released, once stable, is no evidence for a
	// downstream's requireUpstream: it was created as stable (no release ran), or a person
	// skipped one of its analyses. Cleared by a new revision or a retry.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Unproven string `json:"unproven,omitempty"`

	// HealthyHistory records the revisions this Rollout ran Healthy, oldest first (at most
	// 10): the evidence a downstream Rollout's requireUpstream reads, kept past the next
	// release.
	// +kubebuilder:validation:MaxItems=10
	// +optional
	HealthyHistory []HealthyPeriod `json:"healthyHistory,omitempty"`

	// Replicas is the number of pods of all revisions.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// UpdatedReplicas is the number of pods of the newest revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// ReadyReplicas is the number of Ready pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// AvailableReplicas is the number of pods Ready for at least minReadySeconds.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// DesiredReplicas is the scale Weir keeps when spec.replicas is absent.
	// +optional
	DesiredReplicas *int32 `json:"desiredReplicas,omitempty"`
	// Selector is the label selector in string form, for the scale subresource (HPA).
	// +optional
	Selector string `json:"selector,omitempty"`
}

// RevisionNumber is the number given to one revision.
type RevisionNumber struct {
	// Hash is the revision's pod-template hash.
	// +kubebuilder:validation:MaxLength=63
	Hash string `json:"hash"`
	// Number is its rollouts.weir.dev/revision annotation.
	// +kubebuilder:validation:Minimum=1
	Number int64 `json:"number"`
}

// ScaleDown is an old revision that scales to zero at a set time.
type ScaleDown struct {
	// Revision is the pod-template hash of the revision.
	// +kubebuilder:validation:MaxLength=63
	Revision string `json:"revision"`
	// At is when it scales to zero (microseconds).
	At metav1.MicroTime `json:"at"`
}

// RolloutPhase is a summary of the Rollout's state for people.
// +kubebuilder:validation:Enum=Progressing;Paused;Healthy;Degraded
type RolloutPhase string

// Phases of a Rollout.
const (
	PhaseProgressing RolloutPhase = "Progressing"
	PhasePaused      RolloutPhase = "Paused"
	PhaseHealthy     RolloutPhase = "Healthy"
	PhaseDegraded    RolloutPhase = "Degraded"
)

// AbortInfo says why and when a release was aborted.
type AbortInfo struct {
	// Reason is a CamelCase cause: OperatorAbort, AnalysisFailed, ProgressDeadlineExceeded.
	Reason string `json:"reason"`
	// Message explains the cause for people.
	Message string `json:"message,omitempty"`
	// At is when the abort happened.
	At metav1.Time `json:"at"`
	// WeightVerifiedAt is when the routes were read back with no traffic to the canary; the
	// canary is scaled down only after it (plus abortScaleDownDelaySeconds).
	// +optional
	WeightVerifiedAt *metav1.MicroTime `json:"weightVerifiedAt,omitempty"`
}

// PauseInfo says why a release waits for a person.
type PauseInfo struct {
	// Reason is OperatorPause, AnalysisError or AnalysisInconclusive.
	Reason string `json:"reason"`
	// Message explains the pause.
	// +optional
	Message string `json:"message,omitempty"`
	// By is who paused (for an operator pause).
	// +optional
	By string `json:"by,omitempty"`
	// At is when the pause began.
	At metav1.Time `json:"at"`
}

// RequestAction is an operator's request to a running release.
// +kubebuilder:validation:Enum=Promote;PromoteFull;Abort;Retry;Pause;Resume;OverridePolicy
type RequestAction string

// Operator requests.
const (
	RequestPromote     RequestAction = "Promote"
	RequestPromoteFull RequestAction = "PromoteFull"
	RequestAbort       RequestAction = "Abort"
	RequestRetry       RequestAction = "Retry"
	RequestPause       RequestAction = "Pause"
	RequestResume      RequestAction = "Resume"
	// RequestOverridePolicy lets the current revision through the ReleasePolicies (the
	// hotfix path); the request's reason is recorded.
	RequestOverridePolicy RequestAction = "OverridePolicy"
)

// OperatorRequest is a request written into status by kubectl weir, an ArgoCD action or any
// client allowed to patch rollouts/status.
// +kubebuilder:validation:XValidation:rule="self.action != 'OverridePolicy' || (has(self.reason) && size(self.reason) > 0)",message="an OverridePolicy request needs a reason",fieldPath=".reason"
type OperatorRequest struct {
	// Action is what is asked.
	Action RequestAction `json:"action"`
	// By is who asked.
	// +optional
	By string `json:"by,omitempty"`
	// Reason says why (required to override a policy).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Reason string `json:"reason,omitempty"`
	// At is when it was asked.
	At metav1.Time `json:"at"`
}

// Rollout replaces a Deployment and releases each new pod template carefully.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ro;wro,categories=weir
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=`.status.strategy`,description="Canary or BlueGreen"
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.availableReplicas`
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.currentStepIndex`
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=`.status.canary.weights.verified.canary`,description="canary weight verified on the routes"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RolloutSpec   `json:"spec"`
	Status RolloutStatus `json:"status,omitempty"`
}

// RolloutList is a list of Rollouts.
//
// +kubebuilder:object:root=true
type RolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Rollout `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Rollout{}, &RolloutList{})
}
