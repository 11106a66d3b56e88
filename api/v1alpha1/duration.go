package v1alpha1

import "time"

// Duration is a Go duration string such as "30s", "5m" or "1h30m".
// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$')",message="must be a duration such as 500ms, 30s, 5m or 1h30m"
// +kubebuilder:validation:MaxLength=32
type Duration string

// Parse returns the duration, or zero with an error when the string is malformed (which the
// CRD's validation already refuses).
func (d Duration) Parse() (time.Duration, error) {
	return time.ParseDuration(string(d))
}

// OrDefault returns the parsed duration, or def when it is empty or malformed.
func (d Duration) OrDefault(def time.Duration) time.Duration {
	if d == "" {
		return def
	}
	v, err := d.Parse()
	if err != nil {
		return def
	}
	return v
}
