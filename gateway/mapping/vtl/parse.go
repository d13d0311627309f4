package vtl

import (
	"fmt"
	"strings"
)

// Error is a template error: a syntax error found by Parse, or a failure
// while rendering (a method that failed, the #foreach limit...). API
// Gateway answers either with a 500 (API_CONFIGURATION_ERROR).
type Error struct {
	Line, Col int // 1-based position in the template
	Msg       string
	offset    int
}

func (e *Error) Error() string {
	return fmt.Sprintf("mapping template line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// locate fills in Line and Col from the error's offset in src.
func (e *Error) locate(src string) *Error {
	off := min(max(e.offset, 0), len(src))
	e.Line = 1 + strings.Count(src[:off], "\n")
	e.Col = 1 + off - (strings.LastIndexByte(src[:off], '\n') + 1)
	return e
}

// maxNesting bounds how deeply directives, expressions and interpolated
// strings may nest, so a hostile template cannot drive the parser's
// recursion arbitrarily deep.
const maxNesting = 100

// Template is a parsed template. It is immutable and safe for concurrent
// use: parse once, render many times.
type Template struct {
	src   string
	nodes []node
}

// Parse parses src. A syntax error is an *Error naming line and column.
func Parse(src string) (*Template, error) {
	p := &parser{src: src}
	nodes, end, err := p.block()
	if err == nil && end.kind != "" {
		err = p.errorf(end.pos, "#%s without a matching #if or #foreach", end.kind)
	}
	if err != nil {
		return nil, err.(*Error).locate(src)
	}
	return &Template{src: src, nodes: nodes}, nil
}

type parser struct {
	src   string
	base  int // offset of src in the template (interpolated strings are parsed on their own)
	pos   int
	depth int
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &Error{offset: p.base + pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf(pos, "nested more than %d levels deep", maxNesting)
	}
	return nil
}

// blockEnd is what ended a block: EOF (kind ""), #end, #else or #elseif.
type blockEnd struct {
	kind string
	cond expr // #elseif's condition
	pos  int
}

// block parses text, references and directives up to EOF or a directive
// that closes a block.
func (p *parser) block() ([]node, blockEnd, error) {
	var nodes []node
	var text []byte
	flush := func() {
		if len(text) > 0 {
			nodes = append(nodes, &textNode{text: string(text)})
			text = text[:0]
		}
	}
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			// Velocity 1.7 escaping: n backslashes before a reference or a
			// directive render n/2 backslashes, and an odd n makes the
			// reference or directive literal text. Elsewhere backslashes are
			// plain text.
			next := p.pos
			for next < len(p.src) && p.src[next] == '\\' {
				next++
			}
			n := next - p.pos
			if next < len(p.src) && p.src[next] == '$' {
				at := p.pos
				p.pos = next
				ref, ok, err := p.reference()
				if err != nil {
					return nil, blockEnd{}, err
				}
				if ok {
					text = append(text, p.src[at:at+n/2]...)
					if n%2 == 1 {
						text = append(text, p.src[next:p.pos]...)
					} else {
						flush()
						nodes = append(nodes, &refNode{ref: ref})
					}
					continue
				}
				p.pos = at
			} else if next < len(p.src) && p.src[next] == '#' {
				if word, end := p.directiveWord(next); isDirective(word) {
					text = append(text, p.src[p.pos:p.pos+n/2]...)
					if n%2 == 1 {
						text = append(text, p.src[next:end]...)
						p.pos = end
					} else {
						p.pos = next
					}
					continue
				}
			}
			text = append(text, p.src[p.pos:next]...)
			p.pos = next
		case '$':
			ref, ok, err := p.reference()
			if err != nil {
				return nil, blockEnd{}, err
			}
			if !ok {
				text = append(text, '$')
				p.pos++
				continue
			}
			flush()
			nodes = append(nodes, &refNode{ref: ref})
		case '#':
			n, end, err := p.hash(&text)
			if err != nil {
				return nil, blockEnd{}, err
			}
			if end != nil {
				flush()
				return nodes, *end, nil
			}
			if n != nil {
				flush()
				nodes = append(nodes, n)
			}
		default:
			j := strings.IndexAny(p.src[p.pos:], `\$#`)
			if j < 0 {
				j = len(p.src) - p.pos
			}
			text = append(text, p.src[p.pos:p.pos+j]...)
			p.pos += j
		}
	}
	flush()
	return nodes, blockEnd{}, nil
}

