package restapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

const (
	extIntegration       = "x-amazon-apigateway-integration"
	extAnyMethod         = "x-amazon-apigateway-any-method"
	extGatewayResponses  = "x-amazon-apigateway-gateway-responses"
	extRequestValidators = "x-amazon-apigateway-request-validators"
	extRequestValidator  = "x-amazon-apigateway-request-validator"
	extBinaryMediaTypes  = "x-amazon-apigateway-binary-media-types"
	extAPIKeySource      = "x-amazon-apigateway-api-key-source"
)

// GatewayResponseTypes are the response types API Gateway accepts (spec §4).
var GatewayResponseTypes = []string{
	"ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
	"BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
	"INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
	"MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND",
	"THROTTLED", "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
}

var (
	pathPartRE  = regexp.MustCompile(`^(\{[A-Za-z0-9_.-]+\+?\}|[A-Za-z0-9_.:@~!$&'()*,;=-]+)$`)
	stageVarRef = regexp.MustCompile(`\$\{stageVariables\.([A-Za-z0-9_]+)\}`)
)

// LoadFile reads and validates a REST API definition.
func LoadFile(path string) (*API, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("API definition: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates a REST API definition; name is used in errors.
func Load(name string, data []byte) (*API, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rewriteModelRefs(data))
	if err != nil {
		fix := "the file must be OpenAPI 3.0 YAML or JSON with an `openapi: 3.0.x` field"
		if strings.Contains(err.Error(), "failed to resolve") {
			fix = "define what the $ref names; a model URL https://apigateway.amazonaws.com/restapis/{api-id}/models/X names components.schemas.X"
		}
		return nil, &ConfigError{File: name, Problems: []string{"not a valid OpenAPI 3 document: " + err.Error() + " (fix: " + fix + ")"}}
	}
	var p problems
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		p.addf("openapi", "version %q is not supported; use OpenAPI 3.0 (`openapi: 3.0.1`)", doc.OpenAPI)
	}
	if err := validateOpenAPI(doc); err != nil {
		p.addf("(document)", "invalid OpenAPI: %v", err)
	}
	api := &API{Source: name, GatewayResponses: map[string]GatewayResponse{}}
	if doc.Info != nil {
		api.Name = doc.Info.Title
	}
	if raw, ok := doc.Extensions[extRestAPIID]; ok {
		loadRestAPIID(raw, api, &p)
	}
	if api.RestAPIID == "" {
		api.RestAPIID = DefaultRestAPIID(api.Name) // once, not on every $context.apiId
	}

	validators := map[string]*RequestValidator{}
	if raw, ok := doc.Extensions[extRequestValidators]; ok {
		var m map[string]RequestValidator
		if decodeExt(raw, &m, extRequestValidators, &p) {
			for k, v := range m {
				v.Name = k
				validators[k] = &v
			}
		}
	}
	var defaultValidator *RequestValidator
	if raw, ok := doc.Extensions[extRequestValidator]; ok {
		defaultValidator = lookupValidator(raw, validators, extRequestValidator, &p)
	}
	if raw, ok := doc.Extensions[extBinaryMediaTypes]; ok && decodeExt(raw, &api.BinaryMediaTypes, extBinaryMediaTypes, &p) {
		checkBinaryMediaTypes(api.BinaryMediaTypes, &p)
	}
	if raw, ok := doc.Extensions[extAPIKeySource]; ok {
		var s string
		if decodeExt(raw, &s, extAPIKeySource, &p) && s != "HEADER" && s != "AUTHORIZER" {
			p.addf(extAPIKeySource, "%q is not HEADER or AUTHORIZER", s)
		}
		api.APIKeySource = s
	}
	if raw, ok := doc.Extensions[extGatewayResponses]; ok {
		loadGatewayResponses(raw, api, &p)
	}

	if doc.Paths == nil || doc.Paths.Len() == 0 {
		p.addf("paths", "the API declares no paths; add at least one path with an operation and an %s", extIntegration)
	}
	var apiKeySchemes = apiKeySchemeNames(doc)
	if doc.Paths != nil {
		for _, path := range doc.Paths.InMatchingOrder() {
			item := doc.Paths.Value(path)
			field := "paths." + path
			checkResourcePath(path, field, &p)
			res := &Resource{Path: path, ID: resourceID(api.ID(), path), Methods: map[string]*Method{}}
			ops := item.Operations()
			for _, verb := range sortedKeys(ops) {
				op := ops[verb]
				m := loadMethod(path, strings.ToUpper(verb), op, item.Parameters, field+"."+strings.ToLower(verb), validators, defaultValidator, apiKeySchemes, doc, &p)
				res.Methods[strings.ToUpper(verb)] = m
			}
			if raw, ok := item.Extensions[extAnyMethod]; ok {
				op := &openapi3.Operation{}
				b, _ := json.Marshal(raw)
				if err := op.UnmarshalJSON(b); err != nil {
					p.addf(field+"."+extAnyMethod, "not an operation object: %v", err)
				} else if err := resolveOperationRefs(loader, doc, path, op); err != nil {
					p.addf(field+"."+extAnyMethod, "a reference does not resolve: %v (fix: define what it names under components)", err)
				} else {
					res.Methods[AnyMethod] = loadMethod(path, AnyMethod, op, item.Parameters, field+"."+extAnyMethod, validators, defaultValidator, apiKeySchemes, doc, &p)
				}
			}
			if len(res.Methods) == 0 {
				p.addf(field, "the path has no operations; add one (get, post, …) or %s", extAnyMethod)
			}
			api.Resources = append(api.Resources, res)
		}
	}
	// InMatchingOrder sorts for matching; keep a stable, readable order instead.
	slices.SortFunc(api.Resources, func(a, b *Resource) int { return strings.Compare(a.Path, b.Path) })
	checkSiblingVariables(api.Resources, &p)
	api.Warnings = p.warnings
	if err := p.err(name); err != nil {
		return nil, err
	}
	return api, nil
}

