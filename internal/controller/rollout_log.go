package controller

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// logDecision logs what the planner decided, at V(1) (--zap-log-level=debug): the step, the
// weight asked of the routes, the phase, and why. The logger carries the Rollout's name.
func logDecision(ctx context.Context, ro *weirv1.Rollout, plan *planner.Plan) {
	log := ctrl.LoggerFrom(ctx).V(1)
	if !log.Enabled() {
		return
	}
	s := plan.Status
	weight := int32(-1) // no routes
	if plan.Traffic != nil {
		weight = plan.Traffic.Weights.Canary
	}
	reason := ""
	for _, c := range s.Conditions {
		if c.Type == weirv1.ConditionProgressing || (reason == "" && c.Type == weirv1.ConditionReady) {
			reason = c.Reason
		}
	}
	log.Info("decided", "generation", ro.Generation, "revision", s.CurrentPodHash, "stable", s.StableRS,
		"step", ptr.Deref(s.CurrentStepIndex, 0), "canaryWeight", weight, "phase", s.Phase, "reason", reason,
		"message", s.Message, "requeueAfter", plan.RequeueAfter.String())
}

// onlyConflicts reports whether err holds errors and every one joined in it is an
// optimistic-lock conflict.
func onlyConflicts(err error) bool {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs := joined.Unwrap()
		for _, e := range errs {
			if !onlyConflicts(e) {
				return false
			}
		}
		return len(errs) > 0
	}
	return apierrors.IsConflict(err)
}