var directives = map[string]bool{"set": true, "if": true, "elseif": true, "else": true, "end": true, "foreach": true, "break": true, "stop": true,
	"macro": true, "parse": true, "include": true, "define": true, "evaluate": true}

func isDirective(word string) bool { return directives[word] }

// directiveWord reads the name after the '#' at at: #name or #{name}.
// It returns "" if there is none.
func (p *parser) directiveWord(at int) (string, int) {
	i := at + 1
	braced := i < len(p.src) && p.src[i] == '{'
	if braced {
		i++
	}
	if i >= len(p.src) || !(isLetter(p.src[i]) || p.src[i] == '_' || p.src[i] == '@') {
		return "", at + 1
	}
	j := i + 1
	for j < len(p.src) && (isLetter(p.src[j]) || isDigit(p.src[j]) || p.src[j] == '_' || p.src[j] == '@') {
		j++
	}
	if braced {
		if j >= len(p.src) || p.src[j] != '}' {
			return "", at + 1
		}
		return p.src[i:j], j + 1
	}
	return p.src[i:j], j
}

// hash handles a '#' at p.pos: a comment, an unparsed block, a directive,
// or plain text. It returns the node to add, or the end of the block.
func (p *parser) hash(text *[]byte) (node, *blockEnd, error) {
	start := p.pos
	rest := p.src[start+1:]
	switch {
	case strings.HasPrefix(rest, "#"): // ## line comment, up to and including the newline
		i := strings.IndexAny(rest, "\r\n")
		if i < 0 {
			p.pos = len(p.src)
		} else {
			p.pos = start + 1 + i + 1
			if rest[i] == '\r' && i+1 < len(rest) && rest[i+1] == '\n' {
				p.pos++
			}
		}
		return nil, nil, nil
	case strings.HasPrefix(rest, "*"): // #* block comment *#
		i := strings.Index(rest[1:], "*#")
		if i < 0 {
			return nil, nil, p.errorf(start, "#* comment is not closed with *#")
		}
		p.pos = start + 2 + i + 2
		return nil, nil, nil
	case strings.HasPrefix(rest, "[["): // #[[ unparsed content ]]#
		i := strings.Index(rest[2:], "]]#")
		if i < 0 {
			return nil, nil, p.errorf(start, "#[[ block is not closed with ]]#")
		}
		*text = append(*text, rest[2:2+i]...)
		p.pos = start + 3 + i + 3
		return nil, nil, nil
	}
	word, end := p.directiveWord(start)
	switch word {
	case "set":
		// #set eats the spaces and tabs before it (Velocity 1.7's
		// SET_DIRECTIVE token), so an indented #set leaves no trace.
		*text = []byte(strings.TrimRight(string(*text), " \t"))
		p.pos = end
		for p.pos < len(p.src) && p.src[p.pos] == ' ' {
			p.pos++
		}
		if p.pos >= len(p.src) || p.src[p.pos] != '(' {
			return nil, nil, p.errorf(start, "#set must be followed by ($name = value)")
		}
		p.pos++
		n, err := p.set(start)
		return n, nil, err
	case "if":
		cond, err := p.condition(start, end, "#if")
		if err != nil {
			return nil, nil, err
		}
		n, err := p.ifBlock(start, cond)
		return n, nil, err
	case "elseif":
		cond, err := p.condition(start, end, "#elseif")
		return nil, &blockEnd{kind: word, cond: cond, pos: start}, err
	case "else", "end":
		p.pos = end
		p.gobbleNewline()
		return nil, &blockEnd{kind: word, pos: start}, nil
	case "foreach":
		n, err := p.foreach(start, end)
		return n, nil, err
	case "break":
		p.pos = end
		if err := p.optionalScope(); err != nil {
			return nil, nil, err
		}
		return &breakNode{}, nil, nil
	case "stop":
		p.pos = end
		return &stopNode{}, nil, nil
	case "macro", "parse", "include", "define", "evaluate":
		return nil, nil, p.errorf(start, "#%s is not supported in API Gateway mapping templates", word)
	}
	// Not a directive ("#ffffff", "#1"): plain text, as in Velocity.
	*text = append(*text, p.src[start:end]...)
	p.pos = end
	return nil, nil, nil
}