// validateOpenAPI validates doc as OpenAPI 3. API Gateway writes greedy path
// variables as {proxy+} with a parameter named proxy, which plain OpenAPI
// validation rejects, so validate a copy whose paths drop the "+".
func validateOpenAPI(doc *openapi3.T) error {
	vdoc := *doc
	if doc.Paths != nil {
		vdoc.Paths = openapi3.NewPaths()
		for path, item := range doc.Paths.Map() {
			vdoc.Paths.Set(strings.ReplaceAll(path, "+}", "}"), item)
		}
	}
	return withoutNullTypes(doc, func() error {
		return vdoc.Validate(context.Background(), openapi3.DisableExamplesValidation())
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeExt re-decodes a generic extension value into out, rejecting unknown fields.
func decodeExt(raw any, out any, field string, p *problems) bool {
	b, err := json.Marshal(raw)
	if err != nil {
		p.addf(field, "cannot be read: %v", err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		p.addf(field, "%s (fix: see the API Gateway OpenAPI extensions reference for this field's shape)", strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}

func lookupValidator(raw any, validators map[string]*RequestValidator, field string, p *problems) *RequestValidator {
	var name string
	if !decodeExt(raw, &name, field, p) {
		return nil
	}
	v := validators[name]
	if v == nil {
		p.addf(field, "validator %q is not declared in %s; declare it or fix the name (declared: %v)", name, extRequestValidators, sortedKeys(validators))
	}
	return v
}

func checkResourcePath(path, field string, p *problems) {
	if !strings.HasPrefix(path, "/") {
		p.addf(field, "resource paths must start with /")
		return
	}
	if path == "/" {
		return
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, part := range parts {
		if !pathPartRE.MatchString(part) {
			p.addf(field, "path part %q is not valid; use letters, digits and -._:@ or a {param} / {param+}", part)
			continue
		}
		if part == "." || part == ".." {
			// Requests' dot segments are resolved before routing, so no
			// request could ever reach this resource.
			p.addf(field, "path part %q is a dot segment, which no request can match (the gateway resolves . and .. in request paths); rename the path part", part)
		}
		if strings.HasSuffix(part, "+}") && i != len(parts)-1 {
			p.addf(field, "greedy path variable %s must be the last path part", part)
		}
	}
}

// checkSiblingVariables rejects two different variables at the same level
// (API Gateway: "A sibling resource already has a variable path part").
func checkSiblingVariables(resources []*Resource, p *problems) {
	seen := map[string]string{} // parent path -> variable part
	for _, r := range resources {
		parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
		for i, part := range parts {
			if !strings.HasPrefix(part, "{") {
				continue
			}
			parent := "/" + strings.Join(parts[:i], "/")
			if prev, ok := seen[parent]; ok && prev != part {
				p.addf("paths."+r.Path, "variable %s conflicts with sibling variable %s under %s; use one name for both", part, prev, parent)
			}
			seen[parent] = part
		}
	}
}

func apiKeySchemeNames(doc *openapi3.T) map[string]bool {
	names := map[string]bool{}
	if doc.Components == nil {
		return names
	}
	for name, ref := range doc.Components.SecuritySchemes {
		if ref.Value != nil && ref.Value.Type == "apiKey" && strings.EqualFold(ref.Value.Name, "x-api-key") && ref.Value.In == "header" {
			names[name] = true
		}
	}
	return names
}

// loadMethod reads one method. Parameters declared on the path item apply
// to every operation that does not declare its own of that name and
// location (OpenAPI 3).
func loadMethod(path, verb string, op *openapi3.Operation, pathParams openapi3.Parameters, field string, validators map[string]*RequestValidator, defaultValidator *RequestValidator, apiKeySchemes map[string]bool, doc *openapi3.T, p *problems) *Method {
	m := &Method{HTTPMethod: verb, ResourcePath: path, Validator: defaultValidator}
	declared := map[string]bool{}
	for _, params := range []openapi3.Parameters{op.Parameters, pathParams} {
		for _, ref := range params {
			if ref == nil || ref.Value == nil || declared[ref.Value.In+"."+ref.Value.Name] {
				continue
			}
			pr := Parameter{In: ref.Value.In, Name: ref.Value.Name, Required: ref.Value.Required}
			m.Parameters = append(m.Parameters, pr)
			declared[pr.In+"."+pr.Name] = true
		}
	}
	for _, part := range strings.Split(path, "/") {
		if strings.HasPrefix(part, "{") {
			name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(part, "{"), "}"), "+")
			if !declared["path."+name] {
				m.Parameters = append(m.Parameters, Parameter{In: "path", Name: name, Required: true})
			}
		}
	}
	if raw, ok := op.Extensions[extRequestValidator]; ok {
		m.Validator = lookupValidator(raw, validators, field+"."+extRequestValidator, p)
	}
	m.RequestModels = requestModels(op, field, p)
	if op.Security != nil {
		for _, req := range *op.Security {
			for name := range req {
				if apiKeySchemes[name] {
					m.APIKeyRequired = true
				}
			}
		}
	}

	raw, ok := op.Extensions[extIntegration]
	if !ok {
		p.addf(field, "no %s; every method needs an integration (fix: add `%s: {type: mock, requestTemplates: {application/json: '{\"statusCode\": 200}'}}` or an http_proxy to your backend)", extIntegration, extIntegration)
		return m
	}
	ifield := field + "." + extIntegration
	if !decodeExt(raw, &m.Integration, ifield, p) {
		return m
	}
	validateIntegration(&m.Integration, ifield, p)
	checkDeclaredSources(m, ifield, p)
	return m
}

// methodRequestSource splits a mapping source such as
// method.request.header.X-Id into where the parameter is declared ("header",
// "query", "path") and its name; ok is false for other sources (literals,
// context, stage variables, the body).
func methodRequestSource(source string) (in, name string, ok bool) {
	rest, ok := strings.CutPrefix(source, "method.request.")
	if !ok {
		return "", "", false
	}
	kind, name, ok := strings.Cut(rest, ".")
	switch kind {
	case "header", "multivalueheader":
		return "header", name, ok
	case "querystring", "multivaluequerystring":
		return "query", name, ok
	case "path":
		return "path", name, ok
	}
	return "", "", false
}

// checkDeclaredSources warns of a request parameter mapping from a method
// request parameter the method does not declare: API Gateway refuses such a
// definition ("The method request parameters must be defined before being
// referenced", DG x-amazon-apigateway-integration.requestParameters). A
// warning, not an error: the emulator can serve it, and definitions written
// for other emulators (LocalStack accepts them) still load.
func checkDeclaredSources(m *Method, field string, p *problems) {
	for _, target := range sortedKeys(m.Integration.RequestParameters) {
		in, name, ok := methodRequestSource(m.Integration.RequestParameters[target])
		if !ok {
			continue
		}
		declared := slices.ContainsFunc(m.Parameters, func(pr Parameter) bool {
			return pr.In == in && (pr.Name == name || in == "header" && strings.EqualFold(pr.Name, name))
		})
		if !declared {
			p.warnf(field+".requestParameters."+target, "maps method.request %s parameter %q, which the method does not declare; API Gateway refuses this (fix: add `{name: %s, in: %s, schema: {type: string}}` to the method's parameters)", in, name, name, in)
		}
	}
}

var integrationTypes = []string{HTTPProxy, HTTP, Mock, AWSProxy, AWS}

// supportedTypes are the integration types the reference gateway runs.
var supportedTypes = []string{HTTPProxy, HTTP, Mock, AWSProxy, AWS}

func validateIntegration(in *Integration, field string, p *problems) {
	in.Type = strings.ToLower(in.Type)
	switch in.Type {
	case HTTPProxy, HTTP, AWSProxy, AWS:
		if in.URI == "" {
			p.addf(field+".uri", "required for type %s", in.Type)
		}
		if in.HTTPMethod == "" {
			p.addf(field+".httpMethod", "required for type %s (the method used to call the backend, e.g. GET, POST or ANY)", in.Type)
		}
	case Mock:
	case "":
		p.addf(field+".type", "missing; use one of %v", supportedTypes)
	default:
		if slices.Contains(integrationTypes, in.Type) {
			p.addf(field+".type", "%q is not supported by the reference gateway; use one of %v", in.Type, supportedTypes)
		} else {
			p.addf(field+".type", "%q is not an integration type; use one of %v", in.Type, supportedTypes)
		}
	}
	in.HTTPMethod = strings.ToUpper(in.HTTPMethod)
	if in.TimeoutInMillis != nil {
		if t := *in.TimeoutInMillis; t < MinTimeoutMillis || t > MaxTimeoutMillis {
			p.addf(field+".timeoutInMillis", "%d is outside %d–%d ms (spec §1.1); pick a value in range or omit it for the %d ms default", t, MinTimeoutMillis, MaxTimeoutMillis, DefaultTimeoutMillis)
		}
	}
	switch in.Type {
	case HTTPProxy, HTTP:
		uri := stageVarRef.ReplaceAllString(in.URI, "stagevar")
		if !strings.HasPrefix(uri, "http://") && !strings.HasPrefix(uri, "https://") {
			p.addf(field+".uri", "%q must be an http:// or https:// URL (stage variables allowed as ${stageVariables.name})", in.URI)
		}
	case AWSProxy, AWS:
		kind := "Lambda proxy integrations"
		if in.Type == AWS {
			kind = "Lambda (type aws) integrations"
		}
		if in.HTTPMethod != http.MethodPost {
			// AWS records a 500 at invoke time; failing at load is kinder (spec §9).
			p.addf(field+".httpMethod", "%s must call the Lambda Invoke API with POST, not %s", kind, in.HTTPMethod)
		}
		if !strings.HasPrefix(in.URI, "arn:aws:apigateway:") || !strings.Contains(in.URI, ":lambda:path/2015-03-31/functions/") || !strings.HasSuffix(in.URI, "/invocations") {
			msg := "%q is not a Lambda invocation URI; use arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function-arn}/invocations"
			if in.Type == AWS {
				msg += " (the reference gateway runs type aws for Lambda functions only)"
			}
			p.addf(field+".uri", msg, in.URI)
		}
	}
	if pb := in.PassthroughBehavior; pb != "" {
		in.PassthroughBehavior = strings.ToUpper(pb)
		if !slices.Contains([]string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"}, in.PassthroughBehavior) {
			p.addf(field+".passthroughBehavior", "%q is not WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER", pb)
		}
	}
	checkTemplateSizes(in.RequestTemplates, field+".requestTemplates", p)
	for _, pattern := range sortedKeys(in.Responses) {
		r := in.Responses[pattern]
		rf := field + ".responses." + pattern
		checkTemplateSizes(r.ResponseTemplates, rf+".responseTemplates", p)
		if pattern != "default" {
			if _, err := regexp.Compile("^(?:" + pattern + ")$"); err != nil {
				p.addf(rf, "selection pattern is not a valid regular expression: %v", err)
			}
		}
		if code, err := strconv.Atoi(r.StatusCode); err != nil || code < 100 || code > 599 {
			p.addf(rf+".statusCode", "%q is not an HTTP status code (100–599)", r.StatusCode)
		}
		checkContentHandling(r.ContentHandling, rf+".contentHandling", p)
	}
	checkContentHandling(in.ContentHandling, field+".contentHandling", p)
	in.selection = in.compileSelection()
	for _, target := range sortedKeys(in.RequestParameters) {
		source := in.RequestParameters[target]
		if !strings.HasPrefix(target, "integration.request.") {
			p.addf(field+".requestParameters."+target, "mapping targets start with integration.request.(path|querystring|header).")
		}
		if !validMappingSource(source) {
			p.addf(field+".requestParameters."+target, "source %q is not a literal ('value'), method.request.*, stageVariables.* or context.* expression", source)
		}
	}
}

// checkTemplateSizes refuses mapping templates over API Gateway's size
// limit.
func checkTemplateSizes(templates map[string]string, field string, p *problems) {
	for _, ct := range sortedKeys(templates) {
		if n := len(templates[ct]); n > MaxTemplateBytes {
			p.addf(field+"."+ct, "the template is %d bytes; API Gateway's limit is %d (300 KB): split or shorten it", n, MaxTemplateBytes)
		}
	}
}

func validMappingSource(s string) bool {
	return (len(s) >= 2 && strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'")) ||
		strings.HasPrefix(s, "method.request.") || strings.HasPrefix(s, "stageVariables.") || strings.HasPrefix(s, "context.")
}

func loadGatewayResponses(raw any, api *API, p *problems) {
	m, ok := raw.(map[string]any)
	if !ok {
		p.addf(extGatewayResponses, "must be a map from response type to response")
		return
	}
	for _, typ := range sortedKeys(m) {
		field := extGatewayResponses + "." + typ
		if !slices.Contains(GatewayResponseTypes, typ) {
			p.addf(field, "unknown gateway response type; use one of %v", GatewayResponseTypes)
			continue
		}
		entry, ok := m[typ].(map[string]any)
		if !ok {
			p.addf(field, "must be an object with statusCode, responseParameters, responseTemplates")
			continue
		}
		var gr GatewayResponse
		// statusCode appears both as a number and as a string in AWS exports.
		if sc, ok := entry["statusCode"]; ok {
			code, err := strconv.Atoi(fmt.Sprint(sc))
			if err != nil || code < 400 || code > 599 {
				p.addf(field+".statusCode", "%v is not a 4xx or 5xx status code", sc)
			} else {
				gr.StatusCode = &code
			}
			delete(entry, "statusCode")
		}
		if !decodeExt(entry, &gr, field, p) {
			continue
		}
		checkTemplateSizes(gr.ResponseTemplates, field+".responseTemplates", p)
		for _, k := range sortedKeys(gr.ResponseParameters) {
			if !strings.HasPrefix(k, "gatewayresponse.header.") {
				p.addf(field+".responseParameters."+k, "keys must be gatewayresponse.header.<name>")
			}
		}
		api.GatewayResponses[typ] = gr
	}
}
