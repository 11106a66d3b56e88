package view

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/state"
)

// TableOptions choose the columns of list rollouts.
type TableOptions struct {
	// AllNamespaces adds a NAMESPACE column first.
	AllNamespaces bool
	// Wide adds MESSAGE.
	Wide bool
}

// WriteTable prints one row per Rollout. It reads only the objects given (one List call
// made them), so it stays fast for thousands of Rollouts.
func WriteTable(w io.Writer, items []weirv1.Rollout, now time.Time, o TableOptions, s Style) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	header := []string{"NAME", "STRATEGY", "STEP", "WEIGHT", "PHASE", "AGE"}
	if o.AllNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	if o.Wide {
		header = append(header, "MESSAGE")
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	row := make([]string, 0, len(header))
	for i := range items {
		ro := &items[i]
		row = row[:0]
		if o.AllNamespaces {
			row = append(row, ro.Namespace)
		}
		phase := string(ro.Status.Phase)
		if phase == "" {
			phase = "Unknown"
		}
		// Every colour code has the same length, so tabwriter still lines the column up.
		phase = s.status(phase)
		row = append(row, ro.Name, StrategyName(ro), state.StepLabel(ro), WeightLabel(ro), phase,
			Age(ro.CreationTimestamp.Time, now))
		if o.Wide {
			row = append(row, ro.Status.Message)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// WeightLabel is the canary weight "desired/verified" ("20/20"; "20/-" before it is
// verified; "-" without canary traffic state).
func WeightLabel(ro *weirv1.Rollout) string {
	desired, verified := state.CanaryWeights(ro)
	if desired == nil {
		return "-"
	}
	v := "-"
	if verified != nil {
		v = fmt.Sprint(*verified)
	}
	return fmt.Sprintf("%d/%s", *desired, v)
}

// StatusLine is the one line of kubectl weir status.
func StatusLine(ro *weirv1.Rollout, s Style) string {
	st := state.Of(ro)
	verdict := st.Verdict().String()
	parts := []string{ro.Name, s.status(verdict)}
	switch {
	case !st.Releasing || st.StepLabel() == "-":
	case st.BlueGreen:
		parts = append(parts, "stage "+st.StepLabel())
	default:
		parts = append(parts, "step "+st.StepLabel())
	}
	if w := WeightLabel(ro); w != "-" && st.Releasing {
		parts = append(parts, "weight "+w)
	}
	line := strings.Join(parts, "  ")
	msg := ro.Status.Message
	switch req := ro.Status.Request; {
	case req != nil:
		msg = fmt.Sprintf("%s request by %s pending: the controller has not acted on it yet", req.Action, req.By)
	case !st.Reconciled && st.Verdict() == state.Progressing:
		msg = "the controller has not observed the current spec yet"
	}
	if msg != "" {
		line += ": " + msg
	}
	return line
}
