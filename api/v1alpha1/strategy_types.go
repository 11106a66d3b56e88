package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CanaryStrategy runs the new revision beside the stable one and moves traffic between the
// stable and canary Services step by step.
//
// +kubebuilder:validation:XValidation:rule="self.stableService != self.canaryService",message="canary.stableService and canary.canaryService must name different Services",fieldPath=".canaryService"
// +kubebuilder:validation:XValidation:rule="!has(self.analysis) || !has(self.analysis.startingStep) || !has(self.steps) || self.analysis.startingStep <= size(self.steps)",message="canary.analysis.startingStep must not be greater than the number of steps",fieldPath=".analysis.startingStep"
// +kubebuilder:validation:XValidation:rule="!has(self.maxSurge) || !has(self.maxUnavailable) || !(string(self.maxSurge) in ['0', '0%'] && string(self.maxUnavailable) in ['0', '0%'])",message="canary.maxSurge and canary.maxUnavailable can't both be 0: no pod could ever be replaced",fieldPath=".maxUnavailable"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || !self.steps.exists(s, has(s.setHeaderRoute) || has(s.setMirrorRoute)) || (has(self.trafficRouting) && has(self.trafficRouting.gatewayAPI) && has(self.trafficRouting.gatewayAPI.httpRoutes) && size(self.trafficRouting.gatewayAPI.httpRoutes) > 0)",message="setHeaderRoute and setMirrorRoute steps need canary.trafficRouting with httpRoutes (grpcRoutes carry weights only)",fieldPath=".trafficRouting"
// +kubebuilder:validation:XValidation:rule="!has(self.steps) || !self.steps.exists(s, has(s.setCanaryScale)) || has(self.trafficRouting)",message="setCanaryScale steps need canary.trafficRouting: without routes the canary's share of pods is its share of traffic",fieldPath=".trafficRouting"
type CanaryStrategy struct {
	// StableService is the Service that selects the stable revision's pods.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	StableService string `json:"stableService"`

	// CanaryService is the Service that selects the canary revision's pods.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	CanaryService string `json:"canaryService"`

	// TrafficRouting names the routes whose weights Weir sets. Without it the canary
	// only receives traffic in proportion to its pods behind a shared Service.
	// +optional
	TrafficRouting *TrafficRouting `json:"trafficRouting,omitempty"`

	// Steps are executed in order; after the last one the canary becomes stable.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Steps []CanaryStep `json:"steps,omitempty"`

	// Analysis runs in the background from startingStep until the release ends.
	// +optional
	Analysis *BackgroundAnalysis `json:"analysis,omitempty"`

	// MaxSurge is how many pods above the desired count may exist while a revision scales.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=8
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="canary.maxSurge must be a non-negative number or a percentage such as 25%"
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// MaxUnavailable is how many pods below the desired count may be unavailable.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=8
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="canary.maxUnavailable must be a non-negative number or a percentage such as 25%"
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// ScaleDownDelaySeconds keeps the old revision up after a release finishes, so clients
	// and gateways that still reach it drain cleanly.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=30
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`

	// AbortScaleDownDelaySeconds keeps an aborted canary up (with no traffic) for inspection
	// before scaling it down. Counted from when weight 0 is verified on the routes.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=30
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`

	// PostPromotionAnalysis is a bake after the last step: the new revision takes all traffic
	// at full size while the stable one stays up at full size, and this analysis runs. Passed,
	// the new revision becomes stable (the old one goes scaleDownDelaySeconds later); failed,
	// all traffic goes straight back to the stable revision (verified on the routes before
	// anything scales; the new one scales down abortScaleDownDelaySeconds after) and the
	// release is aborted, its change to be reverted in Git.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
}

// TrafficRouting says where Weir shifts traffic.
// +kubebuilder:validation:XValidation:rule="has(self.gatewayAPI)",message="trafficRouting needs gatewayAPI"
type TrafficRouting struct {
	// GatewayAPI names the Gateway API routes to edit.
	// +optional
	GatewayAPI *GatewayAPITrafficRouting `json:"gatewayAPI,omitempty"`
}

// GatewayAPITrafficRouting lists the routes (in the Rollout's namespace) whose backendRef
// weights Weir sets: HTTPRoutes, and GRPCRoutes for gRPC services.
// +kubebuilder:validation:XValidation:rule="(has(self.httpRoutes) ? size(self.httpRoutes) : 0) + (has(self.grpcRoutes) ? size(self.grpcRoutes) : 0) > 0",message="gatewayAPI needs at least one of httpRoutes or grpcRoutes"
type GatewayAPITrafficRouting struct {
	// HTTPRoutes are the HTTPRoutes to edit.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	HTTPRoutes []RouteRef `json:"httpRoutes,omitempty"`
	// GRPCRoutes are the GRPCRoutes to edit. Weir sets their weights; header and mirror steps
	// need an HTTPRoute.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	GRPCRoutes []RouteRef `json:"grpcRoutes,omitempty"`
}

