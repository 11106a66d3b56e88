// Package plugin holds the kubectl weir plugin (cmd/kubectl-weir), split by job:
//
//   - cli: the cobra commands, flags, help text and exit codes;
//   - kube: connecting to the cluster, reading a Rollout with what it owns, watching it;
//   - view: turning what was read into a tree, a table or a status line;
//   - ops: deciding and writing operator requests, undo, set image and restart;
//   - lint: offline validation of Rollout and AnalysisTemplate manifests.
//
// The plugin never writes a Rollout's spec for an operator request: requests go into
// status.request, as the controller expects, so Git stays the source of truth.
package plugin
