package vtl

// Operators and ranges: Velocity 1.7 arithmetic, comparison and [a..b].

import (
	"cmp"
	"math"
	"strconv"
)

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
				return compare(x.op, cmp.Compare(ia, ib)), nil
			}
		}
		return compare(x.op, cmp.Compare(a, b)), nil
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
