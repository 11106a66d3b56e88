package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnalysisTemplateSpec is a reusable set of metrics with their arguments.
type AnalysisTemplateSpec struct {
	// Args are the template's parameters, referenced in queries as {{args.name}}.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []Argument `json:"args,omitempty"`

	// Metrics are measured together; the run's verdict is the worst metric's.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`

	// OnError says what happens when the provider doesn't answer. Retry (default) goes on
	// trying with backoff and continues by itself once measurements succeed, bounded by the
	// Rollout's progress deadline (then the run ends in Error and the Rollout pauses); Pause
	// ends the run in Error after consecutiveErrorLimit errors in a row and waits for an
	// operator; Abort then aborts the release. Merged templates take the strictest.
	// +kubebuilder:validation:Enum=Retry;Pause;Abort
	// +kubebuilder:default=Retry
	// +optional
	OnError ErrorAction `json:"onError,omitempty"`
}

// ErrorAction is what an errored analysis does to the release.
type ErrorAction string

// Error actions.
const (
	ErrorActionRetry ErrorAction = "Retry"
	ErrorActionPause ErrorAction = "Pause"
	ErrorActionAbort ErrorAction = "Abort"
)

// Argument is a template parameter, optionally with a default value.
type Argument struct {
	// Name of the argument.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_-]*$`
	Name string `json:"name"`
	// Value is the default (in a template) or the resolved value (in a run).
	// +optional
	Value *string `json:"value,omitempty"`
}

// Metric is one measurement repeated over time and the conditions that judge it.
//
// +kubebuilder:validation:XValidation:rule="has(self.successCondition) || has(self.failureCondition) || (has(self.dryRun) && self.dryRun) || has(self.provider.judge) || has(self.provider.job)",message="a metric needs successCondition or failureCondition (or dryRun: true)"
// +kubebuilder:validation:XValidation:rule="!has(self.count) || self.count <= 1 || has(self.interval)",message="a metric with count greater than 1 needs an interval",fieldPath=".interval"
type Metric struct {
	// Name of the metric, unique in the template.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// InitialDelay before the first measurement, counted from when the step's traffic weight
	// is verified on the routes.
	// +optional
	InitialDelay Duration `json:"initialDelay,omitempty"`

	// MetricSettings are the count, interval and limits; an analysis of a Rollout may
	// override them (spec.strategy…analysis.settings).
	MetricSettings `json:",inline"`

	// SuccessCondition is a CEL expression over `result` (a number, or a list of numbers for
	// a vector) that is true when the measurement is good, e.g. `result < 0.05`.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	SuccessCondition string `json:"successCondition,omitempty"`

	// FailureCondition is a CEL expression over `result` that is true when the measurement
	// is bad. When both are set and neither holds, the measurement is Inconclusive.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	FailureCondition string `json:"failureCondition,omitempty"`

	// OnNoData is the verdict of a measurement with an empty result or NaN: Inconclusive
	// (default), Failure, Success, or Wait (measure again without counting).
	// +kubebuilder:validation:Enum=Inconclusive;Failure;Success;Wait
	// +kubebuilder:default=Inconclusive
	// +optional
	OnNoData NoDataPolicy `json:"onNoData,omitempty"`

	// DryRun metrics are measured and shown but never decide the run.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	// Provider runs the query.
	Provider MetricProvider `json:"provider"`
}

// NoDataPolicy is the verdict for an empty or NaN result.
type NoDataPolicy string

// No-data policies.
const (
	NoDataInconclusive NoDataPolicy = "Inconclusive"
	NoDataFailure      NoDataPolicy = "Failure"
	NoDataSuccess      NoDataPolicy = "Success"
	NoDataWait         NoDataPolicy = "Wait"
)

// MetricProvider holds exactly one provider. Each has its implementation in its own folder
// under internal/provider, registered in internal/provider/registry.
// +kubebuilder:validation:XValidation:rule="[has(self.prometheus), has(self.judge), has(self.web), has(self.job)].filter(x, x).size() == 1",message="provider needs exactly one of prometheus, judge, web or job"
type MetricProvider struct {
	// Prometheus queries a Prometheus server's HTTP API.
	// +optional
	Prometheus *PrometheusProvider `json:"prometheus,omitempty"`
	// Judge compares the canary's samples with the baseline's (Mann-Whitney U test).
	// +optional
	Judge *JudgeProvider `json:"judge,omitempty"`
	// Web reads a number from the JSON answer of an HTTP(S) endpoint.
	// +optional
	Web *WebProvider `json:"web,omitempty"`
	// Job runs a Kubernetes Job for each measurement: Succeeded is result 1, Failed is 0.
	// +optional
	Job *JobProvider `json:"job,omitempty"`
}

