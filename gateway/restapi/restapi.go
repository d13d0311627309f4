// Package restapi loads a REST API definition (OpenAPI 3 with API Gateway's
// x-amazon-apigateway-* extensions) and stage files, and validates them the
// way API Gateway does at import time: every problem is reported at once with
// the file, the field and the fix.
package restapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Integration types, as written in x-amazon-apigateway-integration.type.
const (
	HTTPProxy = "http_proxy"
	HTTP      = "http"
	Mock      = "mock"
	AWSProxy  = "aws_proxy"
	// AWS is a non-proxy AWS service integration; the reference gateway
	// supports it for Lambda functions only (a request template builds the
	// event, integration responses map the result).
	AWS = "aws"
)

// AnyMethod is the method key for x-amazon-apigateway-any-method.
const AnyMethod = "ANY"

// Integration timeouts (spec §1.1): 50–29,000 ms, default 29,000 ms.
const (
	MinTimeoutMillis     = 50
	MaxTimeoutMillis     = 29000
	DefaultTimeoutMillis = 29000
)

// MaxTemplateBytes is the largest mapping template API Gateway accepts
// (DOC, "Amazon API Gateway important notes": "The maximum size of a
// mapping template is 300 KB"; read as 300 KiB). A larger one is a
// definition error at load, and is refused again when rendered.
const MaxTemplateBytes = 300 << 10

// API is a loaded, validated REST API definition.
type API struct {
	Name   string // info.title
	Source string // file it was loaded from
	// RestAPIID is the API's id (see ID): x-gatecheck-restApiId, else
	// DefaultRestAPIID(Name), set by Load. Empty: ID derives it per call.
	RestAPIID string
	// Resources in declaration order. Paths are templates like /items/{id} or /proxy/{proxy+}.
	Resources        []*Resource
	GatewayResponses map[string]GatewayResponse // keyed by response type, e.g. DEFAULT_4XX
	BinaryMediaTypes []string
	APIKeySource     string // HEADER (default) or AUTHORIZER
	// Warnings name what API Gateway would refuse in the definition but
	// the emulator serves (field: problem and fix), for the loader's
	// caller to report.
	Warnings []string
}

// Resource is one path of the API and the methods declared on it.
type Resource struct {
	Path    string
	ID      string             // $context.resourceId; Load derives it (see API.ResourceID)
	Methods map[string]*Method // upper-case HTTP method or AnyMethod
}

// Method is one operation and how it is integrated.
type Method struct {
	HTTPMethod   string
	ResourcePath string
	Integration  Integration
	// Parameters declared by the operation; Required ones are enforced only
	// when Validator.ValidateRequestParameters is set (as in API Gateway).
	Parameters []Parameter
	Validator  *RequestValidator // nil: no request validation
	// RequestModels are the request body schemas by lower-case content
	// type ("$default" for any other), enforced when
	// Validator.ValidateRequestBody; see RequestModel.
	RequestModels  map[string]*openapi3.Schema
	APIKeyRequired bool
}

// Parameter is a method request parameter.
type Parameter struct {
	In       string // "path", "query" or "header"
	Name     string
	Required bool
}

// Integration mirrors x-amazon-apigateway-integration.
type Integration struct {
	Type                string                         `json:"type"`
	HTTPMethod          string                         `json:"httpMethod"`
	URI                 string                         `json:"uri"`
	TimeoutInMillis     *int                           `json:"timeoutInMillis"`
	PassthroughBehavior string                         `json:"passthroughBehavior"`
	RequestParameters   map[string]string              `json:"requestParameters"`
	RequestTemplates    map[string]string              `json:"requestTemplates"`
	Responses           map[string]IntegrationResponse `json:"responses"`
	CacheKeyParameters  []string                       `json:"cacheKeyParameters"`
	// selection holds the compiled selection patterns in SelectionPatterns
	// order, compiled once at load rather than on every request.
	selection       []selectionPattern
	CacheNamespace  string `json:"cacheNamespace"`
	ContentHandling string `json:"contentHandling"`
	ConnectionType  string `json:"connectionType"`
	Credentials     string `json:"credentials"`
}

