package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReleasePolicySpec is a set of release rules a platform team sets once for the Rollouts of a
// namespace: when releases may run, which upstream environment must have run the same images
// first, and which images are refused. Every policy that selects a Rollout holds for it; a
// release starts only when all of them allow it.
type ReleasePolicySpec struct {
	// Selector picks the Rollouts of this namespace the policy holds for, by label; absent or
	// empty, it selects every Rollout of the namespace.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// Windows say when releases may run. A new release that arrives outside them stays on
	// the stable revision (all traffic, nothing scaled up) and starts by itself when a window
	// opens; a release under way when a window closes finishes its current step and waits at
	// the next step boundary.
	// +optional
	Windows *ReleaseWindows `json:"windows,omitempty"`

	// RequireUpstream holds a release until an upstream Rollout (staging for production) has
	// run the same container images Healthy for a soak time.
	// +optional
	RequireUpstream *UpstreamRequirement `json:"requireUpstream,omitempty"`

	// Images refuses image references: a release of a template with such an image never
	// starts.
	// +optional
	Images *ImageRules `json:"images,omitempty"`
}

// ReleaseWindows are the allow and deny windows of a policy.
type ReleaseWindows struct {
	// Allow, when not empty, lets releases run only inside one of these windows.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Allow []ReleaseWindow `json:"allow,omitempty"`
	// Deny keeps releases from running inside any of these windows (a freeze, peak hours,
	// Fridays); a deny window wins over an allow window.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Deny []ReleaseWindow `json:"deny,omitempty"`
}

// ReleaseWindow is a recurring time of day on some days of the week, in one time zone,
// optionally only between two dates.
// +kubebuilder:validation:XValidation:rule="!has(self.from) || !has(self.until) || self.from <= self.until",message="from must not be after until"
type ReleaseWindow struct {
	// Name names the window in messages ("no-friday-releases"); default: its days and times.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Name string `json:"name,omitempty"`
	// Days are the days of the week the window opens on; empty means every day. A window that
	// spans midnight belongs to the day it opens on.
	// +kubebuilder:validation:MaxItems=7
	// +listType=set
	// +optional
	Days []Weekday `json:"days,omitempty"`
	// Start is the time of day the window opens, HH:MM (default 00:00).
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]$')",message="must be a time of day HH:MM, 00:00 to 23:59"
	// +kubebuilder:validation:MaxLength=5
	// +optional
	Start string `json:"start,omitempty"`
	// End is the time of day the window closes, HH:MM (default 24:00, the end of the day).
	// An end at or before the start spans midnight: 22:00 to 06:00.
	// +kubebuilder:validation:XValidation:rule="self.matches('^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$')",message="must be a time of day HH:MM, 00:00 to 24:00"
	// +kubebuilder:validation:MaxLength=5
	// +optional
	End string `json:"end,omitempty"`
	// TimeZone is the IANA name of the time zone of Start, End and the dates
	// ("Europe/Berlin"); default UTC. Daylight saving time is followed: 09:00 stays 09:00.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// From is the first day the window holds, YYYY-MM-DD in its time zone.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$')",message="must be a date YYYY-MM-DD"
	// +kubebuilder:validation:MaxLength=10
	// +optional
	From string `json:"from,omitempty"`
	// Until is the last day the window holds (inclusive), YYYY-MM-DD in its time zone.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$')",message="must be a date YYYY-MM-DD"
	// +kubebuilder:validation:MaxLength=10
	// +optional
	Until string `json:"until,omitempty"`
}

// Weekday is a day of the week, in English.
// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
type Weekday string

// UpstreamRequirement names the Rollout a release must have soaked in first.
type UpstreamRequirement struct {
	// Namespace of the upstream Rollout ("blog-staging").
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// Rollout is the upstream Rollout's name; default: the same name as the Rollout held.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Rollout string `json:"rollout,omitempty"`
	// Soak is how long the upstream must have run the same images Healthy (default 1h).
	// +optional
	Soak Duration `json:"soak,omitempty"`
}

// ImageRules say which image references a release may not use.
type ImageRules struct {
	// AllowLatest lets an image without a tag, or tagged latest, through (default: refused;
	// an image named by digest is always allowed).
	// +optional
	AllowLatest bool `json:"allowLatest,omitempty"`
	// RequireDigest refuses every image not named by digest (name@sha256:…).
	// +optional
	RequireDigest bool `json:"requireDigest,omitempty"`
}

// ReleasePolicy holds release rules for the Rollouts of its namespace that it selects.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rp,categories=weir
// +kubebuilder:printcolumn:name="Selector",type=string,JSONPath=`.spec.selector`,priority=1
// +kubebuilder:printcolumn:name="Upstream",type=string,JSONPath=`.spec.requireUpstream.namespace`
// +kubebuilder:printcolumn:name="Soak",type=string,JSONPath=`.spec.requireUpstream.soak`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ReleasePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ReleasePolicySpec `json:"spec"`
}

// ReleasePolicyList is a list of ReleasePolicies.
//
// +kubebuilder:object:root=true
type ReleasePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ReleasePolicy `json:"items"`
}

// PolicyStatus is what the ReleasePolicies selecting a Rollout say of its current revision.
type PolicyStatus struct {
	// Policies names the ReleasePolicies that select the Rollout.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Policies []string `json:"policies,omitempty"`
	// Admitted is the revision (pod-template hash) whose release the policies let start;
	// later windows only hold it at step boundaries.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Admitted string `json:"admitted,omitempty"`
	// Evidence says what each rule found ("blog-staging/backend has run demoapp:v4 Healthy
	// for 1h12m"), or what is missing.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Evidence []string `json:"evidence,omitempty"`
	// Override is a person letting one revision through the policies.
	// +optional
	Override *PolicyOverride `json:"override,omitempty"`
}

// PolicyOverride records who let a revision through the policies, when and why.
type PolicyOverride struct {
	// Revision is the pod-template hash let through; the next revision is held again.
	// +kubebuilder:validation:MaxLength=63
	Revision string `json:"revision"`
	// By is who asked.
	// +optional
	By string `json:"by,omitempty"`
	// Reason is why ("hotfix for INC-123").
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`
	// At is when.
	At metav1.Time `json:"at"`
}

// HealthyPeriod is a time a revision ran Healthy as the stable revision: the evidence a
// downstream's requireUpstream reads.
type HealthyPeriod struct {
	// Revision is the pod-template hash.
	// +kubebuilder:validation:MaxLength=63
	Revision string `json:"revision"`
	// Images are the containers' images, "name=image", in the template's order.
	// +kubebuilder:validation:MaxItems=32
	Images []string `json:"images"`
	// Since is when it became Healthy.
	Since metav1.Time `json:"since"`
	// Until is when it stopped being Healthy (a release, pods lost); absent while it still is.
	// +optional
	Until *metav1.Time `json:"until,omitempty"`
	// Unproven says why this period is no evidence for a downstream soak (the revision's
	// analysis never passed: created as stable, or skipped by a person).
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Unproven string `json:"unproven,omitempty"`
}

func init() {
	SchemeBuilder.Register(&ReleasePolicy{}, &ReleasePolicyList{})
}
