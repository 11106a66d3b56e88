package v1alpha1

// Condition types of a Rollout. Ready/Reconciling/Stalled follow kstatus so generic tools
// (ArgoCD, Flux, kstatus) understand a Rollout without knowing Weir.
const (
	// ConditionReady is True when the Rollout is Healthy: no release in progress, every
	// replica of the stable revision available, traffic 100% on stable.
	ConditionReady = "Ready"
	// ConditionReconciling is True while a release is in progress.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the release can't proceed without a person: aborted,
	// invalid spec, missing reference, or the progress deadline exceeded.
	ConditionStalled = "Stalled"
	// ConditionProgressing reports whether the release moves; False with reason
	// ProgressDeadlineExceeded when a waiting state outlived progressDeadlineSeconds.
	ConditionProgressing = "Progressing"
	// ConditionPaused is True while the release waits: a pause step, an operator pause, or
	// an errored analysis.
	ConditionPaused = "Paused"
	// ConditionAvailable is True when at least replicas - maxUnavailable pods are available.
	ConditionAvailable = "Available"
	// ConditionAborted is True when the current revision's release was aborted.
	ConditionAborted = "Aborted"
	// ConditionInvalidSpec is True when the spec or what it references can't be used.
	ConditionInvalidSpec = "InvalidSpec"
	// ConditionTrafficVerified is True when the desired weights were read back from every
	// route and each route is Accepted for its current generation.
	ConditionTrafficVerified = "TrafficVerified"
)

// Condition reasons. CamelCase, stable: scripts and health checks may match on them.
const (
	ReasonHealthy                  = "Healthy"
	ReasonReleasing                = "Releasing"
	ReasonWaitingForPods           = "WaitingForPods"
	ReasonWaitingForTraffic        = "WaitingForTraffic"
	ReasonStepPause                = "StepPause"
	ReasonWaitingForPromotion      = "WaitingForPromotion"
	ReasonOperatorPause            = "OperatorPause"
	ReasonAnalysisError            = "AnalysisError"
	ReasonAnalysisInconclusive     = "AnalysisInconclusive"
	ReasonNewRevision              = "NewRevision"
	ReasonAnalysisRunning          = "AnalysisRunning"
	ReasonOperatorAbort            = "OperatorAbort"
	ReasonAnalysisFailed           = "AnalysisFailed"
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	ReasonReferenceNotFound        = "ReferenceNotFound"
	ReasonInvalidSpec              = "InvalidSpec"
	ReasonVerified                 = "Verified"
	ReasonNotAccepted              = "NotAccepted"
	// ReasonBackendNotResolved: a gateway reports a backendRef of a route it can't resolve;
	// the canary gets no more traffic until it does.
	ReasonBackendNotResolved = "BackendNotResolved"
	ReasonWeightMismatch     = "WeightMismatch"
	ReasonAsExpected         = "AsExpected"
	ReasonNotAvailable       = "NotAvailable"
	// ReasonWaitingForProvider: an analysis can't measure, its provider doesn't answer; it
	// retries with backoff and the release continues by itself once it answers.
	ReasonWaitingForProvider = "WaitingForProvider"
	// ReasonRestoringTraffic: the Rollout is being deleted; Weir gives traffic and
	// selectors back first (finalizer rollouts.weir.dev/restore-traffic).
	ReasonRestoringTraffic = "RestoringTraffic"

	// Reasons of a release held or refused by a ReleasePolicy.

	// ReasonReleaseWindowClosed: no release window is open; the release starts (or takes its
	// next step) by itself when one opens.
	ReasonReleaseWindowClosed = "ReleaseWindowClosed"
	// ReasonUpstreamNotSoaked: the upstream Rollout hasn't run the same images Healthy for
	// the soak time yet; the release starts by itself when it has.
	ReasonUpstreamNotSoaked = "UpstreamNotSoaked"
	// ReasonImageRefused: an image of the template is one the policy refuses; the release
	// never starts (change the image in Git, or override).
	ReasonImageRefused = "ImageRefused"
	// ReasonPolicyInvalid: a policy can't be evaluated (an unknown time zone); releases it
	// selects are held until it is fixed.
	ReasonPolicyInvalid = "PolicyInvalid"
	// ReasonPolicyOverridden: a person let the revision through the policies.
	ReasonPolicyOverridden = "PolicyOverridden"
)

// HeldByPolicy says whether a Ready reason is a ReleasePolicy holding the release. (The
// Argo CD health script, Lua, lists the ones shown Suspended itself.)
func HeldByPolicy(reason string) bool {
	switch reason {
	case ReasonReleaseWindowClosed, ReasonUpstreamNotSoaked, ReasonImageRefused, ReasonPolicyInvalid:
		return true
	}
	return false
}
