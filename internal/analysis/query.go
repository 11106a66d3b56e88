package analysis

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	placeholder = regexp.MustCompile(`\{\{\s*args\.([a-zA-Z_][a-zA-Z0-9_-]*)\s*\}\}`)
	// bareValue is what an argument may hold when it stands outside a string literal (a
	// duration, a number, a metric name): nothing that could end an expression.
	bareValue = regexp.MustCompile(`^[A-Za-z0-9_.:]+$`)
)

// Placeholders lists the argument names a query refers to.
func Placeholders(query string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(query, -1) {
		names = append(names, m[1])
	}
	return names
}

// RenderQuery replaces {{args.name}} with the argument's value so that no value can change
// the query's meaning: inside a string literal it is escaped for that literal; outside one
// it must be a bare token (a number, a duration, a name).
func RenderQuery(query string, args map[string]string) (string, error) {
	var out strings.Builder
	quote := byte(0) // the quote character of the string literal we are in, or 0
	for i := 0; i < len(query); {
		if m := placeholder.FindStringSubmatchIndex(query[i:]); m != nil && m[0] == 0 {
			name := query[i+m[2] : i+m[3]]
			value, ok := args[name]
			if !ok {
				return "", fmt.Errorf("query refers to {{args.%s}}, which has no value", name)
			}
			if quote == '`' && strings.Contains(value, "`") {
				return "", fmt.Errorf("argument %q holds a backtick, which a raw (`) PromQL string can't contain: quote {{args.%s}} with \" in the query", name, name)
			} else if quote != 0 {
				out.WriteString(escapeLiteral(value, quote))
			} else if !bareValue.MatchString(value) {
				return "", fmt.Errorf("argument %q = %q stands outside a string literal and is not a plain number, duration or name", name, value)
			} else {
				out.WriteString(value)
			}
			i += m[1]
			continue
		}
		c := query[i]
		switch {
		case quote != 0 && c == '\\' && quote != '`' && i+1 < len(query):
			out.WriteByte(c)
			out.WriteByte(query[i+1])
			i += 2
			continue
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\'' || c == '`'):
			quote = c
		}
		out.WriteByte(c)
		i++
	}
	return out.String(), nil
}

// escapeLiteral escapes a value for a PromQL string literal delimited by quote. Raw (`)
// strings have no escapes: they take the value as it is, and RenderQuery refuses a value
// holding a backtick.
func escapeLiteral(v string, quote byte) string {
	if quote == '`' {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '"', '\'':
			if c == quote {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// RenderText replaces {{args.name}} with the argument's value as it is, for providers whose
// text isn't PromQL (they escape the values for their own syntax first).
func RenderText(text string, args map[string]string) (string, error) {
	var missing string
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := args[name]
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("refers to {{args.%s}}, which has no value", missing)
	}
	return out, nil
}
