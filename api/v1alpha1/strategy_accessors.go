package v1alpha1

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
