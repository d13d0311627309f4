package profile

import (
	"cmp"
	"encoding"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file checks a YAML document's shape against the Go type it decodes
// into, before it is decoded, so that a profile's author reads what to
// write rather than the decoder's Go type names: every unknown key (with
// "did you mean" when a known key is close) and every value of the wrong
// kind, each at the line of its key, all at once.

// shapeChecker collects the problems of one document and the line of every
// key it saw, by dotted path ("features.throttling.method.rateLimit").
type shapeChecker struct {
	problems []string
	reported []string       // paths with a shape problem
	lines    map[string]int // path → line of its key
	// seen keeps an alias (or anything else) from being checked twice
	// against the same type: a YAML bomb would otherwise expand here.
	seen map[shapeVisit]bool
}

type shapeVisit struct {
	node *yaml.Node
	t    reflect.Type
}

func newShapeChecker() *shapeChecker {
	return &shapeChecker{lines: map[string]int{}, seen: map[shapeVisit]bool{}}
}

func (c *shapeChecker) add(line int, path, format string, args ...any) {
	c.problems = append(c.problems, atLine(line, path+": "+fmt.Sprintf(format, args...)))
	c.reported = append(c.reported, path)
}

// atLine prefixes a problem with its line, as YAML tools do.
func atLine(line int, problem string) string {
	if line <= 0 {
		return problem
	}
	return fmt.Sprintf("line %d: %s", line, problem)
}

// sortByLine orders problems as the file does; those without a line (a
// missing field) keep their order, after the others.
func sortByLine(problems []string) {
	line := func(p string) int {
		var n int
		if _, err := fmt.Sscanf(p, "line %d:", &n); err != nil {
			return math.MaxInt
		}
		return n
	}
	slices.SortStableFunc(problems, func(a, b string) int { return cmp.Compare(line(a), line(b)) })
}

// covers reports whether a problem at path has already been reported by
// the shape check, at path or at one of its parents: a value of the wrong
// kind is left empty by the decoder, and "required" would repeat it.
func (c *shapeChecker) covers(path string) bool {
	for _, r := range c.reported {
		if path == r || strings.HasPrefix(path, r+".") {
			return true
		}
	}
	return false
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	nodeType      = reflect.TypeFor[yaml.Node]()
	unmarshalType = reflect.TypeFor[yaml.Unmarshaler]()
	textType      = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// check checks node (the value at path) against t.
func (c *shapeChecker) check(node *yaml.Node, t reflect.Type, path string) {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	v := shapeVisit{node, t}
	if c.seen[v] {
		return
	}
	c.seen[v] = true
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		return // the decoder leaves the zero value
	}
	if t == nodeType || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalType) || reflect.PointerTo(t).Implements(textType) {
		return // decoded by its own rules
	}
	if !fits(node, t) {
		c.add(node.Line, path, "want %s, got %s", describe(t), got(node))
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := yamlFields(t)
		c.mapping(node, path, func(key *yaml.Node, value *yaml.Node, keyPath string) {
			ft, ok := fields[key.Value]
			if !ok {
				c.add(key.Line, keyPath, "unknown key%s", suggest(key.Value, slices.Sorted(maps.Keys(fields)), "keys"))
				return
			}
			c.check(value, ft, keyPath)
		}, t)
	case reflect.Map:
		c.mapping(node, path, func(key *yaml.Node, value *yaml.Node, keyPath string) {
			c.check(key, t.Key(), keyPath)
			c.check(value, t.Elem(), keyPath)
		}, t)
	case reflect.Slice, reflect.Array:
		for i, item := range node.Content {
			c.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// mapping visits the key/value pairs of a mapping node, merge keys ("<<")
// included as if written in place.
func (c *shapeChecker) mapping(node *yaml.Node, path string, visit func(key, value *yaml.Node, keyPath string), t reflect.Type) {
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, value := node.Content[i], node.Content[i+1]
		if key.ShortTag() == "!!merge" {
			merged := []*yaml.Node{value}
			if value.Kind == yaml.SequenceNode {
				merged = value.Content
			}
			for _, m := range merged {
				c.check(m, t, path)
			}
			continue
		}
		keyPath := key.Value
		if path != "" {
			keyPath = path + "." + key.Value
		}
		if _, dup := c.lines[keyPath]; !dup {
			c.lines[keyPath] = key.Line
		}
		visit(key, value, keyPath)
	}
}

// fits reports whether node has the kind of value t decodes from.
func fits(node *yaml.Node, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return node.Kind == yaml.MappingNode
	case reflect.Slice, reflect.Array:
		return node.Kind == yaml.SequenceNode
	}
	if node.Kind != yaml.ScalarNode {
		return false
	}
	tag := node.ShortTag()
	switch {
	case t == durationType:
		// The decoder reads a duration from a string only: "0" is 0s.
		_, err := time.ParseDuration(node.Value)
		return tag == "!!str" && err == nil
	case t.Kind() == reflect.Bool:
		// The decoder also reads YAML 1.1's words (yes, on, n…) into a bool.
		return tag == "!!bool" || tag == "!!str" && yaml11Bool[node.Value]
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return tag == "!!int" || tag == "!!float" && isWhole(node.Value)
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr:
		return (tag == "!!int" || tag == "!!float" && isWhole(node.Value)) && !strings.HasPrefix(node.Value, "-")
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return tag == "!!int" || tag == "!!float"
	case t.Kind() == reflect.String:
		return tag != "!!binary"
	}
	return true
}

var yaml11Bool = map[string]bool{}

func init() {
	for _, w := range strings.Fields("y Y yes Yes YES on On ON n N no No NO off Off OFF") {
		yaml11Bool[w] = true
	}
}

func isWhole(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// describe says what a value of type t is written as, in the profile's
// words rather than Go's.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "a duration such as 5s or 250ms"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr:
		return "a whole number, 0 or more"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Struct:
		keys := slices.Sorted(maps.Keys(yamlFields(t)))
		switch len(keys) {
		case 0:
			return "a map"
		case 1:
			return "a map with " + keys[0]
		}
		return "a map with " + strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
	case t.Kind() == reflect.Map:
		return "a map of names to " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "a "), "an ")
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list (each item " + describe(t.Elem()) + ")"
	}
	return "another kind of value"
}

// got describes what the profile has instead.
func got(node *yaml.Node) string {
	switch node.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	}
	v := node.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return strconv.Quote(v)
}

// yamlFields maps the keys a struct decodes from to their types, as the
// decoder reads them: the yaml tag's name, else the lower-cased field
// name; ",inline" structs contribute their own keys.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					fields[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

// suggest is "; did you mean X?" for the known name closest to name, if
// it is close enough to be a misspelling, else the list of known names.
func suggest(name string, known []string, what string) string {
	best, bestDist := "", math.MaxInt
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	if len(known) == 0 {
		return ""
	}
	return fmt.Sprintf("; known %s: %s", what, strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeMessage rewrites a decoder error the shape check did not foresee
// without Go type names.
func decodeMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = goTypeName.ReplaceAllString(msg, "cannot read $1 here")
	msg = notFound.ReplaceAllString(msg, "unknown key $1")
	return strings.Join(strings.Fields(msg), " ")
}

var (
	goTypeName = regexp.MustCompile("cannot unmarshal !!\\w+ (`[^`]*`|[^ ]+) into \\S+")
	notFound   = regexp.MustCompile(`field (\S+) not found in type \S+`)
)
