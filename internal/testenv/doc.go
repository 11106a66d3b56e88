// Package testenv starts a real local control plane for tests: etcd and kube-apiserver
// through controller-runtime's envtest, Weir's and Gateway API's CRDs, and, for tests whose
// pods must become Ready, kube-controller-manager, kube-scheduler and kwok with a fake Node.
// All binaries come from bin/ (built by hack/tools.sh); everything binds to 127.0.0.1.
package testenv
