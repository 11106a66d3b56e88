package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels and annotations Weir puts on the AnalysisRuns it owns.
const (
	// AnalysisRunRolloutLabel names the run's Rollout.
	AnalysisRunRolloutLabel = "rollouts.weir.dev/rollout"
	// AnalysisRunStepAnnotation says where in the release the run measures ("step 2/5 at
	// weight 20", "post-promotion").
	AnalysisRunStepAnnotation = "rollouts.weir.dev/step"
	// MeasurementRunLabel, on the objects a provider creates for a measurement (a Job),
	// names their AnalysisRun; Weir watches only objects that carry it.
	MeasurementRunLabel = "rollouts.weir.dev/analysis-run"
	// MeasurementMetricLabel names the measured metric.
	MeasurementMetricLabel = "rollouts.weir.dev/metric"
)

// AnalysisRunSpec is a resolved analysis: templates merged, arguments filled in.
type AnalysisRunSpec struct {
	// Args are the resolved arguments.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Args []Argument `json:"args,omitempty"`
	// Metrics to measure.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	Metrics []Metric `json:"metrics"`
	// OnError is what happens when the provider doesn't answer (see AnalysisTemplateSpec).
	// +kubebuilder:validation:Enum=Retry;Pause;Abort
	// +kubebuilder:default=Retry
	// +optional
	OnError ErrorAction `json:"onError,omitempty"`
	// ProgressDeadlineSeconds ends a metric that takes no counted measurement for this long
	// (plus its interval): the Rollout's progressDeadlineSeconds. Unset: no bound.
	// +kubebuilder:validation:Minimum=1
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
	// StartAt is when measuring may begin: the Rollout sets it once the step's weight is
	// verified on the routes. Unset means not yet.
	// +optional
	StartAt *metav1.Time `json:"startAt,omitempty"`
	// Terminate stops the run (the release no longer needs it). A metric without a count that
	// measured at least once ends Successful; every other unfinished metric ends Inconclusive:
	// a stopped run is never a pass, and a Rollout never reads a stopped run as a verdict.
	// +optional
	Terminate bool `json:"terminate,omitempty"`
}

// AnalysisPhase is the verdict of a measurement, a metric or a run.
// +kubebuilder:validation:Enum=Pending;Running;Successful;Failed;Inconclusive;Error
type AnalysisPhase string

// Analysis phases. A run takes the worst of its metrics: Failed > Error > Inconclusive >
// Running > Pending > Successful.
const (
	AnalysisPending      AnalysisPhase = "Pending"
	AnalysisRunning      AnalysisPhase = "Running"
	AnalysisSuccessful   AnalysisPhase = "Successful"
	AnalysisFailed       AnalysisPhase = "Failed"
	AnalysisInconclusive AnalysisPhase = "Inconclusive"
	AnalysisError        AnalysisPhase = "Error"
)

// Completed reports whether the phase is final.
func (p AnalysisPhase) Completed() bool {
	switch p {
	case AnalysisSuccessful, AnalysisFailed, AnalysisInconclusive, AnalysisError:
		return true
	}
	return false
}

// Measurement is one query and its verdict.
type Measurement struct {
	// Phase is the verdict.
	Phase AnalysisPhase `json:"phase"`
	// Value is the result as text ("0.012", "[0.1,0.2]"), or empty when there was no data.
	// +optional
	Value string `json:"value,omitempty"`
	// NoData is true when the query returned an empty result or NaN.
	// +optional
	NoData bool `json:"noData,omitempty"`
	// Message explains errors and no-data verdicts.
	// +optional
	Message string `json:"message,omitempty"`
	// StartedAt is when the query was sent (microseconds: the next measurement is due
	// interval after it).
	StartedAt metav1.MicroTime `json:"startedAt"`
	// FinishedAt is when the answer came.
	// +optional
	FinishedAt *metav1.MicroTime `json:"finishedAt,omitempty"`
}

// MetricResult is the running tally of one metric.
type MetricResult struct {
	// Name of the metric.
	Name string `json:"name"`
	// Phase is the metric's verdict so far.
	Phase AnalysisPhase `json:"phase"`
	// DryRun metrics never decide the run.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// Message explains the verdict.
	// +optional
	Message string `json:"message,omitempty"`
	// Measurements are the latest measurements, newest last (at most 10 kept).
	// +optional
	Measurements []Measurement `json:"measurements,omitempty"`
	// Count of measurements taken, and of each verdict.
	// +optional
	Count int32 `json:"count,omitempty"`
	// +optional
	Successful int32 `json:"successful,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
	// +optional
	Inconclusive int32 `json:"inconclusive,omitempty"`
	// +optional
	Error int32 `json:"error,omitempty"`
	// ConsecutiveError counts provider errors in a row.
	// +optional
	ConsecutiveError int32 `json:"consecutiveError,omitempty"`
	// ConsecutiveFailure counts Failed measurements in a row.
	// +optional
	ConsecutiveFailure int32 `json:"consecutiveFailure,omitempty"`
}

// AnalysisRunStatus is the run's verdict and its metrics' measurements.
type AnalysisRunStatus struct {
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is the run's verdict.
	// +optional
	Phase AnalysisPhase `json:"phase,omitempty"`
	// Message explains the verdict.
	// +optional
	Message string `json:"message,omitempty"`
	// StartedAt is when the run began; initialDelay counts from it (microseconds).
	// +optional
	StartedAt *metav1.MicroTime `json:"startedAt,omitempty"`
	// MetricResults, one per metric.
	// +listType=map
	// +listMapKey=name
	// +optional
	MetricResults []MetricResult `json:"metricResults,omitempty"`
	// Conditions of the run.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AnalysisRun is one execution of analysis templates, owned by a Rollout.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ar,categories=weir
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AnalysisRun struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AnalysisRunSpec   `json:"spec"`
	Status AnalysisRunStatus `json:"status,omitempty"`
}

// AnalysisRunList is a list of AnalysisRuns.
//
// +kubebuilder:object:root=true
type AnalysisRunList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AnalysisRun `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AnalysisRun{}, &AnalysisRunList{})
}
