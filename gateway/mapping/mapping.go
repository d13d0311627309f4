// Package mapping evaluates the expression languages API Gateway uses: the
// parameter mapping expressions (method.request.header.X, stageVariables.V,
// 'literal') with Resolve, and mapping templates, Velocity (VTL) with
// API Gateway's variables ($input, $util, $context, $stageVariables), with
// Render. The template language itself is package vtl.
package mapping

import (
	"net/http"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
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
	// Overrides collects what templates set through
	// $context.requestOverride and $context.responseOverride. Render
	// creates it on first use; keep the same Env (or a copy made after the
	// request template) for the response template, which can read the
	// request overrides back (AWS-REC, issue 11 evidence topic 1).
	Overrides *Overrides
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

// context is $context.name (name may be dotted: identity.sourceIp) as
// parameter mappings see it: a string, "" when undefined.
func (e *Env) context(name string) string {
	v, _ := vtl.ToString(e.contextValue(name))
	return v
}

// Value is Resolve for expressions known to be supported; an unsupported one is "".
func (e *Env) Value(src string) string {
	v, _ := e.Resolve(src)
	return v
}
