package vtl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values a template works with are Go values of these types:
//
//	nil      Java null: renders as "" (API Gateway renders null references empty)
//	string   java.lang.String
//	int64    Integer/Long
//	float64  Double
//	bool     Boolean
//	*List    java.util.List
//	*Map     java.util.Map with string keys, in insertion order (LinkedHashMap)
//	Object   a host object ($input, $util, $context...)
//
// Hosts build values with NewList, NewMap and FromJSON.

// List is a mutable list. JSON marks a list that came from a JSON document
// ($input.path, $util.parseJson): API Gateway renders those as JSON
// (["a",1]) where a list built in the template renders as Java does ([a, 1]).
type List struct {
	Items []any
	JSON  bool
}

// NewList returns a list holding items.
func NewList(items ...any) *List { return &List{Items: items} }

// Map is a string-keyed map that keeps insertion order, as the
// LinkedHashMap behind Velocity map literals and parsed JSON objects does.
type Map struct {
	entries []mapEntry
	index   map[string]int // built once the map outgrows a linear scan
}

type mapEntry struct {
	k string
	v any
}

// mapIndexAt is the size from which a Map keeps a hash index.
const mapIndexAt = 12

// NewMap returns an empty map with room for n entries.
func NewMap(n int) *Map { return &Map{entries: make([]mapEntry, 0, n)} }

// Len is the number of entries.
func (m *Map) Len() int { return len(m.entries) }

// At returns the i-th entry in insertion order.
func (m *Map) At(i int) (string, any) { return m.entries[i].k, m.entries[i].v }

func (m *Map) find(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range m.entries {
		if m.entries[i].k == k {
			return i
		}
	}
	return -1
}

// Get returns the value for k.
func (m *Map) Get(k string) (any, bool) {
	if i := m.find(k); i >= 0 {
		return m.entries[i].v, true
	}
	return nil, false
}

// Put sets k to v and returns the previous value (nil if none), like
// java.util.Map.put.
func (m *Map) Put(k string, v any) any {
	if i := m.find(k); i >= 0 {
		prev := m.entries[i].v
		m.entries[i].v = v
		return prev
	}
	m.entries = append(m.entries, mapEntry{k, v})
	if m.index != nil {
		m.index[k] = len(m.entries) - 1
	} else if len(m.entries) >= mapIndexAt {
		m.reindex()
	}
	return nil
}

func (m *Map) reindex() {
	m.index = nil
	if len(m.entries) >= mapIndexAt {
		m.index = make(map[string]int, len(m.entries)*2)
		for i, e := range m.entries {
			m.index[e.k] = i
		}
	}
}

// Remove deletes k and returns its value.
func (m *Map) Remove(k string) any {
	i := m.find(k)
	if i < 0 {
		return nil
	}
	prev := m.entries[i].v
	m.entries = append(m.entries[:i], m.entries[i+1:]...)
	if m.index != nil {
		m.reindex()
	}
	return prev
}

// values returns the values in order.
func (m *Map) values() []any {
	out := make([]any, len(m.entries))
	for i, e := range m.entries {
		out[i] = e.v
	}
	return out
}

// Object is a host value with properties and methods ($input, $util,
// $context). Property and Method return nil, nil for a name they do not
// know: Velocity renders an unknown property or method as null, not as an
// error. An error aborts the render (API Gateway answers 500).
type Object interface {
	Property(name string) (any, error)
	Method(name string, args []any) (any, error)
}

// PropertySetter is an Object that #set can assign properties of
// (#set($context.responseOverride.status = 400)).
type PropertySetter interface {
	SetProperty(name string, v any) error
}

// maxDepth bounds how deeply nested a value may be when it is rendered,
// compared or encoded: a list can be made to contain itself
// (#set($l = []) $l.add($l)), which would otherwise recurse forever. It is
// also the deepest JSON FromJSON accepts, so a body that parses renders.
const maxDepth = 512

var errTooDeep = fmt.Errorf("value nested more than %d levels deep (or containing itself)", maxDepth)

// truthy is Velocity 1.7's #if test: null and false are false, anything
// else (the empty string included) is true.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

// ToString renders v as Velocity does (Java's toString), with null as "".
func ToString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	b, err := appendString(nil, v, 0)
	return string(b), err
}

func appendString(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errTooDeep
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil // only reached inside collections
	case string:
		return append(b, v...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		return append(b, formatDouble(v)...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case *List:
		if v.JSON {
			return appendJSON(b, v, depth)
		}
		b = append(b, '[')
		var err error
		for i, it := range v.Items {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendString(b, it, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case *Map:
		// {k=v, k2=v2}: Java's AbstractMap.toString, which API Gateway
		// shows for objects from $input.path (OBS: LocalStack PR #12379,
		// serverless#1014 "{arg=value}").
		b = append(b, '{')
		var err error
		for i, e := range v.entries {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, e.k...)
			b = append(b, '=')
			if b, err = appendString(b, e.v, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case interface{ String() string }:
		return append(b, v.String()...), nil
	}
	return b, nil
}

// ToJSON encodes v as compact JSON, keeping map order.
func ToJSON(v any) (string, error) {
	b, err := appendJSON(nil, v, 0)
	return string(b), err
}

func appendJSON(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errTooDeep
	}
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendQuoted(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...), nil
		}
		return append(b, formatDouble(v)...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case *List:
		b = append(b, '[')
		for i, it := range v.Items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, it, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case *Map:
		b = append(b, '{')
		for i, e := range v.entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, e.k)
			b = append(b, ':')
			if b, err = appendJSON(b, e.v, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	s, err := appendString(nil, v, depth)
	return appendQuoted(b, string(s)), err
}

// appendQuoted writes s as a JSON string (no HTML escaping; invalid UTF-8
// becomes U+FFFD).
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// formatDouble renders f as Java's Double.toString does: "1.0", "0.5",
// "1.0E7", "1.0E-4".
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+21
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// equal is Velocity 1.7's == (ASTEQNode): numbers compare by value; values
// of the same kind by Java equals; anything else by their string forms;
// null equals only null.
func equal(a, b any, depth int) (bool, error) {
	if depth > maxDepth {
		return false, errTooDeep
	}
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			if ia, ok := a.(int64); ok {
				if ib, ok := b.(int64); ok {
					return ia == ib, nil
				}
			}
			return x == y, nil
		}
	}
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y, nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y, nil
		}
	case *List:
		if y, ok := b.(*List); ok {
			if x == y {
				return true, nil
			}
			if len(x.Items) != len(y.Items) {
				return false, nil
			}
			for i := range x.Items {
				if eq, err := equal(x.Items[i], y.Items[i], depth+1); err != nil || !eq {
					return false, err
				}
			}
			return true, nil
		}
	case *Map:
		if y, ok := b.(*Map); ok {
			if x == y {
				return true, nil
			}
			if x.Len() != y.Len() {
				return false, nil
			}
			for _, e := range x.entries {
				yv, ok := y.Get(e.k)
				if !ok {
					return false, nil
				}
				if eq, err := equal(e.v, yv, depth+1); err != nil || !eq {
					return false, err
				}
			}
			return true, nil
		}
	}
	if a == b {
		return true, nil
	}
	sa, err := ToString(a)
	if err != nil {
		return false, err
	}
	sb, err := ToString(b)
	return sa == sb, err
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}
