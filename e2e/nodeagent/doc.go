// Package nodeagent is TEST INFRASTRUCTURE: the smallest honest stand-in for kubelet and
// kube-proxy on machines without a container runtime. It registers a Node, runs one local
// process of the demo app per Pod bound to it (version and behaviour from the Pod's image
// tag and env), reports the Pod's IP and readiness from the process's real /healthz, and
// forwards each Service's ClusterIP:port to the ready processes its selector picks.
// Everything listens on 127.0.0.0/8. Weir itself never uses this package.
package nodeagent