// RouteRef names one route and, optionally, the rules in it that Weir may touch.
type RouteRef struct {
	// Name of the route.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace of the route when it isn't the Rollout's (a platform team's namespace, say).
	// Its backendRefs then name the Rollout's Services with their namespace, and the
	// Rollout's namespace needs a ReferenceGrant that lets routes of that namespace reach
	// them, as Gateway API requires: until the gateway resolves them, Weir holds the weight.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Rules are the names (the rule's name field) of the rules whose weights Weir sets;
	// empty means every rule that has backendRefs to both the stable and canary Services.
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	// +optional
	Rules []string `json:"rules,omitempty"`
}

// CanaryStep is one step of a canary release: exactly one action.
//
// +kubebuilder:validation:XValidation:rule="[has(self.setWeight), has(self.pause), has(self.analysis), has(self.setHeaderRoute), has(self.setMirrorRoute), has(self.setCanaryScale)].filter(x, x).size() == 1",message="a step must set exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale"
type CanaryStep struct {
	// SetWeight sends this percentage of traffic to the canary.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	SetWeight *int32 `json:"setWeight,omitempty"`

	// Pause waits for a duration, or until promoted when no duration is given.
	// +optional
	Pause *RolloutPause `json:"pause,omitempty"`

	// Analysis runs the templates and waits for their verdict.
	// +optional
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`

	// SetHeaderRoute sends requests with matching headers to the canary.
	// +optional
	SetHeaderRoute *SetHeaderRoute `json:"setHeaderRoute,omitempty"`

	// SetMirrorRoute mirrors a share of requests to the canary.
	// +optional
	SetMirrorRoute *SetMirrorRoute `json:"setMirrorRoute,omitempty"`

	// SetCanaryScale sets how many canary pods run, apart from the traffic weight: pods for
	// the header and mirror steps to reach before any weight, or more than a weight needs.
	// +optional
	SetCanaryScale *SetCanaryScale `json:"setCanaryScale,omitempty"`
}

// SetCanaryScale sizes the canary from this step on, until the next setCanaryScale. A size
// smaller than the traffic weight needs is raised to it: traffic never goes to canary
// capacity that isn't there.
//
// +kubebuilder:validation:XValidation:rule="[has(self.replicas), has(self.weight), has(self.matchTrafficWeight) && self.matchTrafficWeight].filter(x, x).size() == 1",message="setCanaryScale needs exactly one of replicas, weight, or matchTrafficWeight: true"
type SetCanaryScale struct {
	// Replicas is the number of canary pods.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Weight is the canary's size as a percentage of spec.replicas (rounded up).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Weight *int32 `json:"weight,omitempty"`
	// MatchTrafficWeight goes back to the default: as many canary pods as the weight needs.
	// +optional
	MatchTrafficWeight bool `json:"matchTrafficWeight,omitempty"`
}

// RolloutPause waits. Without a duration it waits until promoted.
type RolloutPause struct {
	// Duration of the pause, counted from when the previous weight was verified on the routes.
	// +optional
	Duration *PauseDuration `json:"duration,omitempty"`
}

// SetHeaderRoute adds (or, with no match, removes) a rule named name that sends requests
// carrying the given headers to the canary.
type SetHeaderRoute struct {
	// Name of the injected rule; the HTTPRoute rule is named weir-header-<name> or
	// weir-mirror-<name>, and Weir owns that rule only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=48
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Match lists the headers a request must carry; empty removes the rule.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Match []HeaderMatch `json:"match,omitempty"`
}

// HeaderMatch matches one request header, as in Gateway API's HTTPHeaderMatch.
type HeaderMatch struct {
	// Name of the header (an HTTP header name, as Gateway API requires).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
	Name string `json:"name"`
	// Type of match.
	// +kubebuilder:validation:Enum=Exact;RegularExpression
	// +kubebuilder:default=Exact
	// +optional
	Type string `json:"type,omitempty"`
	// Value to match.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value"`
}

// SetMirrorRoute adds (or, with percent 0, removes) a rule named name that mirrors a share
// of the matching requests to the canary while the stable revision answers them.
type SetMirrorRoute struct {
	// Name of the injected rule; the HTTPRoute rule is named weir-header-<name> or
	// weir-mirror-<name>, and Weir owns that rule only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=48
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Percent of matching requests mirrored to the canary; 0 removes the rule.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent int32 `json:"percent"`
	// Match limits mirroring to requests with these headers; empty mirrors every request
	// of the route's first path match.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Match []HeaderMatch `json:"match,omitempty"`
}

