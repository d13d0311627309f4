package vtl

import (
	"fmt"
	"strings"
)

// method calls a method on a value. The built-in types have the Java
// methods templates use; a method Java lacks, or arguments of the wrong
// count or type, give null, as Velocity's method lookup does. Java
// exceptions (an index out of range, a bad regular expression) are errors.
func (st *state) method(recv any, name string, args []any, pos int) (any, error) {
	switch r := recv.(type) {
	case string:
		return st.stringMethod(r, name, args, pos)
	case *List:
		return st.listMethod(r, name, args, pos)
	case *Map:
		return st.mapMethod(r, name, args, pos)
	case Object:
		return r.Method(name, args)
	case int64, float64, bool:
		return st.scalarMethod(r, name, args, pos)
	}
	return nil, nil
}

// common handles the methods every Java object has.
func (st *state) common(recv any, name string, args []any, pos int) (any, bool, error) {
	switch {
	case name == "toString" && len(args) == 0:
		s, err := st.str(recv, pos)
		return s, true, err
	case name == "equals" && len(args) == 1:
		eq, err := javaEquals(recv, args[0])
		return eq, true, err
	}
	return nil, false, nil
}

func (st *state) scalarMethod(recv any, name string, args []any, pos int) (any, error) {
	if v, ok, err := st.common(recv, name, args, pos); ok {
		return v, err
	}
	if len(args) != 0 {
		return nil, nil
	}
	switch v := recv.(type) {
	case int64:
		switch name {
		case "intValue", "longValue":
			return v, nil
		case "doubleValue", "floatValue":
			return float64(v), nil
		}
	case float64:
		switch name {
		case "intValue", "longValue":
			return int64(v), nil
		case "doubleValue", "floatValue":
			return v, nil
		}
	case bool:
		if name == "booleanValue" {
			return v, nil
		}
	}
	return nil, nil
}

func (st *state) stringMethod(s, name string, args []any, pos int) (any, error) {
	if v, ok, err := st.common(s, name, args, pos); ok {
		return v, err
	}
	str := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		a, ok := args[i].(string)
		return a, ok
	}
	num := func(i int) (int, bool) {
		if i >= len(args) {
			return 0, false
		}
		n, ok := args[i].(int64)
		if !ok || n > 1<<31-1 || n < -(1<<31) {
			return 0, false
		}
		return int(n), true
	}
	built := func(out string) (any, error) { return out, st.charge(len(out), pos) }
	a0, isStr0 := str(0)
	a1, isStr1 := str(1)
	n0, isNum0 := num(0)
	n1, isNum1 := num(1)
	switch len(args) {
	case 0:
		switch name {
		case "length":
			return int64(utf16Len(s)), nil
		case "isEmpty":
			return s == "", nil
		case "toLowerCase":
			return built(strings.ToLower(s))
		case "toUpperCase":
			return built(strings.ToUpper(s))
		case "trim":
			return javaTrim(s), nil
		}
	case 1:
		switch {
		case name == "contains" && isStr0:
			return strings.Contains(s, a0), nil
		case name == "startsWith" && isStr0:
			return strings.HasPrefix(s, a0), nil
		case name == "endsWith" && isStr0:
			return strings.HasSuffix(s, a0), nil
		case name == "indexOf" && isStr0:
			return int64(utf16Index(s, a0, 0)), nil
		case name == "lastIndexOf" && isStr0:
			return int64(utf16LastIndex(s, a0)), nil
		case name == "equalsIgnoreCase" && isStr0:
			return strings.EqualFold(s, a0), nil
		case name == "concat" && isStr0:
			return built(s + a0)
		case name == "substring" && isNum0:
			return utf16Substring(s, n0, utf16Len(s))
		case name == "charAt" && isNum0:
			return utf16Substring(s, n0, n0+1)
		case name == "matches" && isStr0:
			re, err := compileJava(a0, true)
			if err != nil {
				return nil, err
			}
			return re.MatchString(s), nil
		case name == "split" && isStr0:
			return st.split(s, a0, 0, pos)
		}
	case 2:
		switch {
		case name == "substring" && isNum0 && isNum1:
			return utf16Substring(s, n0, n1)
		case name == "startsWith" && isStr0 && isNum1:
			if n1 < 0 || n1 > utf16Len(s) {
				return false, nil
			}
			rest, err := utf16Substring(s, n1, utf16Len(s))
			if err != nil {
				return false, nil
			}
			return strings.HasPrefix(rest.(string), a0), nil
		case name == "indexOf" && isStr0 && isNum1:
			return int64(utf16Index(s, a0, n1)), nil
		case name == "replace" && isStr0 && isStr1:
			return built(strings.ReplaceAll(s, a0, a1))
		case (name == "replaceAll" || name == "replaceFirst") && isStr0 && isStr1:
			out, err := replaceJava(s, a0, a1, name == "replaceAll")
			if err != nil {
				return nil, err
			}
			return built(out)
		case name == "split" && isStr0 && isNum1:
			return st.split(s, a0, n1, pos)
		}
	}
	return nil, nil
}

func (st *state) split(s, regex string, limit, pos int) (any, error) {
	parts, err := splitJava(s, regex, limit)
	if err != nil {
		return nil, err
	}
	l := &List{Items: make([]any, len(parts))}
	for i, p := range parts {
		l.Items[i] = p
	}
	return l, st.charge(16*len(parts), pos)
}

