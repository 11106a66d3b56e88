package planner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// defaultSoak is how long an upstream must have run the images when a policy doesn't say.
const defaultSoak = time.Hour

// Upstream is what a policy's requireUpstream reads of the upstream Rollout.
type Upstream struct {
	// History is the upstream's status.healthyHistory.
	History []weirv1.HealthyPeriod
}

// PolicyVerdict is what the ReleasePolicies selecting a Rollout say of a revision at one
// moment.
type PolicyVerdict struct {
	// Held is true when a rule keeps the release from starting; Reason and Message are the
	// first such rule's.
	Held            bool
	Reason, Message string
	// Evidence says what each rule found, held or not.
	Evidence []string
	// Windows is the windows alone: they also hold a release under way at step boundaries.
	Windows WindowState
	// WindowPolicy names the policy whose window is closed.
	WindowPolicy string
	// Wake is when the verdict changes by itself (a window edge, a soak's end); zero when
	// only a change of some object can change it.
	Wake time.Time
}

// PolicyInput is what the policy rules look at.
type PolicyInput struct {
	Policies []weirv1.ReleasePolicy
	// Rollout is the held Rollout's name (an upstream's default name).
	Rollout string
	// Containers are the revision's containers (its pod template's).
	Containers []corev1.Container
	// Upstreams by "namespace/name"; a missing entry means the Rollout doesn't exist.
	Upstreams map[string]Upstream
	Now       time.Time
}

// EvaluatePolicies applies every rule of every policy, in order: images, upstream, windows.
// A policy that can't be evaluated (an unknown time zone) holds the release.
func EvaluatePolicies(in PolicyInput) PolicyVerdict {
	v := PolicyVerdict{Windows: WindowState{Open: true}}
	hold := func(reason, message string) {
		if !v.Held {
			v.Held, v.Reason, v.Message = true, reason, message
		}
	}
	wake := func(t time.Time) {
		if !t.IsZero() && (v.Wake.IsZero() || t.Before(v.Wake)) {
			v.Wake = t
		}
	}
	for _, p := range in.Policies {
		if rules := p.Spec.Images; rules != nil {
			refused := false
			for _, c := range in.Containers {
				if why := RefusedImage(rules, c.Image); why != "" {
					refused = true
					msg := fmt.Sprintf("policy %s refuses container %q: %s", p.Name, c.Name, why)
					v.Evidence = append(v.Evidence, msg)
					hold(weirv1.ReasonImageRefused, msg+"; change the image in Git (or 'kubectl weir promote --override-policy')")
				}
			}
			if !refused {
				v.Evidence = append(v.Evidence, fmt.Sprintf("policy %s: every image is allowed", p.Name))
			}
		}
		if up := p.Spec.RequireUpstream; up != nil {
			held, msg, at := upstreamSoak(up, in)
			msg = fmt.Sprintf("policy %s: %s", p.Name, msg)
			v.Evidence = append(v.Evidence, msg)
			if held {
				hold(weirv1.ReasonUpstreamNotSoaked, msg)
			}
			wake(at)
		}
		if p.Spec.Windows != nil {
			st, err := Windows(p.Spec.Windows, in.Now)
			if err != nil {
				msg := fmt.Sprintf("policy %s can't be evaluated: %v", p.Name, err)
				v.Evidence = append(v.Evidence, msg)
				hold(weirv1.ReasonPolicyInvalid, msg)
				v.Windows, v.WindowPolicy = WindowState{Open: false, Why: err.Error()}, p.Name
				continue
			}
			wake(st.Next)
			if st.Open {
				v.Evidence = append(v.Evidence, fmt.Sprintf("policy %s: release window open (%s)%s", p.Name, st.Why, until(" until ", st.Next)))
				continue
			}
			msg := fmt.Sprintf("policy %s: release window closed (%s)%s", p.Name, st.Why, until("; opens ", st.Next))
			v.Evidence = append(v.Evidence, msg)
			hold(weirv1.ReasonReleaseWindowClosed, msg)
			if v.Windows.Open || later(st.Next, v.Windows.Next) {
				v.Windows, v.WindowPolicy = st, p.Name
			}
		}
	}
	return v
}

func until(prefix string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return prefix + clock(t)
}

// later says whether a is after b, zero meaning never (the latest of all).
func later(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return !b.IsZero()
	case b.IsZero():
		return false
	}
	return a.After(b)
}