// RolloutAnalysis runs AnalysisTemplates as an AnalysisRun owned by the Rollout.
type RolloutAnalysis struct {
	// Templates to run together.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	Templates []AnalysisTemplateRef `json:"templates"`
	// Args fill the templates' arguments.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []AnalysisRunArgument `json:"args,omitempty"`
	// Settings override the templates' count, interval and limits for every metric of this
	// analysis, so that one template serves every environment (three measurements in dev,
	// ten in production) and the numbers live with the Rollout, per environment.
	// +optional
	Settings *MetricSettings `json:"settings,omitempty"`
}

// BackgroundAnalysis runs for the whole release, from startingStep on.
type BackgroundAnalysis struct {
	RolloutAnalysis `json:",inline"`
	// StartingStep is the index of the step at which the background analysis starts.
	// +kubebuilder:validation:Minimum=0
	// +optional
	StartingStep *int32 `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate, or a ClusterAnalysisTemplate.
type AnalysisTemplateRef struct {
	// TemplateName is the template's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	TemplateName string `json:"templateName"`
	// ClusterScope picks a ClusterAnalysisTemplate instead of a namespaced template.
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// AnalysisRunArgument gives a template argument a value, literal or taken from the Rollout.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="an argument needs exactly one of value or valueFrom"
type AnalysisRunArgument struct {
	// Name of the argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`
	// Value is a literal value.
	// +optional
	Value *string `json:"value,omitempty"`
	// ValueFrom takes the value from the Rollout.
	// +optional
	ValueFrom *ArgumentValueFrom `json:"valueFrom,omitempty"`
}

// ArgumentValueFrom takes an argument's value from the Rollout being released.
// +kubebuilder:validation:XValidation:rule="has(self.podTemplateHashValue) != has(self.fieldRef)",message="valueFrom needs exactly one of podTemplateHashValue or fieldRef"
type ArgumentValueFrom struct {
	// PodTemplateHashValue is the pod-template hash of the Stable or Latest (canary) revision.
	// +kubebuilder:validation:Enum=Stable;Latest
	// +optional
	PodTemplateHashValue *string `json:"podTemplateHashValue,omitempty"`
	// FieldRef reads a field of the Rollout: metadata.name, metadata.namespace, or a label
	// or annotation (metadata.labels['x']).
	// +optional
	FieldRef *FieldRef `json:"fieldRef,omitempty"`
}

// FieldRef names a field of the Rollout.
type FieldRef struct {
	// FieldPath such as metadata.name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=320
	// +kubebuilder:validation:XValidation:rule="self in ['metadata.name', 'metadata.namespace'] || self.matches('^metadata[.](labels|annotations)[[]\\x27[^\\x27]+\\x27[]]$')",message="fieldPath must be metadata.name, metadata.namespace, metadata.labels['key'] or metadata.annotations['key']"
	FieldPath string `json:"fieldPath"`
}

