package convert

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Input is one file (or stdin) to convert.
type Input struct {
	Name string // shown in errors: the file's path, or "-"
	Data []byte
}

// Result is what Convert made: the objects to write, in input order, and the report.
type Result struct {
	Objects []any // Weir's typed objects, Services and HTTPRoutes, and inputs passed through
	Report  Report
}

// converter holds one conversion's inputs by name (to look Deployments, VirtualServices and
// MetricTemplates up) and its output.
type converter struct {
	byKind   map[string]map[string]any // "Kind/name"
	replaced map[string]bool           // "Kind/name" of inputs a translation took the place of or used
	out      []any
	report   Report
}

// Convert translates every peer object among the inputs and passes everything else through
// unchanged, except the objects a translation takes the place of (a Deployment a Canary
// targets, an Istio VirtualService).
func Convert(inputs []Input) (Result, error) {
	c := &converter{byKind: map[string]map[string]any{}, replaced: map[string]bool{}}
	var all []map[string]any
	for _, in := range inputs {
		docs, err := split(in)
		if err != nil {
			return Result{}, err
		}
		all = append(all, docs...)
	}
	for _, d := range all {
		kind, name := fmt.Sprint(d["kind"]), fmt.Sprint(lookup(d, "metadata.name"))
		c.byKind[kind+"/"+name] = d
	}
	var passed []map[string]any
	var templates []notes // Flagger's MetricTemplates, said below when no Canary used them
	for _, d := range all {
		group, _, _ := strings.Cut(fmt.Sprint(d["apiVersion"]), "/")
		kind := fmt.Sprint(d["kind"])
		src := newSource(d)
		n := notes{object: fmt.Sprintf("%s %s %s", group, kind, lookup(d, "metadata.name")), out: &c.report}
		switch {
		case group == "argoproj.io" && kind == "Rollout":
			c.argoRollout(src, n)
		case group == "argoproj.io" && (kind == "AnalysisTemplate" || kind == "ClusterAnalysisTemplate"):
			c.argoTemplate(src, n, kind)
		case group == "flagger.app" && kind == "Canary":
			c.flaggerCanary(src, n)
		case group == "flagger.app" && kind == "MetricTemplate":
			templates = append(templates, n) // translated with each Canary that uses it
		case group == "argoproj.io" || group == "flagger.app":
			n.add(Dropped, "", "Weir has no %s: left out", kind)
		default:
			passed = append(passed, d)
		}
	}
	for _, n := range templates {
		name := n.object[strings.LastIndex(n.object, " ")+1:]
		if !c.replaced["MetricTemplate/"+name] {
			n.add(Dropped, "", "no Canary among the inputs uses it: its query becomes part of the AnalysisTemplate of each Canary that does")
		}
	}
	for _, d := range passed {
		key := fmt.Sprintf("%s/%s", d["kind"], lookup(d, "metadata.name"))
		if c.replaced[key] {
			continue
		}
		c.out = append(c.out, d)
	}
	return Result{Objects: c.out, Report: c.report}, nil
}

// split reads the YAML documents of an input.
func split(in Input) ([]map[string]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(in.Data)))
	var out []map[string]any
	for {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		if len(doc) == 0 {
			continue
		}
		if doc["kind"] == "List" {
			items, _ := doc["items"].([]any)
			for _, item := range items {
				if m, ok := item.(map[string]any); ok {
					out = append(out, m)
				}
			}
			continue
		}
		out = append(out, doc)
	}
}

// Write writes the objects as YAML documents, or as a JSON List, as Git holds them: no
// status, no empty timestamps or resources.
func Write(w io.Writer, objects []any, format string) error {
	objects = tidy(objects)
	switch format {
	case "json":
		list := map[string]any{"apiVersion": "v1", "kind": "List", "items": objects}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	case "yaml", "":
		for i, obj := range objects {
			raw, err := yaml.Marshal(obj)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			if _, err := w.Write(raw); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown output format %q: yaml or json", format)
}

// tidy turns the objects into generic ones without what a typed object writes empty.
func tidy(objects []any) []any {
	out := make([]any, 0, len(objects))
	for _, obj := range objects {
		var m map[string]any
		decode(obj, &m)
		delete(m, "status")
		if spec, ok := m["spec"].(map[string]any); ok && m["kind"] == "Rollout" && spec["workloadRef"] != nil {
			delete(spec, "template") // empty: the Deployment's is released
		}
		out = append(out, prune(m))
	}
	return out
}

// prune removes null values and empty resources blocks, below the top.
func prune(v any) any {
	switch n := v.(type) {
	case map[string]any:
		for k, child := range n {
			if child == nil {
				delete(n, k)
				continue
			}
			if inner, ok := child.(map[string]any); ok && len(inner) == 0 && k == "resources" {
				delete(n, k)
				continue
			}
			n[k] = prune(child)
		}
	case []any:
		for i, child := range n {
			n[i] = prune(child)
		}
	}
	return v
}

func encodeJSON(b *strings.Builder, v any) {
	raw, _ := json.Marshal(v)
	b.Write(raw)
}
