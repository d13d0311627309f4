package vtl

// #foreach and $foreach.

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
		items = c.values() // Velocity iterates a map's values
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
