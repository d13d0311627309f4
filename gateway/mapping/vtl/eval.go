package vtl

import (
	"errors"
	"fmt"
	"math"
)

// Limits bound one render, so that no template can make the gateway loop
// or allocate without end.
type Limits struct {
	// LoopIterations is the most iterations one #foreach may run; one
	// more is an error. API Gateway documents 1,000 (DOC, "Amazon API
	// Gateway quotas": "Number of iterations in a #foreach ... #end loop
	// in mapping templates | 1000").
	LoopIterations int
	// TotalIterations bounds all #foreach iterations of a render (nested
	// loops multiply). A reference-gateway guard: AWS documents no such
	// limit.
	TotalIterations int
	// Output bounds the rendered bytes (API Gateway's payload limit is
	// 10 MB).
	Output int
	// Work bounds the bytes of strings a render builds: output,
	// interpolation, concatenation and string methods.
	Work int
}

// DefaultLimits are API Gateway's limits plus the reference gateway's
// guards.
var DefaultLimits = Limits{LoopIterations: 1000, TotalIterations: 100_000, Output: 10 << 20, Work: 64 << 20}

// Globals supplies the host's variables ($input, $util, $context...):
// Global returns nil for a name it does not define.
type Globals interface {
	Global(name string) any
}

// Render runs the template. A failure is an *Error; the output is then
// incomplete and must not be used.
func (t *Template) Render(g Globals, lim Limits) (string, error) {
	st := &state{g: g, lim: lim, out: make([]byte, 0, len(t.src)+len(t.src)/2)}
	err := st.render(t.nodes)
	if err == errBreak || err == errStop { // #break outside a loop ends the template, like #stop
		err = nil
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Msg: err.Error()}
		}
		return "", e.locate(t.src)
	}
	return string(st.out), nil
}

var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

type binding struct {
	name string
	v    any
}

type state struct {
	g          Globals
	lim        Limits
	vars       []binding // #set and #foreach variables; few, so a slice beats a map
	out        []byte
	iterations int
	work       int
}

func (st *state) errorf(pos int, format string, args ...any) error {
	return &Error{offset: pos, Msg: fmt.Sprintf(format, args...)}
}

// charge counts n bytes of strings built against the work limit.
func (st *state) charge(n, pos int) error {
	st.work += n
	if st.work > st.lim.Work {
		return st.errorf(pos, "template built more than %d bytes of text", st.lim.Work)
	}
	return nil
}

func (st *state) write(s string, pos int) error {
	if len(st.out)+len(s) > st.lim.Output {
		return st.errorf(pos, "template output exceeds %d bytes", st.lim.Output)
	}
	if err := st.charge(len(s), pos); err != nil {
		return err
	}
	st.out = append(st.out, s...)
	return nil
}

func (st *state) lookup(name string) any {
	for i := len(st.vars) - 1; i >= 0; i-- {
		if st.vars[i].name == name {
			return st.vars[i].v
		}
	}
	if st.g == nil {
		return nil
	}
	return st.g.Global(name)
}

// local returns the variable's value and whether it is set in the template.
func (st *state) local(name string) (any, bool) {
	for i := len(st.vars) - 1; i >= 0; i-- {
		if st.vars[i].name == name {
			return st.vars[i].v, true
		}
	}
	return nil, false
}

func (st *state) assign(name string, v any) {
	for i := len(st.vars) - 1; i >= 0; i-- {
		if st.vars[i].name == name {
			st.vars[i].v = v
			return
		}
	}
	st.vars = append(st.vars, binding{name, v})
}

func (st *state) unset(name string) {
	for i := len(st.vars) - 1; i >= 0; i-- {
		if st.vars[i].name == name {
			st.vars = append(st.vars[:i], st.vars[i+1:]...)
			return
		}
	}
}

