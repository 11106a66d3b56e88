// Package lint validates Rollout, AnalysisTemplate, ClusterAnalysisTemplate and ReleasePolicy
// manifests offline, before they reach Git or a cluster, and names the line of every problem. It
// applies the rules of the CRDs (their OpenAPI schemas and CEL rules, embedded from
// config/crd) plus what only Weir knows: CEL conditions that don't compile, arguments a
// query uses but the template doesn't declare, strategies the controller can't run, images a
// ReleasePolicy among the files refuses.
package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Group is the API group whose kinds lint checks; other documents are skipped.
const Group = "rollouts.weir.dev"

// Problem is one finding, printed as file:line: field: message.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Message)
}

// Result is what linting some files found.
type Result struct {
	Problems []Problem `json:"problems"`
	// Checked counts the Weir documents checked; Skipped the others (Services, routes…).
	Checked int `json:"checked"`
	Skipped int `json:"skipped"`
}

// Source is a named YAML stream (a file, or standard input as "-").
type Source struct {
	Name string
	Data []byte
}

// Lint checks every document of every source.
func Lint(sources []Source) Result {
	var r Result
	docs := map[string][]linted{}
	for _, src := range sources {
		lintSource(src, &r, docs)
	}
	crossCheck(docs, &r)
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return r
}

func lintSource(src Source, r *Result, docs map[string][]linted) {
	dec := yaml.NewDecoder(bytes.NewReader(src.Data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.Problems = append(r.Problems, Problem{File: src.Name, Line: syntaxLine(err), Message: "not valid YAML: " + err.Error()})
			return // the decoder can't resynchronise after a syntax error
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue // an empty document, e.g. after a trailing ---
		}
		lintDocument(src.Name, doc.Content[0], r, docs)
	}
}

// lintDocument checks one document: the CRD schema first, then Weir's own rules; a problem
// both find at the same field is reported once, in Weir's words.
func lintDocument(file string, root *yaml.Node, r *Result, docs map[string][]linted) {
	report := func(field, msg string) {
		// One problem, one line: a CEL compiler's caret drawing is dropped.
		msg, _, _ = strings.Cut(msg, "\n")
		r.Problems = append(r.Problems, Problem{File: file, Line: lineOf(root, field), Field: field, Message: strings.TrimSpace(msg)})
	}
	if root.Kind != yaml.MappingNode {
		r.Problems = append(r.Problems, Problem{File: file, Line: root.Line, Message: "a manifest must be a mapping with apiVersion and kind"})
		return
	}
	obj, err := toJSONObject(root)
	if err != nil {
		r.Problems = append(r.Problems, Problem{File: file, Line: root.Line, Message: err.Error()})
		return
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, version, _ := strings.Cut(apiVersion, "/")
	if group != Group {
		r.Skipped++
		return
	}
	r.Checked++
	rules, known := kindRules[kind]
	switch {
	case !known:
		report("kind", fmt.Sprintf("%q is not a kind of %s (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, ReleasePolicy)", kind, Group))
		return
	case version != "v1alpha1":
		report("apiVersion", fmt.Sprintf("%s has no version %q; use %s/v1alpha1", Group, version, Group))
		return
	}
	var own []finding
	data, _ := json.Marshal(obj)
	docs[kind] = append(docs[kind], linted{file: file, root: root, data: data})
	schema := validateSchema(kind, obj)
	if err := rules(data, &own); err != nil && len(schema) == 0 {
		// A field of the wrong type: the schema names it; this only says so when it can't.
		own = append(own, finding{"", "does not decode as a " + kind + ": " + err.Error()})
	}
	for _, f := range own {
		report(f.field, f.message)
	}
	for _, f := range schema {
		if !coveredBy(f, own) {
			report(f.field, f.message)
		}
	}
}

// finding is a problem before its line is known.
type finding struct {
	field   string
	message string
}

// kindRules are Weir's own rules for each kind, on the document as JSON.
var kindRules = map[string]func(data []byte, out *[]finding) error{
	"Rollout":                 rolloutRules,
	"AnalysisTemplate":        templateRules,
	"ClusterAnalysisTemplate": templateRules,
	"ReleasePolicy":           policyRules,
}

// coveredBy reports whether one of Weir's findings already says what a schema finding
// says: one at the same field or below it, or with the same message (a CEL rule whose
// fieldPath names a field the document lacks).
func coveredBy(s finding, own []finding) bool {
	for _, f := range own {
		if f.field == s.field || strings.HasPrefix(f.field, s.field+".") || strings.HasPrefix(f.field, s.field+"[") ||
			f.message == s.message {
			return true
		}
	}
	return false
}

// toJSONObject converts a YAML mapping to what kubectl would send: YAML 1.1 scalars
// (as sigs.k8s.io/yaml reads them), JSON numbers as int64 or float64.
func toJSONObject(root *yaml.Node) (map[string]any, error) {
	text, err := yaml.Marshal(root)
	if err != nil {
		return nil, err
	}
	data, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return nil, fmt.Errorf("not a Kubernetes manifest: %v", err)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	return numbers(obj).(map[string]any), nil
}

// numbers turns json.Number into int64 when integral, else float64, as the API server does.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// syntaxLine reads "yaml: line 12: …" from a parser error.
func syntaxLine(err error) int {
	var line int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		_, _ = fmt.Sscanf(msg[i:], "line %d", &line)
	}
	return max(line, 1)
}
