package view

import (
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	p := Pause{Duration: 30 * time.Second, Elapsed: 12 * time.Second}
	if got, want := Plain.ProgressBar(p, 10), "[####------] 12s of 30s (18s left)"; got != want {
		t.Errorf("plain: %q, want %q", got, want)
	}
	if got, want := Terminal.ProgressBar(Pause{Duration: time.Minute, Elapsed: time.Minute}, 4), "[\x1b[36m████\x1b[0m] 1m0s of 1m0s (0s left)"; got != want {
		t.Errorf("terminal: %q, want %q", got, want)
	}
}

func TestStatusWords(t *testing.T) {
	for word, want := range map[string]string{
		"Healthy": "✔ Healthy", "Degraded": "✖ Degraded", "Paused": "⏸ Paused", "Progressing": "◌ Progressing",
	} {
		if got := (Style{Symbols: true}).status(word); got != want {
			t.Errorf("%s: %q, want %q", word, got, want)
		}
		if got := Plain.status(word); got != word {
			t.Errorf("plain %s: %q", word, got)
		}
	}
}
