package convert

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// source is one input object being translated: its fields, and which of them a translation
// has read (consumed). Paths are written as in kubectl explain: spec.strategy.canary.steps[0].
type source struct {
	obj  map[string]any
	used map[string]bool
}

func newSource(obj map[string]any) *source { return &source{obj: obj, used: map[string]bool{}} }

// at is the value at a path, consumed; nil when absent.
func (s *source) at(path string) any {
	v := lookup(s.obj, path)
	if v != nil {
		s.used[canonical(path)] = true
	}
	return v
}

// canonical writes a path the one way leftovers does: keys with a dot or slash bracketed.
func canonical(path string) string {
	out := ""
	for _, part := range splitPath(path) {
		if _, err := strconv.Atoi(part); err == nil {
			out += "[" + part + "]"
			continue
		}
		out = join(out, part)
	}
	return out
}

// leaves counts the fields (leaf values) of the object.
func (s *source) leaves() int {
	count := 0
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case map[string]any:
			for _, child := range n {
				walk(child)
			}
		case []any:
			for _, child := range n {
				walk(child)
			}
		default:
			count++
		}
	}
	walk(s.obj)
	return count
}

// has reports whether a path is present, without consuming it.
func (s *source) has(path string) bool { return lookup(s.obj, path) != nil }

func (s *source) str(path string) string {
	switch v := s.at(path).(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// integer reads a number, or a string holding one (the peers write counts either way).
func (s *source) integer(path string) (int32, bool) {
	switch v := s.at(path).(type) {
	case int64:
		return int32(v), true
	case float64:
		return int32(v), true
	case int:
		return int32(v), true
	case string:
		n, err := strconv.Atoi(v)
		return int32(n), err == nil
	}
	return 0, false
}

// optional is integer for an optional field: nil when absent.
func (s *source) optional(path string) *int32 {
	if v, ok := s.integer(path); ok {
		return &v
	}
	return nil
}

// flag is boolean for an optional field: nil when absent.
func (s *source) flag(path string) *bool {
	if v, ok := s.boolean(path); ok {
		return &v
	}
	return nil
}

func (s *source) boolean(path string) (bool, bool) {
	v, ok := s.at(path).(bool)
	return v, ok
}

// list is the length of the list at path (0 when absent); the list itself isn't consumed,
// its items are as they are read.
func (s *source) list(path string) int {
	l, _ := lookup(s.obj, path).([]any)
	return len(l)
}

// keys are the keys of the map at path, sorted; the map isn't consumed.
func (s *source) keys(path string) []string {
	m, _ := lookup(s.obj, path).(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// take consumes a whole subtree and returns it (copied as is into the output).
func (s *source) take(path string) any { return s.at(path) }

// leftovers are the leaf paths no translation read, sorted: the fields to report.
func (s *source) leftovers(skip ...string) []string {
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if s.used[path] {
			return
		}
		for _, p := range skip {
			if path == p {
				return
			}
		}
		switch n := v.(type) {
		case map[string]any:
			if len(n) == 0 && path != "" {
				out = append(out, path)
			}
			for k, child := range n {
				walk(join(path, k), child)
			}
		case []any:
			if len(n) == 0 {
				out = append(out, path)
			}
			for i, child := range n {
				walk(fmt.Sprintf("%s[%d]", path, i), child)
			}
		default:
			out = append(out, path)
		}
	}
	walk("", s.obj)
	sort.Strings(out)
	return out
}

// join adds a key to a path, bracketed when it holds a dot or a slash.
func join(path, key string) string {
	switch {
	case strings.ContainsAny(key, "./"):
		return fmt.Sprintf("%s[%q]", path, key)
	case path == "":
		return key
	}
	return path + "." + key
}

// lookup follows a path of keys and [i] indexes; keys with dots are written ["a.b"].
func lookup(v any, path string) any {
	for _, part := range splitPath(path) {
		switch n := v.(type) {
		case map[string]any:
			v = n[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// splitPath splits "a.b[2].c" into a, b, 2, c and `plugins["argoproj-labs/gatewayAPI"]`
// into plugins, argoproj-labs/gatewayAPI.
func splitPath(path string) []string {
	var parts []string
	for path != "" {
		switch {
		case strings.HasPrefix(path, `["`):
			end := strings.Index(path, `"]`)
			parts = append(parts, path[2:end])
			path = path[end+2:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			parts = append(parts, path[1:end])
			path = path[end+1:]
		case path[0] == '.':
			path = path[1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			parts = append(parts, path[:end])
			path = path[end:]
		}
	}
	return parts
}

// keysOfList reads field of every item of the list at path (consumed).
func (s *source) keysOfList(path, field string) []string {
	var out []string
	for i := range s.list(path) {
		if v := s.str(fmt.Sprintf("%s[%d].%s", path, i, field)); v != "" {
			out = append(out, v)
		}
	}
	return out
}
