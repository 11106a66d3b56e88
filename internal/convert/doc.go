// Package convert translates the peers' objects into Weir's: Argo Rollouts' Rollout,
// AnalysisTemplate and ClusterAnalysisTemplate, and Flagger's Canary and MetricTemplate,
// plus the Services and HTTPRoute Weir needs where the peer made its own or routed through a
// mesh. It reads and writes YAML only (kubectl weir convert); nothing goes to a cluster.
//
// Every field of an input is accounted for: translated, or reported as dropped (with why) or
// as needing a person's decision. The source type records which fields a translation read;
// whatever none read is reported as unsupported, so a field is never lost silently.
package convert
