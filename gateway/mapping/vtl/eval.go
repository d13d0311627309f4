package vtl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
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

func (st *state) foreach(n *foreachNode) error {
	over, err := st.eval(n.over)
	if err != nil {
		return err
	}
	var items []any
	switch c := over.(type) {
	case *List:
		items = c.Items
	case *Map:
		items = c.vals // Velocity iterates a map's values
	default:
		return nil // null, or nothing to iterate: no iterations, as in Velocity
	}
	if len(items) == 0 {
		return nil
	}
	// The loop variable, $foreach and $velocityCount are restored after the
	// loop, as Velocity 1.7 does.
	names := [...]string{n.name, "foreach", "velocityCount", "velocityHasNext"}
	var saved [len(names)]binding
	var had [len(names)]bool
	for i, name := range names {
		saved[i].v, had[i] = st.local(name)
	}
	loop := &Loop{}
	if parent, ok := saved[1].v.(*Loop); ok && had[1] {
		loop.parent = parent
	}
	loop.size = len(items)
	st.assign("foreach", loop)
	for i, it := range items {
		if i >= st.lim.LoopIterations {
			err = st.errorf(n.pos, "#foreach ran more than %d iterations (API Gateway's limit)", st.lim.LoopIterations)
			break
		}
		st.iterations++
		if st.iterations > st.lim.TotalIterations {
			err = st.errorf(n.pos, "template ran more than %d #foreach iterations in all", st.lim.TotalIterations)
			break
		}
		loop.index = i
		st.assign(n.name, it)
		st.assign("foreach", loop)
		st.assign("velocityCount", int64(i+1))
		st.assign("velocityHasNext", i < len(items)-1)
		if err = st.render(n.body); err != nil {
			if err == errBreak {
				err = nil
			}
			break
		}
	}
	for i, name := range names {
		if had[i] {
			st.assign(name, saved[i].v)
		} else {
			st.unset(name)
		}
	}
	return err
}

// Loop is $foreach: the state of the innermost #foreach.
type Loop struct {
	index, size int
	parent      *Loop
}

// Property implements Object.
func (l *Loop) Property(name string) (any, error) {
	switch name {
	case "index":
		return int64(l.index), nil
	case "count":
		return int64(l.index + 1), nil
	case "hasNext":
		return l.index < l.size-1, nil
	case "first":
		return l.index == 0, nil
	case "last":
		return l.index == l.size-1, nil
	case "parent":
		if l.parent == nil {
			return nil, nil
		}
		return l.parent, nil
	}
	return nil, nil
}

// Method implements Object: the getters behind the properties.
func (l *Loop) Method(name string, args []any) (any, error) {
	if len(args) > 0 {
		return nil, nil
	}
	switch name {
	case "getIndex":
		return l.Property("index")
	case "getCount":
		return l.Property("count")
	case "hasNext", "getHasNext":
		return l.Property("hasNext")
	case "isFirst", "getFirst":
		return l.Property("first")
	case "isLast", "getLast":
		return l.Property("last")
	case "getParent":
		return l.Property("parent")
	}
	return nil, nil
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

func (st *state) rangeList(x *rangeExpr) (any, error) {
	from, err := st.eval(x.from)
	if err != nil {
		return nil, err
	}
	to, err := st.eval(x.to)
	if err != nil {
		return nil, err
	}
	a, ok1 := rangeBound(from)
	b, ok2 := rangeBound(to)
	if !ok1 || !ok2 {
		return nil, nil // Velocity logs and yields null
	}
	n := b - a
	step := int64(1)
	if n < 0 {
		n, step = -n, -1
	}
	if n >= int64(st.lim.TotalIterations) {
		return nil, st.errorf(x.pos, "range [%d..%d] has more than %d elements", a, b, st.lim.TotalIterations)
	}
	l := &List{Items: make([]any, 0, n+1)}
	for i := a; ; i += step {
		l.Items = append(l.Items, i)
		if i == b {
			break
		}
	}
	return l, nil
}

func rangeBound(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case string: // Velocity 1.7 converts a numeric string bound
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func (st *state) binary(x *binary) (any, error) {
	l, err := st.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "||":
		if truthy(l) {
			return true, nil
		}
		r, err := st.eval(x.r)
		return truthy(r), err
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		r, err := st.eval(x.r)
		return truthy(r), err
	}
	r, err := st.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "==", "!=":
		eq, err := equal(l, r, 0)
		if err != nil {
			return nil, st.errorf(x.pos, "%v", err)
		}
		return eq == (x.op == "=="), nil
	case "<", "<=", ">", ">=":
		// Velocity 1.7 compares numbers only; anything else is false.
		a, ok1 := toFloat(l)
		b, ok2 := toFloat(r)
		if !ok1 || !ok2 {
			return false, nil
		}
		if ia, ok := l.(int64); ok {
			if ib, ok := r.(int64); ok {
				return compare(x.op, cmpInt(ia, ib)), nil
			}
		}
		return compare(x.op, cmpFloat(a, b)), nil
	case "+":
		if _, ok := l.(string); ok || isString(r) {
			if l == nil || r == nil {
				return nil, nil
			}
			// Velocity concatenates when either side is a string
			// (ASTAddNode: "shall we try for strings?").
			ls, err := st.str(l, x.pos)
			if err != nil {
				return nil, err
			}
			rs, err := st.str(r, x.pos)
			if err != nil {
				return nil, err
			}
			if err := st.charge(len(ls)+len(rs), x.pos); err != nil {
				return nil, err
			}
			return ls + rs, nil
		}
	}
	return arith(x.op, l, r), nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// arith is Velocity's arithmetic: integers stay integers (integer
// division), a decimal on either side makes a decimal, null or a
// non-number on either side, or a division by zero, gives null.
func arith(op string, l, r any) any {
	if a, ok := l.(int64); ok {
		if b, ok := r.(int64); ok {
			switch op {
			case "+":
				if s := a + b; (s > a) == (b > 0) {
					return s
				}
			case "-":
				if d := a - b; (d < a) == (b > 0) {
					return d
				}
			case "*":
				if a == 0 || b == 0 {
					return int64(0)
				}
				if p := a * b; p/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64) {
					return p
				}
			case "/":
				if b == 0 {
					return nil
				}
				if !(a == math.MinInt64 && b == -1) {
					return a / b
				}
			case "%":
				if b == 0 {
					return nil
				}
				if b == -1 {
					return int64(0)
				}
				return a % b
			}
			// overflow: continue in floating point
		}
	}
	a, ok1 := toFloat(l)
	b, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil
	}
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			return nil
		}
		return a / b
	case "%":
		if b == 0 {
			return nil
		}
		return math.Mod(a, b)
	}
	return nil
}

// Call invokes a built-in method on a value as a template would
// ($map.keySet()), for hosts whose objects present a map or a list.
func Call(recv any, name string, args ...any) (any, error) {
	st := &state{lim: DefaultLimits}
	return st.method(recv, name, args, 0)
}
