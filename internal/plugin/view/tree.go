package view

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// node is one line of the tree and what hangs below it.
type node struct {
	text     string
	children []node
}

// WriteTree prints the header and the tree of a Rollout: revisions, their analysis runs
// with metrics and latest measurements, then the routes.
func WriteTree(w io.Writer, v *Rollout, s Style) error {
	var b strings.Builder
	writeHeader(&b, v, s)
	b.WriteString("\n")
	root := node{text: s.paint(bold, v.Name)}
	for _, rev := range v.Revisions {
		root.children = append(root.children, revisionNode(rev, v, s))
	}
	for _, run := range v.Runs {
		root.children = append(root.children, runNode(run, v, s))
	}
	for _, r := range v.Routes {
		root.children = append(root.children, node{text: routeText(r, roleWords(v.State.BlueGreen), s)})
	}
	writeNode(&b, root, "", "")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeader(b *strings.Builder, v *Rollout, s Style) {
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(b, "%-11s %s\n", name+":", value)
		}
	}
	field("Name", s.paint(bold, v.Name))
	field("Namespace", v.Namespace)
	field("Strategy", v.Strategy)
	phase := s.status(v.Phase)
	if v.Reason != "" && v.Reason != v.Phase {
		phase += " (" + v.Reason + ")"
	}
	field("Phase", phase)
	field("Message", v.Message)
	if v.Step != "-" {
		step := v.Step
		if v.StepAction != "" {
			step += "  " + v.StepAction
		}
		field("Step", step)
	}
	if v.Pause != nil {
		label := "Pause"
		if v.State.BlueGreen {
			label = "Promotion" // the preview's auto-promotion delay
		}
		field(label, s.ProgressBar(*v.Pause, 30))
	}
	field("Services", v.Services)
	field("Weight", weightText(v))
	r := v.Replicas
	field("Replicas", fmt.Sprintf("%d desired, %d current, %d updated, %d ready, %d available",
		r.Desired, r.Current, r.Updated, r.Ready, r.Available))
	if v.Request != "" {
		field("Request", v.Request+" (pending: the controller has not acted on it yet)")
	}
	if p := v.Policy; p != nil {
		field("Policies", strings.Join(p.Policies, ", "))
		for _, e := range p.Evidence {
			fmt.Fprintf(b, "%-11s %s\n", "", s.paint(grey, "· "+e))
		}
		field("Override", p.Override)
	}
	field("Age", Age(v.Created, v.Now))
}

func weightText(v *Rollout) string {
	if v.DesiredWeight == nil {
		return ""
	}
	verified := "not yet verified"
	if v.VerifiedWeight != nil {
		verified = fmt.Sprintf("%d%% verified on the routes", *v.VerifiedWeight)
	}
	return fmt.Sprintf("%s %d%% desired, %s", roleWords(v.State.BlueGreen)[1], *v.DesiredWeight, verified)
}

func revisionNode(rev Revision, v *Rollout, s Style) node {
	parts := []string{fmt.Sprintf("revision %d", rev.Number), rev.Name}
	if rev.Role != "" {
		parts = append(parts, s.status(rev.Role))
	}
	ready := fmt.Sprintf("%d/%d ready", rev.Ready, rev.Desired)
	switch {
	case rev.Desired == 0 && rev.Ready == 0:
		ready = "scaled down"
	case rev.Ready >= rev.Desired:
		ready = s.paint(green, ready)
	default:
		ready = s.paint(yellow, ready)
	}
	parts = append(parts, ready, strings.Join(rev.Images, ","), Age(rev.Created, v.Now))
	if at := rev.ScaleDownAt; at != nil && at.After(v.Now) && rev.Desired > 0 {
		parts = append(parts, "scales down in "+at.Sub(v.Now).Round(time.Second).String())
	}
	n := node{text: strings.Join(parts, "  ")}
	for _, run := range rev.Runs {
		n.children = append(n.children, runNode(run, v, s))
	}
	return n
}

func runNode(run AnalysisRun, v *Rollout, s Style) node {
	text := "AnalysisRun " + run.Name + "  " + s.status(run.Phase)
	if run.Where != "" {
		text += "  " + run.Where
	}
	if run.Message != "" && run.Phase != "Successful" {
		text += "  " + s.paint(grey, run.Message)
	}
	n := node{text: text}
	for _, m := range run.Metrics {
		mt := "metric " + m.Name + "  " + s.status(m.Phase)
		if m.DryRun {
			mt += "  (dry run)"
		}
		mt += fmt.Sprintf("  %d measured, %d successful, %d failed", m.Count, m.Successful, m.Failed)
		mn := node{text: mt}
		for _, ms := range m.Measurements {
			mn.children = append(mn.children, node{text: fmt.Sprintf("%s  %s  %s", ms.Value, s.status(ms.Phase), ago(ms.At, v.Now))})
		}
		n.children = append(n.children, mn)
	}
	return n
}

func routeText(r Route, words [2]string, s Style) string {
	text := r.Kind + " " + r.Name + "  "
	switch {
	case !r.Found:
		return text + s.status("NotFound")
	case r.Stable != nil:
		text += fmt.Sprintf("%s %d / %s %d  ", words[0], *r.Stable, words[1], *r.Canary)
	}
	if r.Accepted {
		text += s.status("Accepted")
	} else {
		text += s.status("NotAccepted")
	}
	if r.Problem != "" {
		text += "  " + s.paint(grey, r.Problem)
	}
	return text
}

// writeNode draws a node and its children with box-drawing branches.
func writeNode(b *strings.Builder, n node, first, rest string) {
	b.WriteString(first + n.text + "\n")
	for i, c := range n.children {
		if i == len(n.children)-1 {
			writeNode(b, c, rest+"└── ", rest+"    ")
		} else {
			writeNode(b, c, rest+"├── ", rest+"│   ")
		}
	}
}
