package analysis

import (
	"math"
	"sort"
)

// MannWhitney tests whether x tends to be larger or smaller than y without assuming a
// distribution (latencies rarely are normal). It returns U for x and the p-values that x is
// stochastically greater than y, less than y, and different from y, from the normal
// approximation with tie and continuity corrections (good from ~8 samples a side).
func MannWhitney(x, y []float64) (u, pGreater, pLess, pTwoSided float64) {
	n1, n2 := float64(len(x)), float64(len(y))
	if n1 == 0 || n2 == 0 {
		return 0, 1, 1, 1
	}
	type obs struct {
		v     float64
		fromX bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	// Average ranks for ties, and the tie correction term Σ(t³ - t).
	var rankSumX, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1..j averaged
		for k := i; k < j; k++ {
			if all[k].fromX {
				rankSumX += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u = rankSumX - n1*(n1+1)/2
	n := n1 + n2
	mean := n1 * n2 / 2
	sigma := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return u, 1, 1, 1 // every value equal: no evidence either way
	}
	zGreater := (u - mean - 0.5) / sigma
	zLess := (u - mean + 0.5) / sigma
	pGreater = upperTail(zGreater)
	pLess = 1 - upperTail(zLess)
	pTwoSided = math.Min(1, 2*math.Min(pGreater, pLess))
	return u, pGreater, pLess, pTwoSided
}

// upperTail is P(Z > z) for a standard normal Z.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// Median of a sample (0 for none).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
