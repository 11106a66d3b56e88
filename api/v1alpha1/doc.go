// Package v1alpha1 holds Weir's API: Rollout, AnalysisTemplate, ClusterAnalysisTemplate and
// AnalysisRun in the rollouts.weir.dev group.
// +kubebuilder:object:generate=true
// +groupName=rollouts.weir.dev
package v1alpha1
