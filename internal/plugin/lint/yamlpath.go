package lint

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf finds the line of the YAML node a field path names ("spec.strategy.canary.
// steps[1].setWeight", "spec.selector.matchLabels[app]"): for a mapping entry the line of
// its key, for a list item the line of the item. When the path goes further than the
// document (a required field that is missing), it is the line of the deepest part that
// exists, which is where the field must be added.
func lineOf(root *yaml.Node, path string) int {
	n := root
	line := root.Line
	for _, seg := range pathSegments(path) {
		next, at := child(n, seg)
		if next == nil {
			return line
		}
		n, line = next, at
	}
	return line
}

// child returns the node under n named by seg, and the line that names it.
func child(n *yaml.Node, seg string) (*yaml.Node, int) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i].Line
		}
	}
	return nil, 0
}

// pathSegments splits "a.b[0].c[key]" into a, b, 0, c, key.
func pathSegments(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			open := strings.IndexByte(part, '[')
			if open < 0 {
				out = append(out, part)
				break
			}
			if open > 0 {
				out = append(out, part[:open])
			}
			end := strings.IndexByte(part[open:], ']')
			if end < 0 {
				out = append(out, part[open+1:])
				break
			}
			out = append(out, strings.Trim(part[open+1:open+end], `"`))
			part = part[open+end+1:]
		}
	}
	return out
}
