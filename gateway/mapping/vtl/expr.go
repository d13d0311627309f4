package vtl

import (
	"strconv"
	"strings"
)

// Expressions (inside directives, method arguments and indexes), lowest
// precedence first:
//
//	or:    and { ("||" | "or") and }
//	and:   eq { ("&&" | "and") eq }
//	eq:    rel { ("==" | "eq" | "!=" | "ne") rel }
//	rel:   add { ("<" | "lt" | "<=" | "le" | ">" | "gt" | ">=" | "ge") add }
//	add:   mul { ("+" | "-") mul }
//	mul:   unary { ("*" | "/" | "%") unary }
//	unary: ("!" | "not" | "-") unary | primary

var wordOps = map[string]string{"or": "||", "and": "&&", "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "not": "!"}

// word consumes the keyword w if it stands at p.pos as a whole word.
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.src[p.pos:], w) {
		return false
	}
	if end := p.pos + len(w); end < len(p.src) && (isLetter(p.src[end]) || isDigit(p.src[end]) || p.src[end] == '_') {
		return false
	}
	p.pos += len(w)
	return true
}

// op consumes one of ops (symbols, or word forms of operators) after
// whitespace and returns its canonical symbol, or "".
func (p *parser) op(ops ...string) string {
	p.space()
	for _, o := range ops {
		if isLetter(o[0]) {
			if p.word(o) {
				return wordOps[o]
			}
			continue
		}
		if strings.HasPrefix(p.src[p.pos:], o) {
			// "<" must not take the start of "<=", "!" of "!=", "=" of "==".
			if next := p.pos + len(o); len(o) == 1 && next < len(p.src) && p.src[next] == '=' && strings.ContainsRune("<>!=", rune(o[0])) {
				continue
			}
			p.pos += len(o)
			return o
		}
	}
	return ""
}

func (p *parser) expr() (expr, error) {
	if err := p.enter(p.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.binaryLevel(0)
}

// levels lists each precedence level's operators, lowest first.
var levels = [][]string{
	{"||", "or"},
	{"&&", "and"},
	{"==", "!=", "eq", "ne"},
	{"<=", ">=", "<", ">", "le", "ge", "lt", "gt"},
	{"+", "-"},
	{"*", "/", "%"},
}

func (p *parser) binaryLevel(level int) (expr, error) {
	if level == len(levels) {
		return p.unary()
	}
	l, err := p.binaryLevel(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		at := p.pos
		o := p.op(levels[level]...)
		if o == "" {
			p.pos = at
			return l, nil
		}
		r, err := p.binaryLevel(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binary{op: o, l: l, r: r, pos: p.base + at}
	}
}

func (p *parser) unary() (expr, error) {
	at := p.pos
	if o := p.op("!", "not", "-"); o != "" {
		if err := p.enter(at); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if lit, ok := x.(*literal); ok && o == "-" {
			switch v := lit.v.(type) {
			case int64:
				return &literal{v: -v}, nil
			case float64:
				return &literal{v: -v}, nil
			}
		}
		return &unary{op: o, x: x, pos: p.base + at}, nil
	}
	p.pos = at
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	p.space()
	at := p.pos
	switch c := p.peek(); {
	case c == '$':
		ref, ok, err := p.reference()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errorf(at, "expected a reference after $")
		}
		return &refExpr{ref: ref}, nil
	case c == '"' || c == '\'':
		return p.stringLiteral()
	case isDigit(c):
		return p.number()
	case c == '(':
		p.pos++
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.peek() != ')' {
			return nil, p.errorf(p.pos, "expected )")
		}
		p.pos++
		return x, nil
	case c == '[':
		p.pos++
		p.space()
		if p.peek() == ']' {
			p.pos++
			return &listExpr{}, nil
		}
		first, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if strings.HasPrefix(p.src[p.pos:], "..") {
			p.pos += 2
			to, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.peek() != ']' {
				return nil, p.errorf(p.pos, "expected ] to close the range")
			}
			p.pos++
			return &rangeExpr{from: first, to: to, pos: p.base + at}, nil
		}
		items := []expr{first}
		if p.peek() == ',' {
			p.pos++
			rest, err := p.exprList(']')
			if err != nil {
				return nil, err
			}
			items = append(items, rest...)
		} else if p.peek() == ']' {
			p.pos++
		} else {
			return nil, p.errorf(p.pos, "expected , or ] in the list")
		}
		return &listExpr{items: items}, nil
	case c == '{':
		p.pos++
		m := &mapExpr{}
		p.space()
		if p.peek() == '}' {
			p.pos++
			return m, nil
		}
		for {
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.peek() != ':' {
				return nil, p.errorf(p.pos, "expected : after the map key")
			}
			p.pos++
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			m.keys, m.vals = append(m.keys, k), append(m.vals, v)
			p.space()
			switch p.peek() {
			case ',':
				p.pos++
				continue
			case '}':
				p.pos++
				return m, nil
			}
			return nil, p.errorf(p.pos, "expected , or } in the map")
		}
	case p.word("true"):
		return &literal{v: true}, nil
	case p.word("false"):
		return &literal{v: false}, nil
	case p.word("null"):
		return &literal{v: nil}, nil
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf(at, "unexpected end of the template in an expression")
	}
	return nil, p.errorf(at, "unexpected %q in an expression", p.src[at:at+1])
}

// exprList parses comma-separated expressions up to close (which may come
// at once: no arguments).
func (p *parser) exprList(close byte) ([]expr, error) {
	p.space()
	if p.peek() == close {
		p.pos++
		return nil, nil
	}
	var list []expr
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, x)
		p.space()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case close:
			p.pos++
			return list, nil
		}
		return nil, p.errorf(p.pos, "expected , or %c", close)
	}
}

