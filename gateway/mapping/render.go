package mapping

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Render renders a mapping template (VTL, package vtl) against the
// request: $input, $util, $context (with the request and response
// overrides, collected in e.Overrides) and $stageVariables. An error (a
// syntax error, a failed method, the #foreach limit, a template over
// restapi.MaxTemplateBytes) means API Gateway's 500: the caller answers
// API_CONFIGURATION_ERROR. Templates are parsed once and cached.
func (e *Env) Render(tmpl string) (string, error) {
	if len(tmpl) > restapi.MaxTemplateBytes {
		return "", fmt.Errorf("mapping template is %d bytes; API Gateway's limit is %d", len(tmpl), restapi.MaxTemplateBytes)
	}
	if !strings.ContainsAny(tmpl, "$#") {
		return tmpl, nil // plain text: nothing to parse (a backslash only escapes $ and #)
	}
	t, err := compile(tmpl)
	if err != nil {
		return "", err
	}
	g := &globals{env: e}
	g.input.g, g.context.g = g, g
	return t.Render(g, vtl.DefaultLimits)
}

// compiled caches parsed templates by their text. Templates come from API
// definitions, so the set is small; compiledBytes bounds it anyway (a
// template past the bound is parsed on every use).
var (
	compiled      sync.Map // template text -> *parsed
	compiledMu    sync.Mutex
	compiledBytes int
)

const compiledMaxBytes = 32 << 20

type parsed struct {
	t   *vtl.Template
	err error
}

func compile(tmpl string) (*vtl.Template, error) {
	if p, ok := compiled.Load(tmpl); ok {
		return p.(*parsed).t, p.(*parsed).err
	}
	t, err := vtl.Parse(tmpl)
	compiledMu.Lock()
	if compiledBytes+len(tmpl) <= compiledMaxBytes {
		if _, loaded := compiled.LoadOrStore(tmpl, &parsed{t, err}); !loaded {
			compiledBytes += len(tmpl)
		}
	}
	compiledMu.Unlock()
	return t, err
}

// globals are one render's variables. The values built from the request
// (the parsed body, $input.params(), $stageVariables) are built on first
// use and kept for the rest of the render.
type globals struct {
	env       *Env
	input     inputObject
	context   contextObject
	stageVars *vtl.Map
}

func (g *globals) Global(name string) any {
	switch name {
	case "input":
		return &g.input
	case "context":
		return &g.context
	case "util":
		return utilObject{}
	case "stageVariables":
		if g.stageVars == nil {
			g.stageVars = sortedMap(g.env.Ctx.StageVariables)
		}
		return g.stageVars
	}
	return nil
}

// sortedMap turns a Go map into a template map in key order (a Go map has
// none; sorting makes renders deterministic).
func sortedMap(m map[string]string) *vtl.Map {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := vtl.NewMap(len(keys))
	for _, k := range keys {
		out.Put(k, m[k])
	}
	return out
}

// inputObject is $input: the payload (the request body in a request
// template, the integration's response body in a response template) and
// the method request parameters.
type inputObject struct {
	g       *globals
	root    any // the payload parsed by path/json
	parsed  bool
	params  *vtl.Map
	payload string
	hasBody bool
}

func (in *inputObject) body() string {
	if !in.hasBody {
		in.hasBody = true
		in.payload = string(in.g.env.Ctx.Body)
		if in.payload == "" {
			// OBS (LocalStack PR #12413, validated against AWS): "API
			// Gateway will replace an empty body with {} when using
			// $input.body".
			in.payload = "{}"
		}
	}
	return in.payload
}

// document is the payload as JSON. An empty payload is {} (as $input.body
// shows it); a payload that is not JSON is the string itself, so that
// $input.path('$') returns the raw text (OBS: templates split a form body
// with $input.path('$').split('&')). UNCONFIRMED: AWS may answer an
// error for $input.json on a body that is not JSON.
func (in *inputObject) document() any {
	if !in.parsed {
		in.parsed = true
		v, err := vtl.FromJSON(in.body())
		if err != nil {
			v = in.body()
		}
		in.root = v
	}
	return in.root
}

func (in *inputObject) Property(name string) (any, error) {
	if name == "body" {
		return in.body(), nil
	}
	return nil, nil
}

func (in *inputObject) Method(name string, args []any) (any, error) {
	switch {
	case name == "params" && len(args) == 0:
		return in.allParams(), nil
	case name == "params" && len(args) == 1:
		p, ok := args[0].(string)
		if !ok {
			return nil, nil
		}
		return in.g.env.Param(p), nil
	case (name == "path" || name == "json") && len(args) == 1:
		path, ok := args[0].(string)
		if !ok {
			return nil, nil
		}
		v, err := evalJSONPath(in.document(), path)
		if err != nil {
			return nil, err
		}
		if name == "path" {
			return v, nil
		}
		// DOC: "a JSON string"; no match is null (OBS, LocalStack PR
		// #12774: "checked with the AWS console").
		return vtl.ToJSON(v)
	}
	return nil, nil
}

// allParams is $input.params(): {path={...}, querystring={...},
// header={...}}, one value per name (the first, as $input.params(name)).
func (in *inputObject) allParams() *vtl.Map {
	if in.params != nil {
		return in.params
	}
	e := in.g.env
	path := sortedMap(e.Ctx.PathParams)
	query, header := vtl.NewMap(0), vtl.NewMap(0)
	if r := e.Request; r != nil {
		q := r.URL.Query()
		for _, k := range sortedKeys(q) {
			query.Put(k, q.Get(k))
		}
		for _, k := range sortedKeys(r.Header) {
			header.Put(k, r.Header.Get(k))
		}
	}
	in.params = vtl.NewMap(3)
	in.params.Put("path", path)
	in.params.Put("querystring", query)
	in.params.Put("header", header)
	return in.params
}

func sortedKeys[M ~map[string][]string](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
