package analysis

import (
	"fmt"
	"math"
	"strconv"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// Judge scores: what a judge measurement's result holds.
const (
	JudgePass     = 1.0
	JudgeMarginal = 0.5
	JudgeFail     = 0.0
)

// JudgeSettings are a JudgeProvider's numbers with defaults applied.
type JudgeSettings struct {
	Direction  string
	EffectSize float64
	Confidence float64
	MinSamples int
}

// Settings parses the provider's settings.
func Settings(j *weirv1.JudgeProvider) (JudgeSettings, error) {
	s := JudgeSettings{Direction: j.Direction, EffectSize: 0.1, Confidence: 0.95, MinSamples: 10}
	if s.Direction == "" {
		s.Direction = "Increase"
	}
	var err error
	if j.EffectSize != nil {
		if s.EffectSize, err = strconv.ParseFloat(*j.EffectSize, 64); err != nil || s.EffectSize < 0 {
			return s, fmt.Errorf("effectSize %q is not a non-negative number", *j.EffectSize)
		}
	}
	if j.Confidence != nil {
		if s.Confidence, err = strconv.ParseFloat(*j.Confidence, 64); err != nil || s.Confidence <= 0.5 || s.Confidence >= 1 {
			return s, fmt.Errorf("confidence %q must be a number between 0.5 and 1, e.g. 0.95", *j.Confidence)
		}
	}
	if j.MinSamples != nil {
		s.MinSamples = int(*j.MinSamples)
	}
	return s, nil
}

// Compare judges the canary's sample against the baseline's: Fail when it is worse in the
// bad direction with the required confidence and by at least the effect size, Marginal when
// only one of the two holds at twice the tolerance, Pass otherwise.
func Compare(canary, baseline []float64, s JudgeSettings) (float64, string) {
	_, pGreater, pLess, _ := MannWhitney(canary, baseline)
	mc, mb := Median(canary), Median(baseline)
	effect := 0.0
	if mb != 0 {
		effect = (mc - mb) / math.Abs(mb)
	} else if mc != 0 {
		effect = math.Copysign(math.Inf(1), mc)
	}
	p, worse := 1.0, 0.0
	switch s.Direction {
	case "Decrease":
		p, worse = pLess, -effect
	case "Either":
		p, worse = math.Min(1, 2*math.Min(pGreater, pLess)), math.Abs(effect)
	default:
		p, worse = pGreater, effect
	}
	alpha := 1 - s.Confidence
	desc := fmt.Sprintf("canary median %.4g vs baseline %.4g (%+.1f%%), p=%.3g, n=%d/%d",
		mc, mb, 100*effect, p, len(canary), len(baseline))
	switch {
	case p < alpha && worse >= s.EffectSize:
		return JudgeFail, "Fail: " + desc
	case (p < alpha && worse >= s.EffectSize/2) || (p < 2*alpha && worse >= s.EffectSize):
		return JudgeMarginal, "Marginal: " + desc
	default:
		return JudgePass, "Pass: " + desc
	}
}
