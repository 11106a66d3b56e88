package v1alpha1_test

import (
	"encoding/json"
	"testing"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestPauseDurationKeepsItsSpelling: a pause's duration reads a whole number of seconds (the
// peers' spelling) or a duration string, means the same length either way, and writes back
// exactly what it read, so that nothing Weir or kubectl weir writes changes what Git says.
func TestPauseDurationKeepsItsSpelling(t *testing.T) {
	cases := []struct {
		json   string
		length time.Duration
		says   string
	}{
		{`{"duration":30}`, 30 * time.Second, "30s"},
		{`{"duration":"30s"}`, 30 * time.Second, "30s"},
		{`{"duration":"1h30m"}`, 90 * time.Minute, "1h30m"},
		{`{"duration":0}`, 0, "0s"},
		{`{}`, -1, ""},
	}
	for _, tc := range cases {
		var p weirv1.RolloutPause
		if err := json.Unmarshal([]byte(tc.json), &p); err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		back, err := json.Marshal(p)
		if err != nil || string(back) != tc.json {
			t.Errorf("%s written back as %s (%v)", tc.json, back, err)
		}
		if p.Duration == nil {
			if tc.length != -1 {
				t.Errorf("%s: no duration read", tc.json)
			}
			continue
		}
		if got := p.Duration.Duration().OrDefault(-1); got != tc.length || p.Duration.String() != tc.says {
			t.Errorf("%s: length %v said %q, want %v said %q", tc.json, got, p.Duration.String(), tc.length, tc.says)
		}
	}
}
