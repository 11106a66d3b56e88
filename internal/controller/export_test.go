package controller

import (
	"context"
	"time"

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
	})
	r := &RolloutReconciler{Client: recording, Now: time.Now}
	obs, err := r.gather(ctx, ro)
	if err != nil {
		return nil, err
	}
	return writes, r.apply(ctx, ro, obs, &plan)
}
