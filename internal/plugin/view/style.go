package view

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Style says how much decoration the output may carry: colour and status symbols on a
// terminal, plain words when piped or with --no-color (scripts and logs).
type Style struct {
	Color   bool
	Symbols bool
}

// Terminal is the style for a person at a terminal.
var Terminal = Style{Color: true, Symbols: true}

// Plain is the style for pipes, files and --no-color.
var Plain = Style{}

const (
	green  = "32"
	red    = "31"
	yellow = "33"
	cyan   = "36"
	grey   = "90"
	bold   = "1"
)

// tone is how a status word should look: its symbol and colour.
type tone struct {
	symbol string
	color  string
}

var (
	good    = tone{"✔", green}
	bad     = tone{"✖", red}
	waiting = tone{"⏸", yellow}
	busy    = tone{"◌", cyan}
	warn    = tone{"⚠", yellow}
	neutral = tone{"", ""}
)

// toneOf maps the words Weir uses for Rollouts, analysis and routes to a tone.
func toneOf(word string) tone {
	switch word {
	case "Healthy", "Successful", "Accepted", "stable", "active":
		return good
	case "Degraded", "Failed", "Error", "Aborted", "NotFound":
		return bad
	case "Paused":
		return waiting
	case "Inconclusive", "NotAccepted":
		return warn
	case "Progressing", "Running", "Pending", "canary", "preview", "Unknown":
		return busy
	}
	return neutral
}

// status renders a status word with its symbol and colour.
func (s Style) status(word string) string {
	t := toneOf(word)
	out := word
	if s.Symbols && t.symbol != "" {
		out = t.symbol + " " + word
	}
	return s.paint(t.color, out)
}

// paint wraps text in an ANSI colour when colour is on.
func (s Style) paint(color, text string) string {
	if !s.Color || color == "" || text == "" {
		return text
	}
	return "\x1b[" + color + "m" + text + "\x1b[0m"
}

// Age is kubectl's short age ("45s", "3m20s", "5h", "12d") of t at now.
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// ago is "12s ago", for measurements.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if d := now.Sub(t); d < 0 {
		return "in " + duration.HumanDuration(-d)
	}
	return Age(t, now) + " ago"
}

// ProgressBar draws how far a timed pause has run: [######------] 12s of 30s (18s left).
func (s Style) ProgressBar(p Pause, width int) string {
	filled := 0
	if p.Duration > 0 {
		filled = int(int64(width) * int64(p.Elapsed) / int64(p.Duration))
	}
	full, empty := "#", "-"
	if s.Symbols {
		full, empty = "█", "░"
	}
	bar := ""
	for i := 0; i < width; i++ {
		if i < filled {
			bar += full
		} else {
			bar += empty
		}
	}
	left := (p.Duration - p.Elapsed).Round(time.Second)
	return fmt.Sprintf("[%s] %s of %s (%s left)", s.paint(cyan, bar), p.Elapsed.Round(time.Second), p.Duration, left)
}