// DefaultConditions are the conditions of a metric that sets neither: providers whose
// result is already a verdict (judge: 1 Pass, 0.5 Marginal, 0 Fail; job: 1 Succeeded, 0
// Failed) pass on 1 and fail on 0. Others have none: the metric must say.
func (p MetricProvider) DefaultConditions() (success, failure string) {
	if p.Judge != nil || p.Job != nil {
		return "result == 1.0", "result == 0.0"
	}
	return "", ""
}

// Describe names the provider for people, in messages: "prometheus at http://…".
func (p MetricProvider) Describe() string {
	switch {
	case p.Prometheus != nil:
		return "prometheus at " + p.Prometheus.Address
	case p.Judge != nil:
		return "prometheus at " + p.Judge.Prometheus.Address
	case p.Web != nil:
		return "web endpoint " + p.Web.URL
	case p.Job != nil:
		return "the Job"
	}
	return "the provider"
}

// JudgeProvider compares two samples of the same measurement, the canary's and the
// baseline's (usually the stable revision's), with a Mann-Whitney U test: canary-vs-baseline
// analysis without an external service. Each query is run as a range query over window, and
// every value of every series is one sample. The measurement's result is 1 (Pass), 0.5
// (Marginal) or 0 (Fail); without conditions, Pass succeeds, Fail fails and Marginal is
// Inconclusive.
type JudgeProvider struct {
	// Prometheus is where both queries run, reached as a prometheus provider is (address,
	// timeout, headers, auth, TLS).
	Prometheus PrometheusEndpoint `json:"prometheus"`
	// CanaryQuery is the canary's measurement, e.g. per-pod p99 latency of the canary.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=8192
	CanaryQuery string `json:"canaryQuery"`
	// BaselineQuery is the same measurement of the baseline.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=8192
	BaselineQuery string `json:"baselineQuery"`
	// Window of samples to compare (default 2m), sampled every step (default 10s).
	// +optional
	Window Duration `json:"window,omitempty"`
	// +optional
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0+([.]0+)?(ms|s|m|h))+$')",message="step must be longer than 0"
	Step Duration `json:"step,omitempty"`
	// Direction that is bad for the canary: Increase (e.g. latency, the default), Decrease
	// (e.g. throughput) or Either.
	// +kubebuilder:validation:Enum=Increase;Decrease;Either
	// +kubebuilder:default=Increase
	// +optional
	Direction string `json:"direction,omitempty"`
	// EffectSize is the smallest relative difference of the medians that matters (default
	// 0.1: a canary 10% slower). Smaller differences pass even when significant.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+([.][0-9]+)?$')",message="effectSize must be a non-negative number such as 0.1"
	EffectSize *string `json:"effectSize,omitempty"`
	// Confidence required to call a difference (default 0.95).
	// +optional
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^0[.][0-9]+$') && double(self) > 0.5",message="confidence must be a number between 0.5 and 1, such as 0.95"
	Confidence *string `json:"confidence,omitempty"`
	// MinSamples each side needs before judging; fewer is no data (default 10).
	// +kubebuilder:validation:Minimum=3
	// +optional
	MinSamples *int32 `json:"minSamples,omitempty"`
}

