package planner

import weirv1 "github.com/weir-dev/weir/api/v1alpha1"

// Refusal is why an operator request can't be carried out in the state it finds;
// RefuseNone when it can. The controller refuses with it (a Warning Event) and the plugin and
// dashboard check it before writing the request, each in its own words: the rule lives here
// only.
type Refusal int

// Refusals.
const (
	RefuseNone Refusal = iota
	RefuseNoRelease
	RefuseAborted
	RefuseAlreadyAborted
	RefuseNotAborted
	RefuseAlreadyPaused
	RefuseNotPaused
	RefuseNoPolicy
	RefuseAlreadyOverridden
	RefuseUnknown
)

// String is the refusal as the controller's Event says it.
func (r Refusal) String() string {
	return [...]string{"", "no release in progress", "the release is aborted; retry it first", "already aborted",
		"the release is not aborted", "already paused", "not paused", "no ReleasePolicy selects this Rollout",
		"this revision is already let through", "unknown request"}[r]
}

// RequestRefusal says whether a request can be carried out for a Rollout with status s whose
// pod template's revision is currentHash.
func RequestRefusal(s *weirv1.RolloutStatus, currentHash string, action weirv1.RequestAction) Refusal {
	releasing := currentHash != s.StableRS
	aborted := s.Aborted != nil
	switch action {
	case weirv1.RequestPromote, weirv1.RequestPromoteFull:
		switch {
		case !releasing:
			return RefuseNoRelease
		case aborted:
			return RefuseAborted
		}
	case weirv1.RequestAbort:
		switch {
		case !releasing:
			return RefuseNoRelease
		case aborted:
			return RefuseAlreadyAborted
		}
	case weirv1.RequestRetry:
		if !aborted {
			return RefuseNotAborted
		}
	case weirv1.RequestPause:
		switch {
		case !releasing:
			return RefuseNoRelease
		case s.Paused != nil:
			return RefuseAlreadyPaused
		}
	case weirv1.RequestResume:
		if s.Paused == nil {
			return RefuseNotPaused
		}
	case weirv1.RequestOverridePolicy:
		switch {
		case !releasing:
			return RefuseNoRelease
		case s.Policy == nil:
			return RefuseNoPolicy
		case s.Policy.Override != nil && s.Policy.Override.Revision == currentHash:
			return RefuseAlreadyOverridden
		}
	default:
		return RefuseUnknown
	}
	return RefuseNone
}
