package controller

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// ApplyRecordingWrites gathers what a reconcile of ro reads through c (a client of a real
// API server), applies plan with it, and returns the objects written, in order, as
// "Kind/name". The writes go through to the API server.
func ApplyRecordingWrites(ctx context.Context, c client.WithWatch, ro *weirv1.Rollout, plan planner.Plan) ([]string, error) {
	var writes []string
	recording := interceptor.NewClient(c, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			writes = append(writes, obj.GetObjectKind().GroupVersionKind().Kind+"/"+obj.GetName())
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			named := obj.(interface {
				GetKind() *string
				GetName() *string
			})
			writes = append(writes, *named.GetKind()+"/"+*named.GetName())
			return c.Apply(ctx, obj, opts...)
		},
	})
	r := &RolloutReconciler{Client: recording, Now: time.Now}
	obs, err := r.gather(ctx, ro)
	if err != nil {
		return nil, err
	}
	return writes, r.apply(ctx, ro, obs, &plan)
}

// MetricNames are the names of Weir's own metrics.
func MetricNames() []string {
	var names []string
	for _, c := range collectors {
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			names = append(names, descName(d.String()))
		}
	}
	return names
}

// descName reads fqName from a Desc's string form (Desc has no accessor).
func descName(s string) string {
	_, after, _ := strings.Cut(s, `fqName: "`)
	name, _, _ := strings.Cut(after, `"`)
	return name
}
