package state

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
)

func rollout(mutate func(*weirv1.Rollout)) *weirv1.Rollout {
	ro := &weirv1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 2}}
	ro.Spec.Template = corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:2"}}}}
	ro.Spec.Strategy.Canary = &weirv1.CanaryStrategy{Steps: []weirv1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &weirv1.RolloutPause{}}}}
	hash := revision.Hash(&ro.Spec.Template, nil)
	ro.Status = weirv1.RolloutStatus{ObservedGeneration: 2, CurrentPodHash: hash, StableRS: hash, Phase: weirv1.PhaseHealthy}
	mutate(ro)
	return ro
}

// TestVerdict: a phase counts only for the spec the controller has seen, and not while a
// request is pending; an abort counts at once.
func TestVerdict(t *testing.T) {
	for name, tt := range map[string]struct {
		mutate func(*weirv1.Rollout)
		want   Verdict
	}{
		"healthy":          {func(*weirv1.Rollout) {}, Healthy},
		"older generation": {func(ro *weirv1.Rollout) { ro.Status.ObservedGeneration = 1 }, Progressing},
		"new template":     {func(ro *weirv1.Rollout) { ro.Spec.Template.Spec.Containers[0].Image = "web:3" }, Progressing},
		"paused":           {func(ro *weirv1.Rollout) { ro.Status.StableRS, ro.Status.Phase = "old", weirv1.PhasePaused }, Paused},
		"request pending": {func(ro *weirv1.Rollout) {
			ro.Status.Phase, ro.Status.Request = weirv1.PhasePaused, &weirv1.OperatorRequest{}
		}, Progressing},
		"degraded":          {func(ro *weirv1.Rollout) { ro.Status.Phase = weirv1.PhaseDegraded }, Degraded},
		"degraded but old":  {func(ro *weirv1.Rollout) { ro.Status.Phase, ro.Status.ObservedGeneration = weirv1.PhaseDegraded, 1 }, Progressing},
		"aborted":           {func(ro *weirv1.Rollout) { ro.Status.Aborted, ro.Status.ObservedGeneration = &weirv1.AbortInfo{}, 1 }, Degraded},
		"healthy releasing": {func(ro *weirv1.Rollout) { ro.Status.StableRS = "old" }, Progressing},
	} {
		if got := Of(rollout(tt.mutate)).Verdict(); got != tt.want {
			t.Errorf("%s: %s, want %s", name, got, tt.want)
		}
	}
}

func TestStepLabel(t *testing.T) {
	for want, mutate := range map[string]func(*weirv1.Rollout){
		"-":        func(*weirv1.Rollout) {},
		"1/2":      func(ro *weirv1.Rollout) { ro.Status.CurrentStepIndex = ptr.To[int32](0) },
		"2/2":      func(ro *weirv1.Rollout) { ro.Status.CurrentStepIndex = ptr.To[int32](2) },
		"preview":  func(ro *weirv1.Rollout) { blueGreen(ro, 0) },
		"switched": func(ro *weirv1.Rollout) { blueGreen(ro, 1) },
		"done":     func(ro *weirv1.Rollout) { blueGreen(ro, 2) },
	} {
		if got := StepLabel(rollout(mutate)); got != want {
			t.Errorf("StepLabel = %q, want %q", got, want)
		}
	}
}

func blueGreen(ro *weirv1.Rollout, stage int32) {
	ro.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: &weirv1.BlueGreenStrategy{ActiveService: "a", PreviewService: "p"}}
	ro.Status.CurrentStepIndex = ptr.To(stage)
}
