// Package packaging holds the tests of Weir's GitOps packaging: the operator's Helm chart
// (charts/weir), the blog-platform example (examples/blog-platform), the Argo CD health and
// action scripts, and the container image built by hack/image. The tests render the charts
// with Helm's own engine and apply the result to a real API server, run the Lua scripts the
// way Argo CD does, and watch Weir's field manager during a real canary release.
package packaging