// Timeout returns the integration timeout in milliseconds, applying the default.
func (i Integration) Timeout() int {
	if i.TimeoutInMillis == nil {
		return DefaultTimeoutMillis
	}
	return *i.TimeoutInMillis
}

type selectionPattern struct {
	pattern string
	re      *regexp.Regexp
}

// compileSelection compiles the selection patterns (whole-string matches);
// invalid ones are left out (Load reports them).
func (i *Integration) compileSelection() []selectionPattern {
	var out []selectionPattern
	for _, p := range i.SelectionPatterns() {
		if re, err := regexp.Compile("^(?:" + p + ")$"); err == nil {
			out = append(out, selectionPattern{p, re})
		}
	}
	return out
}

// ResponseFor selects the integration response whose selection pattern
// matches key (a backend status, or a mock's statusCode), trying the
// longest pattern first, else the "default" response.
func (i *Integration) ResponseFor(key string) (*IntegrationResponse, bool) {
	sel := i.selection
	if sel == nil && len(i.Responses) > 0 { // built in code rather than loaded
		sel = i.compileSelection()
	}
	for _, p := range sel {
		if p.re.MatchString(key) {
			// Responses edited after Load may have dropped a compiled pattern.
			if r, ok := i.Responses[p.pattern]; ok {
				return &r, true
			}
		}
	}
	if r, ok := i.Responses["default"]; ok {
		return &r, true
	}
	return nil, false
}

// SelectionPatterns lists the non-default response selection patterns in a
// fixed order (longest first, then lexical), so that when several match the
// same one always wins.
func (i Integration) SelectionPatterns() []string {
	patterns := make([]string, 0, len(i.Responses))
	for p := range i.Responses {
		if p != "default" {
			patterns = append(patterns, p)
		}
	}
	slices.SortFunc(patterns, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return patterns
}

// IsGreedy reports whether the method's resource path declares {name+}.
func (m *Method) IsGreedy(name string) bool {
	return m != nil && strings.Contains(m.ResourcePath, "{"+name+"+}")
}

// IntegrationResponse mirrors one entry of x-amazon-apigateway-integration.responses.
type IntegrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	ContentHandling    string            `json:"contentHandling"`
}

// GatewayResponse mirrors one entry of x-amazon-apigateway-gateway-responses.
type GatewayResponse struct {
	StatusCode         *int              // nil: not customised
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
}

// RequestValidator mirrors one entry of x-amazon-apigateway-request-validators.
type RequestValidator struct {
	Name                      string
	ValidateRequestBody       bool `json:"validateRequestBody"`
	ValidateRequestParameters bool `json:"validateRequestParameters"`
}

// ConfigError lists every problem found in one file.
type ConfigError struct {
	File     string
	Problems []string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

type problems struct{ list, warnings []string }

func (p *problems) addf(field, format string, args ...any) {
	p.list = append(p.list, field+": "+fmt.Sprintf(format, args...))
}

// warnf records what API Gateway would refuse but the emulator can serve:
// the definition loads, and whoever loads it reports the warning.
func (p *problems) warnf(field, format string, args ...any) {
	p.warnings = append(p.warnings, field+": "+fmt.Sprintf(format, args...))
}

func (p *problems) err(file string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ConfigError{File: file, Problems: p.list}
}

// Method returns the method of r for the HTTP method m, falling back to ANY.
func (r *Resource) Method(m string) *Method {
	if mm := r.Methods[m]; mm != nil {
		return mm
	}
	return r.Methods[AnyMethod]
}

// MethodByPlanKey resolves "/{resourcePath}/{HTTP method}" (the root
// resource is "//GET") to a declared method, falling back to ANY; nil when
// there is none.
func (a *API) MethodByPlanKey(key string) *Method {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return nil
	}
	path, verb := key[:i], key[i+1:]
	if path == "" || path == "/" {
		path = "/"
	}
	for _, res := range a.Resources {
		if res.Path == path {
			return res.Method(verb)
		}
	}
	return nil
}
