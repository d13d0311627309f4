package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
)

// The JSONPath subset of $input.path and $input.json (Jayway JsonPath's
// syntax, which API Gateway uses):
//
//	$              the whole document (a path without a leading $ gets "$."
//	               put in front, as Jayway does)
//	.key  ['key']  ["key"]  ['a','b']   a member
//	[n]  [-n]                           an array element (negative: from the end)
//	[*]  .*                             every member or element
//	[i:j]  [i:]  [:j]                   an array slice
//	..key  ..*                          deep scan
//
// Filters ([?(...)]) and functions (.length()) are not supported: an
// error. A definite path (members and indexes only) gives the value, or
// null if it is missing; any other path gives a JSON list of every match.

type pathStep struct {
	kind  byte // 'k' keys, 'i' index, '*' wildcard, 's' slice
	deep  bool
	keys  []string
	index int
	from  int
	to    int // slice end; noEnd for open
}

const noEnd = int(^uint(0) >> 1)

func parseJSONPath(path string) ([]pathStep, bool, error) {
	p := strings.TrimSpace(path)
	if !strings.HasPrefix(p, "$") {
		p = "$." + p
	}
	p = p[1:]
	var steps []pathStep
	definite := true
	for p != "" {
		var st pathStep
		switch {
		case strings.HasPrefix(p, ".."):
			st.deep = true
			definite = false
			p = p[2:]
			if strings.HasPrefix(p, "[") {
				break
			}
			fallthrough
		case p[0] == '.':
			if !st.deep {
				p = p[1:]
			}
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			name := strings.TrimSpace(p[:end])
			p = p[end:]
			if name == "" {
				return nil, false, fmt.Errorf("JSONPath %q: empty member name", path)
			}
			if strings.HasSuffix(name, ")") {
				return nil, false, fmt.Errorf("JSONPath %q: functions are not supported", path)
			}
			if name == "*" {
				st.kind = '*'
				definite = false
			} else {
				st.kind, st.keys = 'k', []string{name}
			}
			steps = append(steps, st)
			continue
		}
		if !strings.HasPrefix(p, "[") {
			return nil, false, fmt.Errorf("JSONPath %q: unexpected %q", path, p)
		}
		end := strings.IndexByte(p, ']')
		if end < 0 {
			return nil, false, fmt.Errorf("JSONPath %q: [ is not closed", path)
		}
		in := strings.TrimSpace(p[1:end])
		if strings.HasPrefix(in, "'") || strings.HasPrefix(in, `"`) {
			// Quoted names may hold ']' or '.': find the real end.
			keys, rest, err := quotedKeys(p[1:])
			if err != nil {
				return nil, false, fmt.Errorf("JSONPath %q: %v", path, err)
			}
			st.kind, st.keys = 'k', keys
			if len(keys) > 1 {
				definite = false
			}
			p = rest
			steps = append(steps, st)
			continue
		}
		p = p[end+1:]
		switch {
		case in == "*":
			st.kind = '*'
			definite = false
		case strings.HasPrefix(in, "?"):
			return nil, false, fmt.Errorf("JSONPath %q: filters are not supported", path)
		case strings.Contains(in, ":"):
			a, b, _ := strings.Cut(in, ":")
			st.kind, st.from, st.to = 's', 0, noEnd
			var err error
			if a = strings.TrimSpace(a); a != "" {
				if st.from, err = strconv.Atoi(a); err != nil {
					return nil, false, fmt.Errorf("JSONPath %q: bad slice", path)
				}
			}
			if b = strings.TrimSpace(b); b != "" {
				if st.to, err = strconv.Atoi(b); err != nil {
					return nil, false, fmt.Errorf("JSONPath %q: bad slice", path)
				}
			}
			definite = false
		default:
			n, err := strconv.Atoi(in)
			if err != nil {
				return nil, false, fmt.Errorf("JSONPath %q: %q is not an index", path, in)
			}
			st.kind, st.index = 'i', n
		}
		steps = append(steps, st)
	}
	return steps, definite, nil
}

// quotedKeys reads 'a' or 'a','b' up to and past the closing ']'.
func quotedKeys(s string) ([]string, string, error) {
	var keys []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" || (s[0] != '\'' && s[0] != '"') {
			return nil, "", fmt.Errorf("expected a quoted name")
		}
		q := s[0]
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return nil, "", fmt.Errorf("quoted name is not closed")
		}
		keys = append(keys, s[1:1+end])
		s = strings.TrimLeft(s[2+end:], " ")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "]"):
			return keys, s[1:], nil
		default:
			return nil, "", fmt.Errorf("expected , or ] after a quoted name")
		}
	}
}

// evalJSONPath applies path to a parsed document.
func evalJSONPath(root any, path string) (any, error) {
	steps, definite, err := parseJSONPath(path)
	if err != nil {
		return nil, err
	}
	cur := []any{root}
	for _, st := range steps {
		var next []any
		for _, v := range cur {
			if st.deep {
				next = deepScan(next, v, st, 0)
			} else {
				next = applyStep(next, v, st)
			}
		}
		cur = next
		if len(cur) == 0 {
			break
		}
	}
	if definite {
		if len(cur) == 0 {
			return nil, nil
		}
		return cur[0], nil
	}
	return &vtl.List{Items: cur, JSON: true}, nil
}

func applyStep(out []any, v any, st pathStep) []any {
	switch st.kind {
	case 'k':
		if m, ok := v.(*vtl.Map); ok {
			for _, k := range st.keys {
				if x, ok := m.Get(k); ok {
					out = append(out, x)
				}
			}
		}
	case '*':
		switch c := v.(type) {
		case *vtl.Map:
			for i := range c.Len() {
				_, x := c.At(i)
				out = append(out, x)
			}
		case *vtl.List:
			out = append(out, c.Items...)
		}
	case 'i':
		if l, ok := v.(*vtl.List); ok {
			i := st.index
			if i < 0 {
				i += len(l.Items)
			}
			if i >= 0 && i < len(l.Items) {
				out = append(out, l.Items[i])
			}
		}
	case 's':
		if l, ok := v.(*vtl.List); ok {
			n := len(l.Items)
			from, to := st.from, min(st.to, n)
			if from < 0 {
				from = max(from+n, 0)
			}
			if to < 0 {
				to += n
			}
			if from < to {
				out = append(out, l.Items[from:to]...)
			}
		}
	}
	return out
}

// deepScan applies st to v and to everything below it, in document order.
func deepScan(out []any, v any, st pathStep, depth int) []any {
	if depth > 600 { // FromJSON nests at most 512 deep
		return out
	}
	out = applyStep(out, v, st)
	switch c := v.(type) {
	case *vtl.Map:
		for i := range c.Len() {
			_, x := c.At(i)
			out = deepScan(out, x, st, depth+1)
		}
	case *vtl.List:
		for _, x := range c.Items {
			out = deepScan(out, x, st, depth+1)
		}
	}
	return out
}