func (st *state) render(nodes []node) error {
	for _, n := range nodes {
		var err error
		switch n := n.(type) {
		case *textNode:
			err = st.write(n.text, 0)
		case *refNode:
			var v any
			if v, err = st.ref(n.ref, len(n.ref.chain)); err == nil && v != nil {
				var s string
				if s, err = st.str(v, n.ref.pos); err == nil {
					err = st.write(s, n.ref.pos)
				}
			}
		case *setNode:
			err = st.set(n)
		case *ifNode:
			err = st.ifElse(n)
		case *foreachNode:
			err = st.foreach(n)
		case *breakNode:
			err = errBreak
		case *stopNode:
			err = errStop
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// str renders v, charging what a collection's rendering builds.
func (st *state) str(v any, pos int) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	s, err := ToString(v)
	if err != nil {
		return "", st.errorf(pos, "%v", err)
	}
	return s, st.charge(len(s), pos)
}

func (st *state) ifElse(n *ifNode) error {
	for i, c := range n.conds {
		v, err := st.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return st.render(n.blocks[i])
		}
	}
	return st.render(n.els)
}

func (st *state) set(n *setNode) error {
	v, err := st.eval(n.rhs)
	if err != nil {
		return err
	}
	if v == nil {
		// Velocity 1.7: "If the RHS is a property or method reference that
		// evaluates to null, it will not be assigned to the LHS."
		return nil
	}
	lhs := n.lhs
	if len(lhs.chain) == 0 {
		st.assign(lhs.name, v)
		return nil
	}
	target, err := st.ref(lhs, len(lhs.chain)-1)
	if err != nil || target == nil {
		return err
	}
	last := lhs.chain[len(lhs.chain)-1]
	key := last.name
	if last.kind == accIndex {
		idx, err := st.eval(last.index)
		if err != nil {
			return err
		}
		if l, ok := target.(*List); ok {
			i, err := listIndex(l, idx)
			if err != nil {
				return st.errorf(last.pos, "%v", err)
			}
			l.Items[i] = v
			return nil
		}
		if key, err = st.str(idx, last.pos); err != nil {
			return err
		}
	}
	switch t := target.(type) {
	case *Map:
		t.Put(key, v)
	case PropertySetter:
		if err := t.SetProperty(key, v); err != nil {
			return st.errorf(last.pos, "#set($%s...): %v", lhs.name, err)
		}
	}
	return nil
}

// ref evaluates r's root and the first n links of its chain. Anything
// applied to null is null (Velocity's non-strict mode, which API Gateway
// runs: a missing value renders empty).
func (st *state) ref(r *reference, n int) (any, error) {
	v := st.lookup(r.name)
	for i := 0; i < n && v != nil; i++ {
		a := &r.chain[i]
		var err error
		switch a.kind {
		case accProperty:
			v, err = st.property(v, a.name)
		case accMethod:
			args := make([]any, len(a.args))
			for j, x := range a.args {
				if args[j], err = st.eval(x); err != nil {
					return nil, err
				}
			}
			v, err = st.method(v, a.name, args, a.pos)
		case accIndex:
			var idx any
			if idx, err = st.eval(a.index); err != nil {
				return nil, err
			}
			v, err = st.index(v, idx, a.pos)
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) || err == errBreak || err == errStop {
				return nil, err
			}
			return nil, st.errorf(a.pos, "$%s.%s: %v", r.name, a.name, err)
		}
	}
	return v, nil
}

func (st *state) property(v any, name string) (any, error) {
	switch v := v.(type) {
	case *Map:
		x, _ := v.Get(name)
		return x, nil
	case Object:
		return v.Property(name)
	case string:
		if name == "empty" { // isEmpty(), through Velocity's is-getter rule
			return v == "", nil
		}
	case *List:
		if name == "empty" {
			return len(v.Items) == 0, nil
		}
	}
	return nil, nil
}

func (st *state) index(v, idx any, pos int) (any, error) {
	switch v := v.(type) {
	case *List:
		i, err := listIndex(v, idx)
		if err != nil {
			return nil, st.errorf(pos, "%v", err)
		}
		return v.Items[i], nil
	case *Map:
		k, err := st.str(idx, pos)
		if err != nil {
			return nil, err
		}
		x, _ := v.Get(k)
		return x, nil
	case Object:
		if k, ok := idx.(string); ok {
			return v.Property(k)
		}
	}
	return nil, nil
}

// listIndex resolves $list[i]: negative counts from the end (Velocity
// 1.7's ASTIndex); outside the list is an error, like Java's
// IndexOutOfBoundsException.
func listIndex(l *List, idx any) (int, error) {
	n, ok := idx.(int64)
	if !ok {
		return 0, fmt.Errorf("list index %v is not an integer", idx)
	}
	if n < 0 {
		n += int64(len(l.Items))
	}
	if n < 0 || n >= int64(len(l.Items)) {
		return 0, fmt.Errorf("index %v out of bounds for length %d", idx, len(l.Items))
	}
	return int(n), nil
}

func (st *state) eval(x expr) (any, error) {
	switch x := x.(type) {
	case *literal:
		return x.v, nil
	case *refExpr:
		return st.ref(x.ref, len(x.ref.chain))
	case *interpStr:
		saved := st.out
		st.out = nil
		err := st.render(x.nodes)
		s := string(st.out)
		st.out = saved
		return s, err
	case *listExpr:
		l := &List{Items: make([]any, len(x.items))}
		for i, it := range x.items {
			v, err := st.eval(it)
			if err != nil {
				return nil, err
			}
			l.Items[i] = v
		}
		return l, nil
	case *mapExpr:
		m := NewMap(len(x.keys))
		for i := range x.keys {
			k, err := st.eval(x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := st.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			ks, err := st.str(k, 0)
			if err != nil {
				return nil, err
			}
			m.Put(ks, v)
		}
		return m, nil
	case *rangeExpr:
		return st.rangeList(x)
	case *unary:
		v, err := st.eval(x.x)
		if err != nil {
			return nil, err
		}
		if x.op == "!" {
			return !truthy(v), nil
		}
		switch n := v.(type) {
		case int64:
			if n == math.MinInt64 {
				return -float64(n), nil
			}
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, nil
	case *binary:
		return st.binary(x)
	}
	return nil, fmt.Errorf("unknown expression %T", x)
}

// Call invokes a built-in method on a value as a template would
// ($map.keySet()), for hosts whose objects present a map or a list.
func Call(recv any, name string, args ...any) (any, error) {
	st := &state{lim: DefaultLimits}
	return st.method(recv, name, args, 0)
}