// PrometheusEndpoint is a Prometheus server and how to reach it: one client for every
// query Weir sends it, instant or range, with every field honoured.
type PrometheusEndpoint struct {
	// Address of the Prometheus server, e.g. http://prometheus.monitoring:9090.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="prometheus.address must start with http:// or https://"
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getHostname() != ''",message="prometheus.address must be a URL with a host, e.g. http://prometheus.monitoring:9090"
	Address string `json:"address"`
	// Timeout of one query (default 30s).
	// +optional
	Timeout Duration `json:"timeout,omitempty"`
	// Headers sent with every query.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	Headers []HTTPHeader `json:"headers,omitempty"`
	// Auth reads credentials from a Secret in the run's namespace.
	// +optional
	Auth *PrometheusAuth `json:"auth,omitempty"`
	// InsecureSkipVerify disables TLS certificate checks (test setups only).
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// PrometheusProvider runs an instant query against Prometheus.
type PrometheusProvider struct {
	PrometheusEndpoint `json:",inline"`
	// Query is a PromQL expression; {{args.name}} is replaced by the argument's value,
	// escaped so that it can't change the query's meaning.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=8192
	Query string `json:"query"`
}

// HTTPHeader is one request header.
type HTTPHeader struct {
	// Name of the header (an HTTP header name: the HTTP client refuses anything else).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
	Name string `json:"name"`
	// Value of the header.
	Value string `json:"value"`
}

// PrometheusAuth holds exactly one way to authenticate.
// +kubebuilder:validation:XValidation:rule="has(self.bearerTokenSecret) != has(self.basicAuthSecret)",message="auth needs exactly one of bearerTokenSecret or basicAuthSecret"
type PrometheusAuth struct {
	// BearerTokenSecret is a Secret key holding a bearer token.
	// +optional
	BearerTokenSecret *corev1.SecretKeySelector `json:"bearerTokenSecret,omitempty"`
	// BasicAuthSecret names a Secret with `username` and `password` keys.
	// +optional
	BasicAuthSecret *corev1.LocalObjectReference `json:"basicAuthSecret,omitempty"`
}

// AnalysisTemplate is a namespaced, reusable analysis.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=at,categories=weir
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`

// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AnalysisTemplateSpec `json:"spec"`
	// Status reports whether the template's CEL conditions compile.
	Status AnalysisTemplateStatus `json:"status,omitempty"`
}

// AnalysisTemplateStatus reports problems found when Weir loads the template.
type AnalysisTemplateStatus struct {
	// ObservedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Valid says whether every condition expression compiles.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AnalysisTemplateList is a list of AnalysisTemplates.
//
// +kubebuilder:object:root=true
type AnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisTemplate `json:"items"`
}

// ClusterAnalysisTemplate is an AnalysisTemplate usable from every namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cat,categories=weir
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterAnalysisTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AnalysisTemplateSpec   `json:"spec"`
	Status AnalysisTemplateStatus `json:"status,omitempty"`
}

// ClusterAnalysisTemplateList is a list of ClusterAnalysisTemplates.
//
// +kubebuilder:object:root=true
type ClusterAnalysisTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterAnalysisTemplate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AnalysisTemplate{}, &AnalysisTemplateList{},
		&ClusterAnalysisTemplate{}, &ClusterAnalysisTemplateList{})
}

// MetricSettings are how often a metric measures and how many bad measurements it tolerates:
// a template's own, or an analysis's override of them for every metric it runs.
type MetricSettings struct {
	// Interval between measurements. Without it and without count, one measurement.
	// +optional
	Interval Duration `json:"interval,omitempty"`

	// Count is how many measurements to take. Unset with an interval: measure until the
	// rollout step that owns the run ends.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Count *int32 `json:"count,omitempty"`

	// FailureLimit is how many Failed measurements the metric tolerates (default 0).
	// +kubebuilder:validation:Minimum=0
	// +optional
	FailureLimit *int32 `json:"failureLimit,omitempty"`

	// ConsecutiveFailureLimit fails the metric after this many Failed measurements in a row.
	// +kubebuilder:validation:Minimum=1
	// +optional
	ConsecutiveFailureLimit *int32 `json:"consecutiveFailureLimit,omitempty"`

	// InconclusiveLimit is how many Inconclusive measurements the metric tolerates before
	// it becomes Inconclusive (default 0).
	// +kubebuilder:validation:Minimum=0
	// +optional
	InconclusiveLimit *int32 `json:"inconclusiveLimit,omitempty"`

	// ConsecutiveErrorLimit is how many provider errors in a row make the metric Error
	// (default 5, with backoff between attempts).
	// +kubebuilder:validation:Minimum=1
	// +optional
	ConsecutiveErrorLimit *int32 `json:"consecutiveErrorLimit,omitempty"`
}
