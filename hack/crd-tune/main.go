// Command crd-tune adjusts the generated Rollout CRD where Kubernetes' own embedded types
// can't carry markers:
//   - it removes the field descriptions under the pod template. The template is Kubernetes'
//     own type (documented by `kubectl explain pod.spec`); its descriptions alone make the CRD
//     ~680 kB, which breaks client-side `kubectl apply` and GitOps tools that use it (256 kB
//     annotation limit). Weir's own fields keep their descriptions.
//   - it bounds selector.matchLabels and template.metadata.labels (64 labels, values of at
//     most 63 characters, as Kubernetes itself requires), so the CEL rule that checks the
//     selector against the template's labels fits the API server's cost budget.
//   - it lets the pod template's spec go without containers: a Rollout with a workloadRef has
//     no template (the Deployment's is released), and Go clients still send an empty one.
//     The spec's own CEL rule asks for a container when there is no workloadRef.
//   - it drops `type: string` where a Weir string type is marked XIntOrString (a pause's
//     duration, which takes the peers' whole seconds too): controller-gen writes the Go type's
//     kind there, and the API server wants an int-or-string field to have no type.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crd-tune CRD.yaml (rewritten in place)")
		os.Exit(2)
	}
	if err := trim(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crd-tune:", err)
		os.Exit(1)
	}
}

func trim(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return err
	}
	versions, _ := dig(crd, "spec", "versions").([]any)
	intOrStringUntyped(crd)
	for _, v := range versions {
		template, ok := dig(v, "schema", "openAPIV3Schema", "properties", "spec", "properties", "template", "properties").(map[string]any)
		if !ok {
			return fmt.Errorf("%s: no spec.template in the schema", path)
		}
		for _, prop := range template {
			dropDescriptions(prop)
		}
		if podSpec, ok := dig(template, "spec").(map[string]any); ok {
			delete(podSpec, "required")
		}
		for _, labels := range []any{
			dig(v, "schema", "openAPIV3Schema", "properties", "spec", "properties", "selector", "properties", "matchLabels"),
			dig(template, "metadata", "properties", "labels"),
		} {
			if err := boundLabels(labels); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}

// boundLabels caps a label map's schema at Kubernetes' own limits.
func boundLabels(node any) error {
	m, ok := node.(map[string]any)
	if !ok {
		return fmt.Errorf("label map not found in the schema")
	}
	m["maxProperties"] = 64
	values, ok := m["additionalProperties"].(map[string]any)
	if !ok {
		return fmt.Errorf("label map without additionalProperties")
	}
	values["maxLength"] = 63
	return nil
}

// intOrStringUntyped removes the type of every schema marked x-kubernetes-int-or-string.
func intOrStringUntyped(node any) {
	eachMap(node, func(m map[string]any) {
		if m["x-kubernetes-int-or-string"] == true && m["type"] == "string" {
			delete(m, "type")
		}
	})
}

// eachMap calls fn on every map in the tree below node, node included.
func eachMap(node any, fn func(map[string]any)) {
	switch n := node.(type) {
	case map[string]any:
		fn(n)
		for _, child := range n {
			eachMap(child, fn)
		}
	case []any:
		for _, child := range n {
			eachMap(child, fn)
		}
	}
}

func dig(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}

func dropDescriptions(node any) {
	eachMap(node, func(m map[string]any) { delete(m, "description") })
}
