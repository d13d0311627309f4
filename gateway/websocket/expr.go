package websocket

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// selectionExpr is a compiled route selection expression: literal text and
// JSON paths into the message body, concatenated (spec §8.1).
type selectionExpr struct{ parts []exprPart }

type exprPart struct {
	literal string
	path    []string // nil for a literal
}

var bodyPathRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

const selectionFix = "write `$request.body.<path>` (e.g. $request.body.action) or combine `${request.body.<path>}` with literals (e.g. ${request.body.service}/${request.body.action})"

// parseSelectionExpr accepts $request.body.a.b and templates such as
// ${request.body.service}/${request.body.action}.
func parseSelectionExpr(s string) (*selectionExpr, error) {
	if path, ok := strings.CutPrefix(s, "$request.body."); ok && !strings.Contains(s, "${") {
		if !bodyPathRE.MatchString(path) {
			return nil, fmt.Errorf("%q: %q is not a dotted JSON path; %s", s, path, selectionFix)
		}
		return &selectionExpr{parts: []exprPart{{path: strings.Split(path, ".")}}}, nil
	}
	e := &selectionExpr{}
	hasPath := false
	for rest := s; rest != ""; {
		i := strings.Index(rest, "${")
		lit := rest
		if i >= 0 {
			lit = rest[:i]
		}
		if strings.Contains(lit, "$") {
			return nil, fmt.Errorf("%q: literal text may not contain $; %s", s, selectionFix)
		}
		if lit != "" {
			e.parts = append(e.parts, exprPart{literal: lit})
		}
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: ${ is not closed by }; %s", s, selectionFix)
		}
		inner := rest[i+2 : i+j]
		path, ok := strings.CutPrefix(inner, "request.body.")
		if !ok || !bodyPathRE.MatchString(path) {
			return nil, fmt.Errorf("%q: ${%s} is not supported (WebSocket routes select on the message body only); %s", s, inner, selectionFix)
		}
		e.parts = append(e.parts, exprPart{path: strings.Split(path, ".")})
		hasPath = true
		rest = rest[i+j+1:]
	}
	if !hasPath {
		return nil, fmt.Errorf("%q selects nothing from the message; %s", s, selectionFix)
	}
	return e, nil
}

// eval evaluates the expression on a message. ok is false when the message
// is not JSON (it then goes to $default). A missing path yields "".
func (e *selectionExpr) eval(msg []byte) (key string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber() // stringify numbers as written: 1.50 stays "1.50"
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", false // trailing data: not one JSON value
	}
	if len(e.parts) == 1 && e.parts[0].path != nil {
		return stringify(lookup(doc, e.parts[0].path)), true
	}
	var b strings.Builder
	for _, p := range e.parts {
		if p.path == nil {
			b.WriteString(p.literal)
		} else {
			b.WriteString(stringify(lookup(doc, p.path)))
		}
	}
	return b.String(), true
}

func lookup(doc any, path []string) any {
	for _, name := range path {
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = obj[name]
	}
	return doc
}

func stringify(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	default: // object or array: its compact JSON
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// paramMapping is one compiled requestParameters entry.
type paramMapping struct {
	toQuery bool   // integration.request.querystring.<name>, else .header.<name>
	name    string // header or query parameter name
	source  paramSource
	key     string // context variable, stage variable, header or query name, or the literal
}

type paramSource int

const (
	fromContext paramSource = iota
	fromStageVariable
	fromHeader // of the handshake request
	fromQuery  // of the handshake request
	fromLiteral
)

// contextVariables are the $context values an integration can be given
// (spec §8.4, DG "WebSocket API mapping").
var contextVariables = []string{
	"apiId", "connectedAt", "connectionId", "domainName", "eventType", "extendedRequestId",
	"identity.sourceIp", "identity.userAgent", "messageDirection", "messageId", "requestId",
	"requestTimeEpoch", "routeKey", "stage",
}

func compileParam(target, source string) (paramMapping, error) {
	var m paramMapping
	if name, ok := strings.CutPrefix(target, "integration.request.header."); ok && headerNameRE.MatchString(name) {
		m.name = name
	} else if name, ok := strings.CutPrefix(target, "integration.request.querystring."); ok && name != "" {
		m.toQuery, m.name = true, name
	} else {
		return m, fmt.Errorf("%q is not a mapping target; map to integration.request.header.<name> or integration.request.querystring.<name>", target)
	}
	switch {
	case len(source) >= 2 && source[0] == '\'' && source[len(source)-1] == '\'':
		m.source, m.key = fromLiteral, source[1:len(source)-1]
	case strings.HasPrefix(source, "context."):
		m.source, m.key = fromContext, strings.TrimPrefix(source, "context.")
		if !slices.Contains(contextVariables, m.key) {
			return m, fmt.Errorf("%q is not a context variable the emulator provides; use one of context.%s", source, strings.Join(contextVariables, ", context."))
		}
	case strings.HasPrefix(source, "stageVariables."):
		m.source, m.key = fromStageVariable, strings.TrimPrefix(source, "stageVariables.")
		if !stageVarNameRE.MatchString(m.key) {
			return m, fmt.Errorf("%q: stage variable names are 1–64 letters, digits or _", source)
		}
	case strings.HasPrefix(source, "route.request.header.") && len(source) > len("route.request.header."):
		m.source, m.key = fromHeader, strings.TrimPrefix(source, "route.request.header.")
	case strings.HasPrefix(source, "route.request.querystring.") && len(source) > len("route.request.querystring."):
		m.source, m.key = fromQuery, strings.TrimPrefix(source, "route.request.querystring.")
	default:
		return m, fmt.Errorf("%q is not a mapping source; use context.<name>, stageVariables.<name>, route.request.header.<name>, route.request.querystring.<name> or a 'literal'", source)
	}
	return m, nil
}
