package analysis

import (
	"strconv"
	"strings"
)

// Result is what one query returned.
type Result struct {
	// Values, one per series (NaN samples dropped).
	Values []float64
	// NoData is true for an empty result or only NaN.
	NoData bool
}

// String renders the result for status: "0.31", "[0.1,0.2]" or "no data".
func (r Result) String() string {
	if r.NoData {
		return ""
	}
	parts := make([]string, len(r.Values))
	for i, v := range r.Values {
		parts[i] = strconv.FormatFloat(v, 'g', 4, 64)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ",") + "]"
}
