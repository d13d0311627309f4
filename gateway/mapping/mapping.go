// Package mapping evaluates the small expression languages API Gateway uses
// in parameter mappings (method.request.header.X, stageVariables.V, 'literal')
// and in templates ($context.requestId, $stageVariables.v, $input.params('p')).
//
// Templates support variable references only, not VTL directives (#if,
// #foreach): enough for gateway responses and mock/http integrations whose
// templates substitute values, which is what the conformance specs need.
package mapping

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/request"
)

// Env is what expressions can see.
type Env struct {
	Request *http.Request
	Ctx     *request.Context
	// Error is set while rendering a gateway response.
	Error *Error
	// Response headers and body of the integration, for response mappings.
	IntegrationHeaders http.Header
	IntegrationBody    []byte
}

// Error is $context.error.
type Error struct {
	Message         string
	ResponseType    string
	ValidationError string
}

// Param resolves a method request parameter: path, then query, then header,
// the order $input.params(name) uses.
func (e *Env) Param(name string) string {
	if v, ok := e.Ctx.PathParams[name]; ok {
		return v
	}
	if e.Request != nil {
		if v := e.Request.URL.Query().Get(name); v != "" {
			return v
		}
		return e.Request.Header.Get(name)
	}
	return ""
}

// Resolve evaluates a parameter-mapping source expression. ok is false for
// an expression form that is not supported.
func (e *Env) Resolve(src string) (string, bool) {
	switch {
	case len(src) >= 2 && src[0] == '\'' && src[len(src)-1] == '\'':
		return src[1 : len(src)-1], true
	case strings.HasPrefix(src, "method.request.path."):
		return e.Ctx.PathParams[strings.TrimPrefix(src, "method.request.path.")], true
	case strings.HasPrefix(src, "method.request.querystring."):
		if e.Request == nil {
			return "", true
		}
		return e.Request.URL.Query().Get(strings.TrimPrefix(src, "method.request.querystring.")), true
	case strings.HasPrefix(src, "method.request.header."):
		if e.Request == nil {
			return "", true
		}
		name := strings.TrimPrefix(src, "method.request.header.")
		if strings.EqualFold(name, "Host") {
			return e.Request.Host, true // net/http keeps Host out of the header map
		}
		return e.Request.Header.Get(name), true
	case strings.HasPrefix(src, "stageVariables."):
		return e.Ctx.StageVariables[strings.TrimPrefix(src, "stageVariables.")], true
	case strings.HasPrefix(src, "context."):
		return e.context(strings.TrimPrefix(src, "context.")), true
	case strings.HasPrefix(src, "integration.response.header."):
		return e.IntegrationHeaders.Get(strings.TrimPrefix(src, "integration.response.header.")), true
	case src == "integration.response.body":
		return string(e.IntegrationBody), true
	}
	return "", false
}

func (e *Env) context(name string) string {
	c := e.Ctx
	switch name {
	case "requestId":
		return c.ID
	case "extendedRequestId":
		return c.ExtendedID
	case "stage":
		if c.Stage != nil {
			return c.Stage.StageName
		}
	case "resourcePath":
		if c.Method != nil {
			return c.Method.ResourcePath
		}
	case "httpMethod":
		if e.Request != nil {
			return e.Request.Method
		}
	case "path":
		if e.Request != nil {
			return e.Request.URL.Path
		}
	case "apiId":
		if c.API != nil {
			return c.API.ID()
		}
	case "deploymentId":
		return c.DeploymentID
	case "requestTimeEpoch":
		return strconv.FormatInt(c.Start.UnixMilli(), 10)
	case "isCanaryRequest":
		return strconv.FormatBool(c.IsCanary)
	case "identity.sourceIp":
		return c.SourceIP
	case "identity.userAgent":
		if e.Request != nil {
			return e.Request.UserAgent()
		}
	case "error.message":
		if e.Error != nil {
			return e.Error.Message
		}
	case "error.messageString":
		if e.Error != nil {
			b, _ := json.Marshal(e.Error.Message)
			return string(b)
		}
	case "error.responseType":
		if e.Error != nil {
			return e.Error.ResponseType
		}
	case "error.validationErrorString":
		if e.Error != nil {
			return e.Error.ValidationError
		}
	}
	return ""
}

// Render substitutes $context.*, $stageVariables.*, $input.body,
// $input.json('$') and $input.params('name') in tmpl, in both $x.y and
// ${x.y} forms. Unknown $context and $stageVariables references render
// empty (API Gateway renders undefined stage variables as ""); any other
// text, including unknown $references, is copied as written.
func (e *Env) Render(tmpl string) string {
	if !strings.Contains(tmpl, "$") {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl))
	for i := 0; i < len(tmpl); {
		if tmpl[i] != '$' {
			b.WriteByte(tmpl[i])
			i++
			continue
		}
		value, n := e.reference(tmpl[i:])
		if n == 0 {
			b.WriteByte('$')
			i++
			continue
		}
		b.WriteString(value)
		i += n
	}
	return b.String()
}

// reference evaluates the reference at the start of s (which begins with
// '$') and returns its value and length, or n == 0 if s holds none.
func (e *Env) reference(s string) (string, int) {
	start := 1
	if strings.HasPrefix(s[1:], "!") { // quiet reference $!x or $!{x}
		start = 2
	}
	braced := start < len(s) && s[start] == '{'
	if braced {
		start++
	}
	j := start
	for j < len(s) && (isIdent(s[j]) || (s[j] == '.' && j+1 < len(s) && isIdent(s[j+1]))) {
		j++
	}
	name := s[start:j]
	var arg string
	hasCall := false
	if j < len(s) && s[j] == '(' {
		end := strings.IndexByte(s[j:], ')')
		if end < 0 {
			return "", 0
		}
		arg = strings.Trim(strings.TrimSpace(s[j+1:j+end]), `'"`)
		hasCall = true
		j += end + 1
	}
	if braced {
		if j >= len(s) || s[j] != '}' {
			return "", 0
		}
		j++
	}
	switch {
	case strings.HasPrefix(name, "context."):
		return e.context(strings.TrimPrefix(name, "context.")), j
	case strings.HasPrefix(name, "stageVariables."):
		return e.Ctx.StageVariables[strings.TrimPrefix(name, "stageVariables.")], j
	case name == "input.body":
		return string(e.Ctx.Body), j
	case name == "input.json" && hasCall:
		if arg == "$" && json.Valid(e.Ctx.Body) {
			return string(e.Ctx.Body), j
		}
		return "{}", j
	case name == "input.params" && hasCall:
		return e.Param(arg), j
	}
	return "", 0
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Value is Resolve for expressions known to be supported; an unsupported one is "".
func (e *Env) Value(src string) string {
	v, _ := e.Resolve(src)
	return v
}
