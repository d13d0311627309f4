package vtl

// Template nodes.
type (
	node any

	textNode struct{ text string }

	// refNode renders a reference; null renders as "" ($x and $!x alike).
	refNode struct{ ref *reference }

	setNode struct {
		lhs *reference
		rhs expr
		pos int
	}

	ifNode struct {
		conds  []expr   // #if, then each #elseif
		blocks [][]node // one per cond
		els    []node   // #else, or nil
	}

	foreachNode struct {
		name string // loop variable, without '$'
		over expr
		body []node
		pos  int
	}

	breakNode struct{}
	stopNode  struct{}
)

// reference is $name followed by properties, method calls and indexes.
type reference struct {
	name  string
	chain []accessor
	pos   int // offset of '$' in the source
}

type accessorKind uint8

const (
	accProperty accessorKind = iota
	accMethod
	accIndex
)

type accessor struct {
	kind  accessorKind
	name  string // property or method
	args  []expr // method arguments
	index expr
	pos   int
}

// Expression nodes.
type (
	expr any

	literal   struct{ v any } // string, int64, float64, bool or nil
	interpStr struct{ nodes []node }
	refExpr   struct{ ref *reference }
	listExpr  struct{ items []expr }
	rangeExpr struct {
		from, to expr
		pos      int
	}
	mapExpr struct{ keys, vals []expr }
	unary   struct {
		op  string // "!" or "-"
		x   expr
		pos int
	}
	binary struct {
		op   string // canonical: || && == != < > <= >= + - * / %
		l, r expr
		pos  int
	}
)
