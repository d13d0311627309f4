package vtl

// References: $name, $!name, ${name}, $!{name} and their chains.

// reference parses $name, $!name, ${name} or $!{name} and what follows
// (.property, .method(args), [index]) at p.pos. ok is false, with p.pos
// unchanged, if no reference starts there.
func (p *parser) reference() (*reference, bool, error) {
	start := p.pos
	i := start + 1
	if i < len(p.src) && p.src[i] == '!' {
		i++
	}
	braced := i < len(p.src) && p.src[i] == '{'
	if braced {
		i++
	}
	if i >= len(p.src) || !(isLetter(p.src[i]) || p.src[i] == '_') {
		return nil, false, nil
	}
	j := i + 1
	for j < len(p.src) && isIdentChar(p.src[j]) {
		j++
	}
	r := &reference{name: p.src[i:j], pos: p.base + start}
	p.pos = j
	if err := p.enter(start); err != nil {
		return nil, false, err
	}
	defer func() { p.depth-- }()
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' && p.pos+1 < len(p.src) && isLetter(p.src[p.pos+1]) {
			k := p.pos + 2
			for k < len(p.src) && isIdentChar(p.src[k]) {
				k++
			}
			acc := accessor{kind: accProperty, name: p.src[p.pos+1 : k], pos: p.base + p.pos}
			p.pos = k
			if p.pos < len(p.src) && p.src[p.pos] == '(' {
				p.pos++
				args, err := p.exprList(')')
				if err != nil {
					return nil, false, err
				}
				acc.kind, acc.args = accMethod, args
			}
			r.chain = append(r.chain, acc)
			continue
		}
		if c == '[' {
			at := p.pos
			p.pos++
			x, err := p.expr()
			if err != nil {
				return nil, false, err
			}
			p.space()
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return nil, false, p.errorf(p.pos, "expected ] to close the index")
			}
			p.pos++
			r.chain = append(r.chain, accessor{kind: accIndex, index: x, pos: p.base + at})
			continue
		}
		break
	}
	if braced {
		if p.pos >= len(p.src) || p.src[p.pos] != '}' {
			return nil, false, p.errorf(start, "${ is not closed with }")
		}
		p.pos++
	}
	return r, true, nil
}

func isLetter(c byte) bool    { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }
func isSpace(c byte) bool     { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func (p *parser) space() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}
func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}