// PolicySelects says whether a policy holds for a Rollout of its namespace with these
// labels. A selector that can't be parsed selects everything: a rule written wrong holds
// more, never less.
func PolicySelects(p *weirv1.ReleasePolicy, rolloutLabels map[string]string) bool {
	if p.Spec.Selector == nil {
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	return err != nil || sel.Matches(labels.Set(rolloutLabels))
}

// RefusedImage says why the rules refuse an image reference, "" when they allow it.
func RefusedImage(rules *weirv1.ImageRules, image string) string {
	name, digest, _ := strings.Cut(image, "@")
	if rules.RequireDigest && digest == "" {
		return fmt.Sprintf("image %q is not named by digest (name@sha256:…)", image)
	}
	if digest != "" || rules.AllowLatest {
		return ""
	}
	tag := ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	switch tag {
	case "":
		return fmt.Sprintf("image %q has no tag (it means latest)", image)
	case "latest":
		return fmt.Sprintf("image %q is tagged latest", image)
	}
	return ""
}

// ImagesOf lists a template's containers as "name=image", the form HealthyPeriod records.
func ImagesOf(containers []corev1.Container) []string {
	out := make([]string, len(containers))
	for i, c := range containers {
		out[i] = c.Name + "=" + c.Image
	}
	return out
}

// sameImages compares two image lists container by container: by digest where both name
// one, else by the whole reference.
func sameImages(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = sorted(a), sorted(b)
	for i := range a {
		na, ia, _ := strings.Cut(a[i], "=")
		nb, ib, _ := strings.Cut(b[i], "=")
		if na != nb {
			return false
		}
		_, da, _ := strings.Cut(ia, "@")
		_, db, _ := strings.Cut(ib, "@")
		if da != "" && db != "" {
			if da != db {
				return false
			}
		} else if ia != ib {
			return false
		}
	}
	return true
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// UpstreamOf is the Rollout a requireUpstream names for the Rollout called rollout: its own
// name in the upstream namespace unless the rule names another. Input.Upstreams is keyed by
// its String().
func UpstreamOf(up *weirv1.UpstreamRequirement, rollout string) types.NamespacedName {
	name := up.Rollout
	if name == "" {
		name = rollout
	}
	return types.NamespacedName{Namespace: up.Namespace, Name: name}
}

// upstreamSoak checks a requireUpstream rule: held or not, the evidence, and when the soak
// ends if it is under way.
func upstreamSoak(up *weirv1.UpstreamRequirement, in PolicyInput) (held bool, msg string, ends time.Time) {
	key := UpstreamOf(up, in.Rollout).String()
	soak := up.Soak.OrDefault(defaultSoak)
	images := ImagesOf(in.Containers)
	shown := strings.Join(imageNames(images), ", ")
	u, ok := in.Upstreams[key]
	if !ok {
		return true, fmt.Sprintf("upstream Rollout %s not found", key), time.Time{}
	}
	// The longest Healthy period of these images decides (a re-release of them upstream
	// starts a new one).
	var best *weirv1.HealthyPeriod
	var bestRan time.Duration
	unproven := ""
	for i := range u.History {
		h := &u.History[i]
		if !sameImages(h.Images, images) {
			continue
		}
		if h.Unproven != "" { // its analysis never passed there
			unproven = h.Unproven
			continue
		}
		if ran := ranFor(h, in.Now); best == nil || ran > bestRan {
			best, bestRan = h, ran
		}
	}
	switch {
	case best == nil && unproven != "":
		return true, fmt.Sprintf("%s ran %s Healthy, but that is no evidence (%s): release those images there through their analysis", key, shown, unproven), time.Time{}
	case best == nil:
		return true, fmt.Sprintf("%s has not run %s Healthy yet (soak %s)", key, shown, soak), time.Time{}
	case bestRan >= soak:
		return false, fmt.Sprintf("%s has run %s Healthy for %s (soak %s)", key, shown, roundSoak(bestRan), soak), time.Time{}
	case best.Until == nil:
		// Named by when it ends, not how long it ran: this message is status, and a
		// countdown would change it at every reconcile.
		ends = best.Since.Add(soak)
		return true, fmt.Sprintf("%s has run %s Healthy since %s; its %s soak ends at %s", key, shown, clock(best.Since.Time), soak, clock(ends)), ends
	default:
		return true, fmt.Sprintf("%s ran %s Healthy for only %s (until %s), short of its %s soak; release those images there again",
			key, shown, roundSoak(bestRan), clock(best.Until.Time), soak), time.Time{}
	}
}

func ranFor(h *weirv1.HealthyPeriod, now time.Time) time.Duration {
	end := now
	if h.Until != nil {
		end = h.Until.Time
	}
	return end.Sub(h.Since.Time)
}

// roundSoak shows a soak time to the minute, or to the second below one.
func roundSoak(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Truncate(time.Minute)
	}
	return d.Truncate(time.Second)
}

// imageNames drops the container names when there is one container.
func imageNames(images []string) []string {
	if len(images) != 1 {
		return images
	}
	_, image, _ := strings.Cut(images[0], "=")
	return []string{image}
}
