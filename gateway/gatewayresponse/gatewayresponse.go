// Package gatewayresponse writes API Gateway's error responses: the fixed
// catalog of response types with their default status, message and
// x-amzn-ErrorType (spec §4), customised per API through
// x-amazon-apigateway-gateway-responses with DEFAULT_4XX / DEFAULT_5XX
// inheritance.
package gatewayresponse

import (
	"net/http"
	"strconv"

	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Type is a gateway response type, e.g. INTEGRATION_TIMEOUT.
type Type string

// The response types the reference gateway raises.
const (
	AccessDenied               Type = "ACCESS_DENIED"
	APIConfigurationError      Type = "API_CONFIGURATION_ERROR"
	BadRequestParameters       Type = "BAD_REQUEST_PARAMETERS"
	BadRequestBody             Type = "BAD_REQUEST_BODY"
	Default4XX                 Type = "DEFAULT_4XX"
	Default5XX                 Type = "DEFAULT_5XX"
	IntegrationFailure         Type = "INTEGRATION_FAILURE"
	IntegrationTimeout         Type = "INTEGRATION_TIMEOUT"
	InvalidAPIKey              Type = "INVALID_API_KEY"
	MissingAuthenticationToken Type = "MISSING_AUTHENTICATION_TOKEN"
	QuotaExceeded              Type = "QUOTA_EXCEEDED"
	RequestTooLarge            Type = "REQUEST_TOO_LARGE"
	Throttled                  Type = "THROTTLED"
	Unauthorized               Type = "UNAUTHORIZED"
	UnsupportedMediaType       Type = "UNSUPPORTED_MEDIA_TYPE"
	// LambdaProxyMalformed is not an AWS response type: a malformed Lambda
	// proxy result is a 502 "Internal server error" that AWS does not let
	// you customise (spec §9). It shares DEFAULT_5XX's customisation.
	LambdaProxyMalformed Type = "gatecheck:LAMBDA_PROXY_MALFORMED"
	// IncompleteSignature is the 403 for an unknown route with a non-SigV4
	// Authorization header (spec §9, §13.1); it behaves like MISSING_AUTHENTICATION_TOKEN.
	IncompleteSignature Type = "gatecheck:INCOMPLETE_SIGNATURE"
	// URITooLong and HeadersTooLarge answer requests over the URL and
	// header-value quotas (spec §2). AWS's answer is UNCONFIRMED; like
	// the 413, they are not customisable here.
	URITooLong      Type = "gatecheck:URI_TOO_LONG"
	HeadersTooLarge Type = "gatecheck:HEADERS_TOO_LARGE"
	// Overloaded refuses a body that would take the emulator over its
	// budget of buffered body bytes (payload.Budget): a local safeguard
	// with no AWS counterpart, answered like DEFAULT_5XX's 503.
	Overloaded Type = "gatecheck:OVERLOADED"
)

// Default is a response type's uncustomised form.
type Default struct {
	Status    int
	Message   string
	ErrorType string // x-amzn-ErrorType; "" when AWS's value is unconfirmed and none is sent
}

// Catalog holds every type's default (spec §4 table). Where the spec marks a
// value UNCONFIRMED we use LocalStack's parity value or the closest documented one.
var Catalog = map[Type]Default{
	AccessDenied:               {403, "User is not authorized to access this resource", "AccessDeniedException"},
	APIConfigurationError:      {500, "Internal server error", "InternalServerErrorException"},
	BadRequestParameters:       {400, "Missing required request parameters", "BadRequestException"},
	BadRequestBody:             {400, "Invalid request body", "BadRequestException"},
	IntegrationFailure:         {504, "Network error communicating with endpoint", "InternalServerErrorException"},
	IntegrationTimeout:         {504, "Endpoint request timed out", "InternalServerErrorException"},
	InvalidAPIKey:              {403, "Forbidden", "ForbiddenException"},
	MissingAuthenticationToken: {403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
	QuotaExceeded:              {429, "Limit Exceeded", "LimitExceededException"},
	RequestTooLarge:            {413, "HTTP content length exceeded 10485760 bytes.", ""},
	Throttled:                  {429, "Too Many Requests", "TooManyRequestsException"},
	Unauthorized:               {401, "Unauthorized", "UnauthorizedException"},
	UnsupportedMediaType:       {415, "Unsupported Media Type", "BadRequestException"},
	LambdaProxyMalformed:       {502, "Internal server error", "InternalServerErrorException"},
	IncompleteSignature:        {403, "", "IncompleteSignatureException"},
	URITooLong:                 {414, "Request URI too long", ""},
	HeadersTooLarge:            {431, "Request Header Fields Too Large", ""},
	Overloaded:                 {503, "Service Unavailable", ""},
}

// Responder renders gateway responses for one API.
type Responder struct {
	custom map[string]restapi.GatewayResponse
}

// New returns a Responder applying api's customisations (api may be nil).
func New(api *restapi.API) *Responder {
	r := &Responder{custom: map[string]restapi.GatewayResponse{}}
	if api != nil {
		r.custom = api.GatewayResponses
	}
	return r
}

// Resolved is a response type after customisation.
type Resolved struct {
	Status     int
	Headers    map[string]string // gatewayresponse.header.* mappings, unevaluated
	Templates  map[string]string
	ErrorType  string
	Message    string
	Customised bool
}

// Resolve applies customisation to typ. Each of status, headers and
// templates comes from the type's own customisation if it sets it, else
// from DEFAULT_4XX/DEFAULT_5XX (by the type's default status class), else
// the built-in default (DG: "Setting a status on DEFAULT_4XX changes every
// 4XX type that has no customisation of its own").
func (r *Responder) Resolve(typ Type) Resolved {
	def := Catalog[typ]
	res := Resolved{Status: def.Status, ErrorType: def.ErrorType, Message: def.Message}
	if typ == RequestTooLarge || typ == URITooLong || typ == HeadersTooLarge || typ == Overloaded {
		return res // not customisable (spec §2, DG known issues)
	}
	fallback := Default4XX
	if def.Status >= 500 {
		fallback = Default5XX
	}
	own, hasOwn := r.custom[string(typ)]
	if typ == LambdaProxyMalformed || typ == IncompleteSignature {
		hasOwn = false
	}
	inherited, hasInherited := r.custom[string(fallback)]
	for _, src := range []struct {
		gr restapi.GatewayResponse
		ok bool
	}{{inherited, hasInherited}, {own, hasOwn}} {
		if !src.ok {
			continue
		}
		res.Customised = true
		if src.gr.StatusCode != nil && typ != LambdaProxyMalformed {
			res.Status = *src.gr.StatusCode
		}
		if src.gr.ResponseParameters != nil {
			res.Headers = src.gr.ResponseParameters
		}
		if src.gr.ResponseTemplates != nil {
			res.Templates = src.gr.ResponseTemplates
		}
	}
	return res
}

// Write sends the response for typ. message overrides the default message
// when not empty (e.g. the list of missing parameters).
func (r *Responder) Write(w http.ResponseWriter, req *http.Request, typ Type, message string) {
	res := r.Resolve(typ)
	if message != "" {
		res.Message = message
	}
	h := w.Header()
	if res.ErrorType != "" {
		h[request.HeaderErrorType] = []string{res.ErrorType}
	}
	if typ == RequestTooLarge {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(res.Message)))
		w.WriteHeader(res.Status)
		_, _ = w.Write([]byte(res.Message))
		return
	}
	env := &mapping.Env{Request: req, Ctx: request.From(req.Context()), Error: &mapping.Error{Message: res.Message, ResponseType: responseTypeName(typ)}}
	for k, src := range res.Headers {
		if v, ok := env.Resolve(src); ok {
			h.Set(k[len("gatewayresponse.header."):], v)
		}
	}
	var body string
	tmpl, templated := pickTemplate(res.Templates, req)
	if templated {
		var err error
		if body, err = env.Render(tmpl); err != nil {
			templated = false
			// A template that fails is API Gateway's configuration error;
			// answered with its uncustomised default, which renders no
			// template and so cannot fail again.
			for k := range res.Headers {
				h.Del(k[len("gatewayresponse.header."):])
			}
			def := Catalog[APIConfigurationError]
			res = Resolved{Status: def.Status, ErrorType: def.ErrorType, Message: def.Message}
			h[request.HeaderErrorType] = []string{res.ErrorType}
			env.Error = &mapping.Error{Message: res.Message, ResponseType: string(APIConfigurationError)}
		}
	}
	if !templated {
		body = `{"message":` + env.Value("context.error.messageString") + `}`
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", request.DefaultMediaType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(res.Status)
	_, _ = w.Write([]byte(body))
}

func responseTypeName(t Type) string {
	switch t {
	case LambdaProxyMalformed:
		return string(Default5XX)
	case IncompleteSignature:
		return string(MissingAuthenticationToken)
	case URITooLong, HeadersTooLarge:
		return string(Default4XX)
	case Overloaded:
		return string(Default5XX)
	}
	return string(t)
}

// pickTemplate chooses the template for the request's Accept type (first
// listed, as API Gateway only honours the first), else application/json,
// else any.
func pickTemplate(templates map[string]string, req *http.Request) (string, bool) {
	if len(templates) == 0 {
		return "", false
	}
	if accept := req.Header.Get("Accept"); accept != "" {
		first := accept
		for i := 0; i < len(first); i++ {
			if first[i] == ',' || first[i] == ';' {
				first = first[:i]
				break
			}
		}
		if t, ok := templates[first]; ok {
			return t, true
		}
	}
	if t, ok := templates[request.DefaultMediaType]; ok {
		return t, true
	}
	for _, t := range templates {
		return t, true
	}
	return "", false
}