// gobbleNewline eats spaces and tabs followed by a newline, as Velocity
// 1.7 does after a directive's closing parenthesis, #else and #end.
func (p *parser) gobbleNewline() {
	i := p.pos
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	switch {
	case strings.HasPrefix(p.src[i:], "\r\n"):
		p.pos = i + 2
	case i < len(p.src) && (p.src[i] == '\n' || p.src[i] == '\r'):
		p.pos = i + 1
	}
}

// openParen skips whitespace after a directive name and its '('.
func (p *parser) openParen(start, end int, name string) error {
	p.pos = end
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return p.errorf(start, "%s must be followed by (", name)
	}
	p.pos++
	return nil
}

func (p *parser) closeParen(start int, name string) error {
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != ')' {
		return p.errorf(p.pos, "%s at line %s: expected )", name, p.lineOf(start))
	}
	p.pos++
	p.gobbleNewline()
	return nil
}

func (p *parser) lineOf(pos int) string {
	return fmt.Sprint(1 + strings.Count(p.src[:min(pos, len(p.src))], "\n"))
}

func (p *parser) condition(start, end int, name string) (expr, error) {
	if err := p.openParen(start, end, name); err != nil {
		return nil, err
	}
	cond, err := p.expr()
	if err != nil {
		return nil, err
	}
	return cond, p.closeParen(start, name)
}

func (p *parser) set(start int) (node, error) {
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != '$' {
		return nil, p.errorf(p.pos, "#set needs a reference to assign, as in #set($name = value)")
	}
	at := p.pos
	lhs, ok, err := p.reference()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errorf(at, "#set needs a reference to assign, as in #set($name = value)")
	}
	if n := len(lhs.chain); n > 0 && lhs.chain[n-1].kind == accMethod {
		return nil, p.errorf(at, "#set cannot assign to a method call")
	}
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != '=' || strings.HasPrefix(p.src[p.pos:], "==") {
		return nil, p.errorf(p.pos, "#set: expected = after the reference")
	}
	p.pos++
	rhs, err := p.expr()
	if err != nil {
		return nil, err
	}
	return &setNode{lhs: lhs, rhs: rhs, pos: p.base + start}, p.closeParen(start, "#set")
}

func (p *parser) ifBlock(start int, cond expr) (node, error) {
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &ifNode{conds: []expr{cond}}
	for {
		body, end, err := p.block()
		if err != nil {
			return nil, err
		}
		switch end.kind {
		case "":
			return nil, p.errorf(start, "#if is not closed with #end")
		case "elseif":
			n.blocks = append(n.blocks, body)
			n.conds = append(n.conds, end.cond)
			continue
		case "else":
			n.blocks = append(n.blocks, body)
			els, end2, err := p.block()
			if err != nil {
				return nil, err
			}
			switch end2.kind {
			case "":
				return nil, p.errorf(start, "#if is not closed with #end")
			case "else", "elseif":
				return nil, p.errorf(end2.pos, "#%s after #else", end2.kind)
			}
			n.els = els
			return n, nil
		case "end":
			n.blocks = append(n.blocks, body)
			return n, nil
		}
	}
}

func (p *parser) foreach(start, end int) (node, error) {
	if err := p.openParen(start, end, "#foreach"); err != nil {
		return nil, err
	}
	p.space()
	at := p.pos
	v, ok, err := p.reference()
	if err != nil {
		return nil, err
	}
	if !ok || len(v.chain) > 0 {
		return nil, p.errorf(at, "#foreach needs a loop variable, as in #foreach($item in $list)")
	}
	p.space()
	if !p.word("in") {
		return nil, p.errorf(p.pos, "#foreach: expected 'in' after $%s", v.name)
	}
	over, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(start, "#foreach"); err != nil {
		return nil, err
	}
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	body, bend, err := p.block()
	if err != nil {
		return nil, err
	}
	switch bend.kind {
	case "":
		return nil, p.errorf(start, "#foreach is not closed with #end")
	case "else", "elseif":
		return nil, p.errorf(bend.pos, "#%s without a matching #if", bend.kind)
	}
	return &foreachNode{name: v.name, over: over, body: body, pos: p.base + start}, nil
}

// optionalScope skips #break's optional argument, #break($foreach).
func (p *parser) optionalScope() error {
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil
	}
	start := p.pos
	p.pos++
	p.space()
	if _, ok, err := p.reference(); err != nil || !ok {
		if err == nil {
			err = p.errorf(start, "#break takes a reference, as in #break($foreach)")
		}
		return err
	}
	return p.closeParen(start, "#break")
}
