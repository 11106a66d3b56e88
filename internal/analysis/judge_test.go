package analysis

import (
	"math"
	"math/rand"
	"strings"
	"testing"
)

func TestMannWhitneyKnownValues(t *testing.T) {
	// x entirely below y: U = 0. Reference: scipy.stats.mannwhitneyu(x, y,
	// method="asymptotic") gives p = 0.01219 two-sided.
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{6, 7, 8, 9, 10}
	u, pGreater, pLess, p := MannWhitney(x, y)
	if u != 0 {
		t.Errorf("U = %v, want 0", u)
	}
	if math.Abs(p-0.01219) > 0.0001 {
		t.Errorf("two-sided p = %.5f, want 0.01219", p)
	}
	if pLess > 0.01 || pGreater < 0.99 {
		t.Errorf("one-sided p: greater %.4f less %.4f", pGreater, pLess)
	}
	// Ties and equal samples: no evidence.
	if _, _, _, p := MannWhitney([]float64{1, 1, 1}, []float64{1, 1, 1}); p != 1 {
		t.Errorf("identical samples p = %v", p)
	}
}

func TestCompare(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sample := func(n int, mean, spread float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = mean + spread*rng.NormFloat64()
		}
		return out
	}
	def := JudgeSettings{Direction: "Increase", EffectSize: 0.1, Confidence: 0.95, MinSamples: 10}
	cases := []struct {
		name             string
		canary, baseline []float64
		s                JudgeSettings
		want             float64
	}{
		{"same distribution passes", sample(60, 100, 5), sample(60, 100, 5), def, JudgePass},
		{"canary 30% slower fails", sample(60, 130, 5), sample(60, 100, 5), def, JudgeFail},
		{"canary faster passes when Increase is bad", sample(60, 70, 5), sample(60, 100, 5), def, JudgePass},
		{"significant but tiny difference passes", sample(200, 102, 2), sample(200, 100, 2), def, JudgePass},
		{"7% slower with effect size 10% is marginal", sample(200, 107, 3), sample(200, 100, 3), def, JudgeMarginal},
		{"throughput drop fails when Decrease is bad", sample(60, 70, 5), sample(60, 100, 5),
			JudgeSettings{Direction: "Decrease", EffectSize: 0.1, Confidence: 0.95}, JudgeFail},
		{"Either catches a drop", sample(60, 70, 5), sample(60, 100, 5),
			JudgeSettings{Direction: "Either", EffectSize: 0.1, Confidence: 0.95}, JudgeFail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := Compare(tc.canary, tc.baseline, tc.s)
			if got != tc.want {
				t.Errorf("score %v (%s), want %v", got, msg, tc.want)
			}
			if !strings.Contains(msg, "canary median") {
				t.Errorf("message %q doesn't explain", msg)
			}
		})
	}
}