func (st *state) listMethod(l *List, name string, args []any, pos int) (any, error) {
	if v, ok, err := st.common(l, name, args, pos); ok {
		return v, err
	}
	switch len(args) {
	case 0:
		switch name {
		case "size", "count": // count(): the DOC's own example, $input.path('$.pets').count()
			return int64(len(l.Items)), nil
		case "isEmpty":
			return len(l.Items) == 0, nil
		}
	case 1:
		switch name {
		case "get":
			if n, ok := args[0].(int64); ok && n < 0 { // only $list[-1] counts from the end
				return nil, fmt.Errorf("index %d out of bounds for length %d", n, len(l.Items))
			}
			i, err := listIndex(l, args[0])
			if err != nil {
				return nil, err
			}
			return l.Items[i], nil
		case "contains", "indexOf":
			found := -1
			for i, it := range l.Items {
				eq, err := javaEquals(it, args[0])
				if err != nil {
					return nil, err
				}
				if eq {
					found = i
					break
				}
			}
			if name == "contains" {
				return found >= 0, nil
			}
			return int64(found), nil
		case "add":
			l.Items = append(l.Items, args[0])
			return true, st.charge(16, pos)
		case "addAll":
			other, ok := args[0].(*List)
			if !ok {
				return nil, nil
			}
			l.Items = append(l.Items, other.Items...)
			return true, st.charge(16*len(other.Items), pos)
		}
	case 2:
		if name == "set" {
			i, err := listIndex(l, args[0])
			if err != nil {
				return nil, err
			}
			prev := l.Items[i]
			l.Items[i] = args[1]
			return prev, nil
		}
	}
	return nil, nil
}

func (st *state) mapMethod(m *Map, name string, args []any, pos int) (any, error) {
	if v, ok, err := st.common(m, name, args, pos); ok {
		return v, err
	}
	key := func() (string, bool, error) {
		if args[0] == nil {
			return "", false, nil
		}
		k, err := st.str(args[0], pos)
		return k, true, err
	}
	switch len(args) {
	case 0:
		switch name {
		case "size":
			return int64(m.Len()), nil
		case "isEmpty":
			return m.Len() == 0, nil
		case "keySet":
			l := &List{Items: make([]any, m.Len())}
			for i, e := range m.entries {
				l.Items[i] = e.k
			}
			return l, st.charge(16*m.Len(), pos)
		case "values":
			return &List{Items: m.values()}, st.charge(16*m.Len(), pos)
		case "entrySet":
			l := &List{Items: make([]any, m.Len())}
			for i, e := range m.entries {
				l.Items[i] = &Entry{Key: e.k, Value: e.v}
			}
			return l, st.charge(32*m.Len(), pos)
		}
	case 1:
		switch name {
		case "get", "containsKey", "remove":
			k, ok, err := key()
			if err != nil || !ok {
				if name == "containsKey" {
					return false, err
				}
				return nil, err
			}
			v, found := m.Get(k)
			switch name {
			case "containsKey":
				return found, nil
			case "remove":
				return m.Remove(k), nil
			}
			return v, nil
		case "containsValue":
			for _, e := range m.entries {
				if eq, err := javaEquals(e.v, args[0]); err != nil || eq {
					return eq, err
				}
			}
			return false, nil
		case "putAll":
			other, ok := args[0].(*Map)
			if !ok {
				return nil, nil
			}
			for _, e := range other.entries {
				m.Put(e.k, e.v)
			}
			return nil, st.charge(16*other.Len(), pos)
		}
	case 2:
		if name == "put" {
			k, ok, err := key()
			if err != nil || !ok {
				return nil, err
			}
			return m.Put(k, args[1]), st.charge(16, pos)
		}
	}
	return nil, nil
}

// Entry is an element of a map's entrySet().
type Entry struct {
	Key   string
	Value any
}

// Property implements Object ($entry.key, $entry.value).
func (e *Entry) Property(name string) (any, error) {
	switch name {
	case "key":
		return e.Key, nil
	case "value":
		return e.Value, nil
	}
	return nil, nil
}

// Method implements Object ($entry.getKey(), $entry.getValue()).
func (e *Entry) Method(name string, args []any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	switch name {
	case "getKey":
		return e.Key, nil
	case "getValue":
		return e.Value, nil
	case "toString":
		return e.String(), nil
	}
	return nil, nil
}

// String renders key=value, as Java's Map.Entry does.
func (e *Entry) String() string {
	v, _ := ToString(e.Value)
	if e.Value == nil {
		v = "null"
	}
	return e.Key + "=" + v
}

// kind names a value's Java class for equals, which is false across
// classes (1.equals(1.0) is false, though 1 == 1.0 is true).
func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "long"
	case float64:
		return "double"
	case bool:
		return "bool"
	case *List:
		return "list"
	case *Map:
		return "map"
	}
	return "object"
}

// javaEquals is Java's equals, which List.contains and Map.containsValue
// use too: false across types (1 vs "1"), unlike ==.
func javaEquals(a, b any) (bool, error) {
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	if kind(a) != kind(b) {
		return false, nil
	}
	return equal(a, b, 0)
}
