package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// unit says how a result's samples are printed.
type unit int

const (
	ms    unit = iota // samples in milliseconds
	secs              // samples in seconds
	mib               // samples in MiB
	count             // plain numbers
	cpus              // CPU seconds
)

// result is one row of the table: samples of one measure, with what to compare it to.
type result struct {
	scenario string
	name     string
	unit     unit
	samples  []float64
	target   string // Weir's target
	peer     string // Argo Rollouts v1.9.1 on the same kind of machine
	load     string // 1-minute load average range while it was measured
	note     string
}

func durMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if q == 0.5 {
		n := len(s)
		if n%2 == 1 {
			return s[n/2]
		}
		return (s[n/2-1] + s[n/2]) / 2
	}
	// Nearest rank: the smallest sample at or above q of them.
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

func (u unit) format(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch u {
	case ms:
		if math.Abs(v) >= 1000 {
			return fmt.Sprintf("%.2f s", v/1000)
		}
		if math.Abs(v) >= 10 {
			return fmt.Sprintf("%.0f ms", v)
		}
		return fmt.Sprintf("%.1f ms", v)
	case secs:
		return fmt.Sprintf("%.1f s", v)
	case mib:
		return fmt.Sprintf("%.0f MiB", v)
	case cpus:
		return fmt.Sprintf("%.1f CPU-s", v)
	default:
		if v == math.Trunc(v) {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	}
}

// cells are the printed columns of a row.
func (r result) cells() []string {
	n := len(r.samples)
	med, p95, lo, hi := "–", "–", "–", "–"
	switch {
	case n == 1:
		med = r.unit.format(r.samples[0])
	case n > 1:
		med = r.unit.format(quantile(r.samples, 0.5))
		p95 = r.unit.format(quantile(r.samples, 0.95))
		a, b := minMax(r.samples)
		lo, hi = r.unit.format(a), r.unit.format(b)
	}
	name := r.name
	if r.note != "" {
		name += " (" + r.note + ")"
	}
	return []string{r.scenario, name, fmt.Sprint(n), med, p95, lo, hi, r.target, r.peer, r.load}
}

var header = []string{"scenario", "measure", "n", "median", "p95", "min", "max", "Weir target", "Argo Rollouts v1.9.1", "load 1m"}

// writeTable prints the results as a Markdown table, padded to read in a terminal too.
func writeTable(w io.Writer, rows []result) {
	all := [][]string{header}
	for _, r := range rows {
		all = append(all, r.cells())
	}
	width := make([]int, len(header))
	for _, cells := range all {
		for i, c := range cells {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line(all[0])
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, cells := range all[1:] {
		line(cells)
	}
}