// BlueGreenStrategy brings the new revision up beside the active one, behind the preview
// Service, and switches the active Service to it at promotion.
//
// +kubebuilder:validation:XValidation:rule="self.activeService != self.previewService",message="blueGreen.activeService and blueGreen.previewService must name different Services",fieldPath=".previewService"
type BlueGreenStrategy struct {
	// ActiveService serves users; it selects the active revision.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	ActiveService string `json:"activeService"`
	// PreviewService selects the new revision before promotion.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	PreviewService string `json:"previewService"`
	// PreviewReplicaCount runs the preview at this size until promotion (default: full size).
	// +kubebuilder:validation:Minimum=1
	// +optional
	PreviewReplicaCount *int32 `json:"previewReplicaCount,omitempty"`
	// AutoPromotionEnabled promotes without an operator (default true).
	// +kubebuilder:default=true
	// +optional
	AutoPromotionEnabled *bool `json:"autoPromotionEnabled,omitempty"`
	// AutoPromotionSeconds waits this long after the preview is available before promoting.
	// +kubebuilder:validation:Minimum=0
	// +optional
	AutoPromotionSeconds int32 `json:"autoPromotionSeconds,omitempty"`
	// PrePromotionAnalysis runs against the preview before any user traffic moves.
	// +optional
	PrePromotionAnalysis *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`
	// PostPromotionAnalysis runs after the switch, while the old revision is still up.
	// +optional
	PostPromotionAnalysis *RolloutAnalysis `json:"postPromotionAnalysis,omitempty"`
	// ScaleDownDelaySeconds keeps the old revision up after the switch.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=30
	// +optional
	ScaleDownDelaySeconds *int32 `json:"scaleDownDelaySeconds,omitempty"`
	// AbortScaleDownDelaySeconds keeps an aborted preview up before scaling it down.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=30
	// +optional
	AbortScaleDownDelaySeconds *int32 `json:"abortScaleDownDelaySeconds,omitempty"`
	// TrafficRouting switches HTTPRoute weights 0/100 between the active and preview
	// Services instead of switching the active Service's selector.
	// +optional
	TrafficRouting *TrafficRouting `json:"trafficRouting,omitempty"`
}

// WeightPair is the share of traffic, in percent, for each side.
type WeightPair struct {
	// Stable is the stable Service's weight.
	Stable int32 `json:"stable"`
	// Canary is the canary Service's weight.
	Canary int32 `json:"canary"`
}

// Weights are the weights Weir wants and those it read back from every route.
type Weights struct {
	// Desired is what Weir writes.
	Desired WeightPair `json:"desired"`
	// Verified is what was read back from every route, with the route's parent status
	// Accepted for its current generation. Absent until verified.
	// +optional
	Verified *WeightPair `json:"verified,omitempty"`
	// LastVerified is the last Verified there was: it stays while the routes aren't verified,
	// so that Weir knows what weight the gateways last carried when a backend stops
	// resolving (it holds the canary at no more than that).
	// +optional
	LastVerified *WeightPair `json:"lastVerified,omitempty"`
	// VerifiedAt is when Verified first matched Desired.
	// +optional
	VerifiedAt *metav1.Time `json:"verifiedAt,omitempty"`
	// History is the canary weight asked and verified over the current release, one entry
	// per change, oldest first (the last 64): what the dashboard plots.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	History []WeightRecord `json:"history,omitempty"`
}

// WeightRecord is the canary (preview) weight asked of the routes and verified, from a moment on.
type WeightRecord struct {
	// At is when it was decided.
	At metav1.Time `json:"at"`
	// Desired is the canary weight asked of the routes.
	Desired int32 `json:"desired"`
	// Verified is the canary weight read back from every route; absent while not verified.
	// +optional
	Verified *int32 `json:"verified,omitempty"`
}

// CanaryStatus is the canary strategy's traffic and analysis state.
type CanaryStatus struct {
	// Weights on the routes.
	// +optional
	Weights *Weights `json:"weights,omitempty"`
	// HeaderRoutes are the injected header rules currently wanted.
	// +listType=set
	// +optional
	HeaderRoutes []string `json:"headerRoutes,omitempty"`
	// MirrorRoutes are the injected mirror rules currently wanted.
	// +listType=set
	// +optional
	MirrorRoutes []string `json:"mirrorRoutes,omitempty"`
	// StepAnalysisRun is the AnalysisRun of the current analysis step.
	// +optional
	StepAnalysisRun string `json:"stepAnalysisRun,omitempty"`
	// BackgroundAnalysisRun is the background AnalysisRun of this release.
	// +optional
	BackgroundAnalysisRun string `json:"backgroundAnalysisRun,omitempty"`
	// PostPromotionAnalysisRun is the AnalysisRun of the bake after the last step.
	// +optional
	PostPromotionAnalysisRun string `json:"postPromotionAnalysisRun,omitempty"`
}

// BlueGreenStatus is the blue-green strategy's state.
type BlueGreenStatus struct {
	// Weights on the routes when trafficRouting is set: stable is the active Service's
	// weight, canary the preview Service's.
	// +optional
	Weights *Weights `json:"weights,omitempty"`
	// ActiveSelector is the pod-template hash the active Service selects.
	// +optional
	ActiveSelector string `json:"activeSelector,omitempty"`
	// PreviewSelector is the pod-template hash the preview Service selects.
	// +optional
	PreviewSelector string `json:"previewSelector,omitempty"`
	// PreviewAvailableAt is when the preview first had all its replicas available.
	// +optional
	PreviewAvailableAt *metav1.MicroTime `json:"previewAvailableAt,omitempty"`
	// SwitchedAt is when traffic moved to the new revision.
	// +optional
	SwitchedAt *metav1.MicroTime `json:"switchedAt,omitempty"`
	// PrePromotionAnalysisRun is the AnalysisRun run before the switch.
	// +optional
	PrePromotionAnalysisRun string `json:"prePromotionAnalysisRun,omitempty"`
	// PostPromotionAnalysisRun is the AnalysisRun run after the switch.
	// +optional
	PostPromotionAnalysisRun string `json:"postPromotionAnalysisRun,omitempty"`
}
