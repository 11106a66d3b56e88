package cli_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
)

// watching runs `get rollout --watch` in the background until stop is called.
type watching struct {
	out  *syncBuffer
	done chan result
	stop context.CancelFunc
}

func (r *release) watch(terminal bool) *watching {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watching{out: &syncBuffer{}, done: make(chan result, 1), stop: cancel}
	inv := invocation{ctx: ctx, out: w.out, terminal: ptr.To(terminal)}
	go func() { w.done <- inv.run("-n", r.NS, "get", "rollout", r.Name, "--watch") }()
	r.T.Cleanup(cancel)
	return w
}

// lastFrame is the latest tree a plain-text watch printed (frames are separated by a blank
// line before "Name:").
func (w *watching) lastFrame() string {
	frames := strings.Split(w.out.String(), "\nName:")
	return frames[len(frames)-1]
}

// TestGetWatch follows a release as it happens: the tree is redrawn on each change (a new
// revision, the pause step, a promotion), a timed pause shows its progress bar, and
// stopping the watch ends the command cleanly.
func TestGetWatch(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.managed(2, setWeight(50), pause("20s"), pause(""))
	w := r.watch(false)
	g.Eventually(w.out.String, timeout, poll).Should(ContainSubstring("Phase:      Healthy"))
	g.Expect(w.out.String()).NotTo(ContainSubstring("\x1b["), "plain text when not a terminal")

	r.setImage("web:2")
	g.Eventually(w.lastFrame, timeout, poll).Should(And(
		ContainSubstring("Step:       2/3  pause 20s"),
		MatchRegexp(`Pause:      \[[#-]{30}\] \d+s of 20s \(\d+s left\)`),
		ContainSubstring("revision 2  web-"+hashOf("web:2")+"  canary  1/1 ready  web:2"),
		ContainSubstring("HTTPRoute web  stable 50 / canary 50  Accepted"),
	))
	g.Eventually(w.lastFrame, timeout, poll).Should(ContainSubstring("Phase:      Paused (WaitingForPromotion)"))
	g.Expect(r.request("promote", "web")).To(ContainSubstring("step 3/3 (pause until promoted) → done"))
	g.Eventually(w.lastFrame, timeout, poll).Should(And(
		ContainSubstring("Phase:      Healthy"),
		ContainSubstring("revision 2  web-"+hashOf("web:2")+"  stable  2/2 ready"),
	))
	frames := strings.Count(w.out.String(), "Name:")
	g.Expect(frames).To(BeNumerically(">=", 4), "one frame per change")

	w.stop()
	res := <-w.done
	g.Expect(res.code).To(Equal(0), res.String())
}

// TestGetWatchTerminal redraws in place with colours on a terminal, and tells when the
// Rollout is deleted.
func TestGetWatchTerminal(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.managed(1, pause(""))
	w := r.watch(true)
	g.Eventually(w.out.String, timeout, poll).Should(ContainSubstring("✔ Healthy"))
	g.Expect(w.out.String()).To(HavePrefix("\x1b[H\x1b[2J"), "clears the screen before each frame")
	g.Expect(k8s.Delete(r.Ctx, r.Get())).To(Succeed())
	var res result
	g.Eventually(w.done, timeout, poll).Should(Receive(&res))
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("rollout web was deleted"))
}
