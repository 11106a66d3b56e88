// Package kube connects the plugin to a cluster and reads a Rollout with the objects it
// owns, with scoped queries only: the ReplicaSets matching the Rollout's selector, the
// AnalysisRuns labelled with its name and the HTTPRoutes its strategy names.
package kube

import (
	"context"
	"fmt"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/scheme"
)

// FallbackUser is written as the requester when nobody can be named.
const FallbackUser = "kubectl-weir"

// Cluster is a connection made from the standard kubectl flags.
type Cluster struct {
	Client client.WithWatch
	// Namespace is -n, or the kubeconfig context's namespace, or "default".
	Namespace string
	flags     *genericclioptions.ConfigFlags
	config    *rest.Config
}

// Connect builds a client from --kubeconfig, --context, -n and the other kubectl flags.
func Connect(flags *genericclioptions.ConfigFlags, userAgent string) (*Cluster, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	// client-go's default of 5 requests/s would make restart and the benchmark crawl; a
	// person's command is short-lived and bounded.
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = userAgent
	ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading the namespace from kubeconfig: %w", err)
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	return &Cluster{Client: c, Namespace: ns, flags: flags, config: cfg}, nil
}

// User names who is asking, for status.request.by: the --as user when impersonating, else
// the user the API server authenticates (the name audit logs show), else the kubeconfig
// context's user entry, else "kubectl-weir".
func (c *Cluster) User(ctx context.Context) string {
	if c.flags.Impersonate != nil && *c.flags.Impersonate != "" {
		return *c.flags.Impersonate
	}
	review := &authnv1.SelfSubjectReview{}
	if err := c.Client.Create(ctx, review); err == nil && review.Status.UserInfo.Username != "" {
		return review.Status.UserInfo.Username
	}
	raw, err := c.flags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return FallbackUser
	}
	name := raw.CurrentContext
	if c.flags.Context != nil && *c.flags.Context != "" {
		name = *c.flags.Context
	}
	if c.flags.AuthInfoName != nil && *c.flags.AuthInfoName != "" {
		return *c.flags.AuthInfoName
	}
	if kctx := raw.Contexts[name]; kctx != nil && kctx.AuthInfo != "" {
		return kctx.AuthInfo
	}
	return FallbackUser
}
