package v1alpha1

import (
	"fmt"
	"strings"
)

// Accessors of a strategy whichever it is, canary or blue-green: the controller, the plugin
// and the dashboard read the strategy's Services and routes only through these.

// TrafficRouting is the strategy's traffic routing; nil without one.
func (s RolloutStrategy) TrafficRouting() *TrafficRouting {
	switch {
	case s.Canary != nil:
		return s.Canary.TrafficRouting
	case s.BlueGreen != nil:
		return s.BlueGreen.TrafficRouting
	}
	return nil
}

// Services are the two Services the strategy names: stable and canary (blue-green: active
// and preview).
func (s RolloutStrategy) Services() (stable, canary string) {
	switch {
	case s.Canary != nil:
		return s.Canary.StableService, s.Canary.CanaryService
	case s.BlueGreen != nil:
		return s.BlueGreen.ActiveService, s.BlueGreen.PreviewService
	}
	return "", ""
}

// Describe says what a canary step does, in the words of the controller's Events and of
// kubectl weir: "setWeight 20", "pause 30s", "analysis error-rate".
func (s CanaryStep) Describe() string {
	switch {
	case s.SetWeight != nil:
		return fmt.Sprintf("setWeight %d", *s.SetWeight)
	case s.Pause != nil && s.Pause.Duration != nil:
		return fmt.Sprintf("pause %s", *s.Pause.Duration)
	case s.Pause != nil:
		return "pause until promoted"
	case s.Analysis != nil:
		names := make([]string, 0, len(s.Analysis.Templates))
		for _, t := range s.Analysis.Templates {
			names = append(names, t.TemplateName)
		}
		return strings.TrimSpace("analysis " + strings.Join(names, ", "))
	case s.SetHeaderRoute != nil:
		return "setHeaderRoute " + s.SetHeaderRoute.Name
	case s.SetMirrorRoute != nil:
		return "setMirrorRoute " + s.SetMirrorRoute.Name
	case s.SetCanaryScale != nil:
		return s.SetCanaryScale.Describe()
	}
	return "empty step"
}

// Describe says what a setCanaryScale step does: "setCanaryScale 2 pods", "setCanaryScale
// 25%", "setCanaryScale matchTrafficWeight".
func (c SetCanaryScale) Describe() string {
	switch {
	case c.Replicas != nil:
		return fmt.Sprintf("setCanaryScale %d pods", *c.Replicas)
	case c.Weight != nil:
		return fmt.Sprintf("setCanaryScale %d%%", *c.Weight)
	}
	return "setCanaryScale matchTrafficWeight"
}

// DefaultScaleDownDelaySeconds is how long an old or aborted revision stays up when the
// strategy doesn't say (the CRD's default of scaleDownDelaySeconds and
// abortScaleDownDelaySeconds).
const DefaultScaleDownDelaySeconds int32 = 30

// ScaleDownDelaySeconds is how long the old revision stays up after a release, in seconds.
func (s RolloutStrategy) ScaleDownDelaySeconds() int32 {
	after, _ := s.delays()
	return orDefault(after)
}

// AbortScaleDownDelaySeconds is how long an aborted revision stays up, in seconds.
func (s RolloutStrategy) AbortScaleDownDelaySeconds() int32 {
	_, abort := s.delays()
	return orDefault(abort)
}

func (s RolloutStrategy) delays() (after, abort *int32) {
	switch {
	case s.Canary != nil:
		return s.Canary.ScaleDownDelaySeconds, s.Canary.AbortScaleDownDelaySeconds
	case s.BlueGreen != nil:
		return s.BlueGreen.ScaleDownDelaySeconds, s.BlueGreen.AbortScaleDownDelaySeconds
	}
	return nil, nil
}

func orDefault(p *int32) int32 {
	if p == nil {
		return DefaultScaleDownDelaySeconds
	}
	return *p
}

// The defaults of a canary's surge and unavailability, as a Deployment's.
const (
	DefaultMaxSurge       = "25%"
	DefaultMaxUnavailable = "25%"
)

// Blue-green releases keep their stage in status.currentStepIndex: the preview (the new
// revision up beside the active one, pre-promotion analysis, the promotion gate), the switch
// (traffic on the new revision, post-promotion analysis, the old revision still up), then
// done. Promote moves one stage on, promote-full to done.
const (
	StagePreview  int32 = 0
	StageSwitched int32 = 1
	StagesDone    int32 = 2
)

// DefaultProgressDeadlineSeconds bounds a waiting release when the spec doesn't say (the
// CRD's default of progressDeadlineSeconds).
const DefaultProgressDeadlineSeconds int32 = 600

// ProgressDeadline is how long, in seconds, any waiting state of a release may last.
func (s RolloutSpec) ProgressDeadline() int32 {
	if s.ProgressDeadlineSeconds == nil {
		return DefaultProgressDeadlineSeconds
	}
	return *s.ProgressDeadlineSeconds
}

// NamespaceOr is the route's namespace: its own, or ns (the Rollout's) when it names none.
func (r RouteRef) NamespaceOr(ns string) string {
	if r.Namespace != "" {
		return r.Namespace
	}
	return ns
}
