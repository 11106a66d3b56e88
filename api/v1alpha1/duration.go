package v1alpha1

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

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

// PauseDuration is a pause's length: a Duration such as "30s" or "5m", or a whole number of
// seconds as the peers write it (pause: {duration: 30}). It keeps the spelling it was given,
// so that reading and writing a Rollout never changes what Git says.
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$')",message="must be a duration such as 500ms, 30s, 5m or 1h30m, or a whole number of seconds"
type PauseDuration string

// wholeSeconds reports whether the duration was written as a whole number of seconds.
func (d PauseDuration) wholeSeconds() bool {
	_, err := strconv.ParseUint(string(d), 10, 31)
	return d != "" && err == nil
}

// Duration is the pause's length as a Duration ("30" becomes "30s").
func (d PauseDuration) Duration() Duration {
	if d.wholeSeconds() {
		return Duration(string(d) + "s")
	}
	return Duration(d)
}

// String is the length as Weir's messages say it: "30s", "5m".
func (d PauseDuration) String() string { return string(d.Duration()) }

// UnmarshalJSON takes a string or a whole number of seconds.
func (d *PauseDuration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return err
		}
		*d = PauseDuration(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*d = PauseDuration(s)
	return nil
}

// MarshalJSON writes the duration as it was given: a number stays a number.
func (d PauseDuration) MarshalJSON() ([]byte, error) {
	if d.wholeSeconds() {
		return []byte(d), nil
	}
	return json.Marshal(string(d))
}