func (p *parser) number() (expr, error) {
	start := p.pos
	for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
		p.pos++
	}
	float := false
	if p.pos+1 < len(p.src) && p.src[p.pos] == '.' && isDigit(p.src[p.pos+1]) {
		float = true
		p.pos++
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		i := p.pos + 1
		if i < len(p.src) && (p.src[i] == '+' || p.src[i] == '-') {
			i++
		}
		if i < len(p.src) && isDigit(p.src[i]) {
			float = true
			for i < len(p.src) && isDigit(p.src[i]) {
				i++
			}
			p.pos = i
		}
	}
	text := p.src[start:p.pos]
	if !float {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &literal{v: n}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.errorf(start, "bad number %q", text)
	}
	return &literal{v: f}, nil
}

// stringLiteral parses '...' (literal; ” is a quote) or "..." (a doubled
// "" is a quote; a backslash keeps the next character, both kept as
// written, since Velocity 1.7 does not unescape string literals). A
// double-quoted string holding $ or # is a template of its own, rendered
// where it is used (interpolation).
func (p *parser) stringLiteral() (expr, error) {
	start := p.pos
	q := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.errorf(start, "string literal is not closed with %c", q)
		}
		c := p.src[p.pos]
		switch {
		case c == q && p.pos+1 < len(p.src) && p.src[p.pos+1] == q:
			b.WriteByte(q)
			p.pos += 2
			continue
		case c == q:
			p.pos++
		case c == '\\' && q == '"' && p.pos+1 < len(p.src):
			b.WriteString(p.src[p.pos : p.pos+2])
			p.pos += 2
			continue
		default:
			b.WriteByte(c)
			p.pos++
			continue
		}
		break
	}
	s := b.String()
	if q == '\'' || !strings.ContainsAny(s, "$#") {
		return &literal{v: s}, nil
	}
	sub := &parser{src: s, base: p.base + start + 1, depth: p.depth}
	if err := sub.enter(0); err != nil {
		return nil, err
	}
	nodes, end, err := sub.block()
	if err != nil {
		return nil, err
	}
	if end.kind != "" {
		return nil, sub.errorf(end.pos, "#%s without a matching #if or #foreach", end.kind)
	}
	return &interpStr{nodes: nodes}, nil
}
