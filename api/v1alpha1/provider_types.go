package v1alpha1

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// WebProvider sends one HTTP(S) request per measurement and reads a number from its JSON
// answer. The address must be allowed by the installation (--allowed-web-addresses).
type WebProvider struct {
	// URL to request; {{args.name}} is replaced by the argument's value, URL-escaped.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="web.url must start with http:// or https://"
	URL string `json:"url"`
	// Method is GET (the default) or POST.
	// +kubebuilder:validation:Enum=GET;POST
	// +kubebuilder:default=GET
	// +optional
	Method string `json:"method,omitempty"`
	// Headers sent with the request; a value may come from a Secret in the run's namespace.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	Headers []WebHeader `json:"headers,omitempty"`
	// Body of a POST; {{args.name}} is replaced by the argument's value as it is.
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Body string `json:"body,omitempty"`
	// JSONPath picks the result from the JSON answer, e.g. {$.data.errorRate}: a number, a
	// numeric string, a boolean (true is 1, false is 0), or a list of those; null or nothing
	// found is no data. A non-2xx answer or a body that isn't JSON is a provider error.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	JSONPath string `json:"jsonPath"`
	// TimeoutSeconds bounds the request (default 10).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`
	// InsecureSkipVerify disables TLS certificate checks (test setups only).
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// WebHeader is one request header, its value given or read from a Secret.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="a header needs exactly one of value or valueFrom"
type WebHeader struct {
	// Name of the header.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
	Name string `json:"name"`
	// Value of the header.
	// +optional
	Value *string `json:"value,omitempty"`
	// ValueFrom reads the value from a Secret key in the run's namespace.
	// +optional
	ValueFrom *WebHeaderSource `json:"valueFrom,omitempty"`
}

// WebHeaderSource is where a header's value comes from.
type WebHeaderSource struct {
	// SecretKeyRef is a key of a Secret in the run's namespace.
	SecretKeyRef corev1.SecretKeySelector `json:"secretKeyRef"`
}

// JobProvider runs one Kubernetes Job per measurement, in the run's namespace and owned by
// the AnalysisRun (deleted with it; a run that is stopped deletes the Jobs still running).
// A Job that completes is result 1, one that fails is result 0: with no conditions set,
// the metric passes on Succeeded and fails on Failed.
type JobProvider struct {
	// Metadata added to each Job.
	// +optional
	Metadata JobMetadata `json:"metadata,omitempty"`
	// Spec of each Job; {{args.name}} anywhere in its strings is replaced by the argument's
	// value. The API server validates it when the Job is created; a spec it refuses is a
	// provider error naming the field.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Spec batchv1.JobSpec `json:"spec"`
}

// JobMetadata is the labels and annotations of a Job.
type JobMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}
