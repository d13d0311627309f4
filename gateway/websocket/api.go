package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// API is a validated WebSocket API definition (fixtures/apis/*.websocket*.yaml),
// in the field names of API Gateway's v2 API (CreateApi, CreateRoute,
// CreateIntegration, CreateStage).
type API struct {
	Source                    string // where it was loaded from, for errors
	Name                      string
	RouteSelectionExpression  string
	APIKeySelectionExpression string // "$request.header.<name>"
	APIKeys                   []APIKey
	Integrations              map[string]*Integration // by name
	Routes                    map[string]*Route       // by route key
	Stages                    map[string]*Stage       // by stage name

	selector       *selectionExpr
	readsHandshake bool // some mapping reads route.request.header/querystring
}

// APIKey is a key accepted on a $connect route with apiKeyRequired.
type APIKey struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Integration is an HTTP or HTTP_PROXY integration. Both send the event body
// as it came and only the mapped request parameters (no request templates).
type Integration struct {
	Name              string
	Type              string // HTTP or HTTP_PROXY
	Method            string // integrationMethod
	URI               string // may hold ${stageVariables.name}
	Timeout           time.Duration
	RequestParameters map[string]string // integration.request.* → source

	params []paramMapping // RequestParameters compiled, sorted by target
}

// Route is one route key and its integration.
type Route struct {
	Key            string
	Target         string // integration name
	Integration    *Integration
	APIKeyRequired bool
	// AuthorizationType is NONE or AWS_IAM (a SigV4-signed handshake for
	// execute-api); like API keys, only $connect may require it.
	AuthorizationType                string
	RouteResponseSelectionExpression string // "" or "$default"
}

// ReturnsResponse reports whether the integration's response goes back to
// the client as a frame (a route response with key $default).
func (r *Route) ReturnsResponse() bool { return r.RouteResponseSelectionExpression == "$default" }

// Stage is a deployment stage and its emulator-only connection lifetimes.
type Stage struct {
	Name                  string
	Variables             map[string]string
	IdleTimeout           time.Duration // AWS: 10 minutes, fixed
	MaxConnectionDuration time.Duration // AWS: 2 hours, fixed
}

// Predefined route keys.
const (
	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// Route authorization types (apigatewayv2 AuthorizationType).
const (
	AuthorizationNone = "NONE"
	AuthorizationIAM  = "AWS_IAM"
)

// AWS's fixed limits (spec §1.2, §2.1).
const (
	DefaultIdleTimeout           = 10 * time.Minute
	DefaultMaxConnectionDuration = 2 * time.Hour
	DefaultIntegrationTimeout    = 29 * time.Second
	minTimeoutMillis             = 50
	maxTimeoutMillis             = 29000
	defaultAPIKeySelection       = "$request.header.x-api-key"
)

// ID is the API's identifier ($context.apiId): on the emulator, its name, as
// for REST APIs.
func (a *API) ID() string { return a.Name }

// SetVariable sets a stage variable on every stage, copying each map so a
// shared one is not changed. The embedded runner uses it to point
// "backend" at the fixture's ephemeral address; call it before New (a
// Gateway keeps its own copy of the stages).
func (a *API) SetVariable(name, value string) {
	for _, s := range a.Stages {
		vars := make(map[string]string, len(s.Variables)+1)
		for k, v := range s.Variables {
			vars[k] = v
		}
		vars[name] = value
		s.Variables = vars
	}
}

// LoadError lists every problem found in one definition.
type LoadError struct {
	Source   string
	Problems []Problem
}

// Problem is one invalid field: where it is and what to do about it.
type Problem struct {
	Field   string // YAML path, e.g. routes.echo.target
	Message string // what is wrong; how to fix it
}

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %s: %s", e.Source, p.Field, p.Message)
	}
	return b.String()
}

type problems []Problem

func (p *problems) addf(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// The definition file as written. Pointers tell "absent" from zero.
type apiFile struct {
	Name                      string                     `yaml:"name"`
	ProtocolType              string                     `yaml:"protocolType"`
	RouteSelectionExpression  string                     `yaml:"routeSelectionExpression"`
	APIKeySelectionExpression string                     `yaml:"apiKeySelectionExpression"`
	APIKeys                   []APIKey                   `yaml:"apiKeys"`
	Integrations              map[string]integrationFile `yaml:"integrations"`
	Routes                    map[string]routeFile       `yaml:"routes"`
	Stages                    map[string]stageFile       `yaml:"stages"`
}

type integrationFile struct {
	IntegrationType   string            `yaml:"integrationType"`
	IntegrationMethod string            `yaml:"integrationMethod"`
	IntegrationURI    string            `yaml:"integrationUri"`
	TimeoutInMillis   *int              `yaml:"timeoutInMillis"`
	RequestParameters map[string]string `yaml:"requestParameters"`
}

type routeFile struct {
	Target                           string `yaml:"target"`
	APIKeyRequired                   bool   `yaml:"apiKeyRequired"`
	AuthorizationType                string `yaml:"authorizationType"`
	RouteResponseSelectionExpression string `yaml:"routeResponseSelectionExpression"`
}

type stageFile struct {
	StageVariables        map[string]string `yaml:"stageVariables"`
	IdleTimeout           string            `yaml:"x-gatecheck-idleTimeout"`
	MaxConnectionDuration string            `yaml:"x-gatecheck-maxConnectionDuration"`
}

// Limits and shapes API Gateway enforces (spec §3.3, §7).
var (
	stageNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	stageVarNameRE  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	stageVarValueRE = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]{1,512}$`)
	apiKeyValueRE   = regexp.MustCompile(`^[A-Za-z0-9]{20,128}$`)
	stageVarRefRE   = regexp.MustCompile(`\$\{stageVariables\.([^}]*)\}`)
	headerNameRE    = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
)

const maxStageVariables = 100

var integrationMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// LoadFile reads and validates a WebSocket API definition.
func LoadFile(path string) (*API, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("WebSocket API definition: %w", err)
	}
	return Load(path, data)
}

// Load decodes a WebSocket API definition strictly (unknown fields are
// errors; YAML anchors and merge keys work) and validates it, reporting
// every problem at once as a *LoadError. source names the file in errors.
func Load(source string, data []byte) (*API, error) {
	var f apiFile
	var p problems
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) == 1 && root.Content[0].Kind != yaml.MappingNode {
		p.addf("(document)", "the file must be one YAML mapping with name, protocolType, routeSelectionExpression, integrations, routes and stages (see fixtures/apis/reference.websocket.yaml)")
		return nil, &LoadError{Source: source, Problems: p}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		var te *yaml.TypeError
		switch {
		case errors.Is(err, io.EOF):
			p.addf("(document)", "the file is empty; start from fixtures/apis/reference.websocket.yaml")
		case errors.As(err, &te):
			// The decoder filled what it could: report these and keep
			// validating the rest.
			for _, msg := range te.Errors {
				p.addf("(document)", "%s; remove the field or fix its name or type (see fixtures/apis/reference.websocket.yaml for every accepted field)", msg)
			}
		default:
			p.addf("(document)", "%s; the file must be one YAML mapping (see fixtures/apis/reference.websocket.yaml)", strings.TrimPrefix(err.Error(), "yaml: "))
			return nil, &LoadError{Source: source, Problems: p}
		}
	}
	api := f.build(&p)
	if len(p) > 0 {
		return nil, &LoadError{Source: source, Problems: p}
	}
	api.Source = source
	return api, nil
}

// build validates f and converts it; problems go to p.
func (f *apiFile) build(p *problems) *API {
	api := &API{
		Name:                      f.Name,
		RouteSelectionExpression:  f.RouteSelectionExpression,
		APIKeySelectionExpression: f.APIKeySelectionExpression,
		APIKeys:                   f.APIKeys,
		Integrations:              map[string]*Integration{},
		Routes:                    map[string]*Route{},
		Stages:                    map[string]*Stage{},
	}
	switch {
	case f.Name == "":
		p.addf("name", "missing; name the API, e.g. `name: my-websocket-api`")
	case len(f.Name) > 128:
		p.addf("name", "%d characters; use at most 128", len(f.Name))
	}
	if f.ProtocolType != "WEBSOCKET" {
		p.addf("protocolType", "%q is not supported; this loader reads WebSocket APIs only: set `protocolType: WEBSOCKET`", f.ProtocolType)
	}
	if f.RouteSelectionExpression == "" {
		p.addf("routeSelectionExpression", "missing; set it to the message field that names the route, e.g. `$request.body.action`")
	} else if sel, err := parseSelectionExpr(f.RouteSelectionExpression); err != nil {
		p.addf("routeSelectionExpression", "%v", err)
	} else {
		api.selector = sel
	}
	if api.APIKeySelectionExpression == "" {
		api.APIKeySelectionExpression = defaultAPIKeySelection // AWS's default
	}
	if _, ok := apiKeyHeader(api.APIKeySelectionExpression); !ok {
		p.addf("apiKeySelectionExpression", "%q is not supported; use `$request.header.<name>`, e.g. %s (the emulator has no authorizers, so $context.authorizer.usageIdentifierKey cannot be used)",
			api.APIKeySelectionExpression, defaultAPIKeySelection)
	}
	seen := map[string]bool{}
	for i, k := range f.APIKeys {
		field := fmt.Sprintf("apiKeys[%d]", i)
		if k.Name == "" || len(k.Name) > 1024 {
			p.addf(field+".name", "must be 1–1024 characters; name the key")
		}
		if !apiKeyValueRE.MatchString(k.Value) {
			p.addf(field+".value", "must be 20–128 letters or digits (API Gateway's rule); use a longer alphanumeric value")
		}
		if seen[k.Value] {
			p.addf(field+".value", "the same value is listed twice; give each key its own value")
		}
		seen[k.Value] = true
	}

	for _, name := range sortedKeys(f.Integrations) {
		in := buildIntegration(name, f.Integrations[name], p)
		for _, m := range in.params {
			api.readsHandshake = api.readsHandshake || m.source == fromHeader || m.source == fromQuery
		}
		api.Integrations[name] = in
	}
	if len(f.Routes) == 0 {
		p.addf("routes", "no routes; add at least `$default: {target: <integration>}`")
	}
	for _, key := range sortedKeys(f.Routes) {
		if r := buildRoute(key, f.Routes[key], api, p); r != nil {
			api.Routes[key] = r
		}
	}
	if len(f.Stages) == 0 {
		p.addf("stages", "no stages; add one, e.g. `stages: {ws: {stageVariables: {backend: 127.0.0.1:9090}}}`")
	}
	for _, name := range sortedKeys(f.Stages) {
		api.Stages[name] = buildStage(name, f.Stages[name], p)
	}
	return api
}

// apiKeyHeader returns the header an apiKeySelectionExpression names.
func apiKeyHeader(expr string) (string, bool) {
	name, ok := strings.CutPrefix(expr, "$request.header.")
	return name, ok && headerNameRE.MatchString(name)
}

func buildIntegration(name string, in integrationFile, p *problems) *Integration {
	field := "integrations." + name
	out := &Integration{
		Name:              name,
		Type:              in.IntegrationType,
		Method:            in.IntegrationMethod,
		URI:               in.IntegrationURI,
		Timeout:           DefaultIntegrationTimeout,
		RequestParameters: in.RequestParameters,
	}
	switch in.IntegrationType {
	case "HTTP", "HTTP_PROXY":
	case "":
		p.addf(field+".integrationType", "missing; set `integrationType: HTTP` (or HTTP_PROXY)")
	default:
		p.addf(field+".integrationType", "%q is not supported by the emulator; use HTTP or HTTP_PROXY", in.IntegrationType)
	}
	if !slices.Contains(integrationMethods, in.IntegrationMethod) {
		p.addf(field+".integrationMethod", "%q is not an HTTP method; set `integrationMethod: POST` (or one of %s)", in.IntegrationMethod, strings.Join(integrationMethods, ", "))
	}
	checkIntegrationURI(field+".integrationUri", in.IntegrationURI, p)
	if in.TimeoutInMillis != nil {
		ms := *in.TimeoutInMillis
		if ms < minTimeoutMillis || ms > maxTimeoutMillis {
			p.addf(field+".timeoutInMillis", "%d is outside %d–%d (AWS's range for WebSocket APIs); pick a value inside it or omit it for %d",
				ms, minTimeoutMillis, maxTimeoutMillis, maxTimeoutMillis)
		} else {
			out.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	for _, target := range sortedKeys(in.RequestParameters) {
		m, err := compileParam(target, in.RequestParameters[target])
		if err != nil {
			p.addf(fmt.Sprintf("%s.requestParameters[%q]", field, target), "%v", err)
			continue
		}
		out.params = append(out.params, m)
	}
	return out
}

// checkIntegrationURI accepts an absolute http(s) URL in which
// ${stageVariables.name} may stand for any part.
func checkIntegrationURI(field, uri string, p *problems) {
	if uri == "" {
		p.addf(field, "missing; set the backend URL, e.g. `http://${stageVariables.backend}/ws/events`")
		return
	}
	for _, m := range stageVarRefRE.FindAllStringSubmatch(uri, -1) {
		if !stageVarNameRE.MatchString(m[1]) {
			p.addf(field, "${stageVariables.%s}: variable names are 1–64 letters, digits or _", m[1])
		}
	}
	// A placeholder host-and-path-safe value stands in for each variable.
	probe := stageVarRefRE.ReplaceAllString(uri, "x")
	if strings.Contains(probe, "${") {
		p.addf(field, "only ${stageVariables.<name>} may be substituted in an integration URI; remove the other ${...}")
		return
	}
	u, err := url.Parse(probe)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.addf(field, "%q is not an absolute http:// or https:// URL; write e.g. `http://${stageVariables.backend}/ws/events`", uri)
	}
}

func buildRoute(key string, in routeFile, api *API, p *problems) *Route {
	field := "routes." + key
	switch {
	case key == RouteConnect || key == RouteDisconnect || key == RouteDefault:
	case strings.HasPrefix(key, "$"):
		p.addf(field, "custom route keys may not start with $ (only $connect, $disconnect and $default are predefined); rename the route")
	case len(key) > 128:
		p.addf(field, "route keys are at most 128 characters; shorten it")
	}
	r := &Route{Key: key, Target: in.Target, APIKeyRequired: in.APIKeyRequired, AuthorizationType: in.AuthorizationType, RouteResponseSelectionExpression: in.RouteResponseSelectionExpression}
	switch in.AuthorizationType {
	case "", AuthorizationNone:
		r.AuthorizationType = AuthorizationNone
	case AuthorizationIAM:
		if key != RouteConnect {
			p.addf(field+".authorizationType", "authorization applies only on $connect (it then covers the whole connection); move it to the $connect route")
		}
	default:
		p.addf(field+".authorizationType", "%q is not NONE or AWS_IAM (Lambda authorizers are not emulated)", in.AuthorizationType)
	}
	if in.Target == "" {
		p.addf(field+".target", "missing; name one of the integrations (%s)", strings.Join(sortedKeys(api.Integrations), ", "))
	} else if target := api.Integrations[in.Target]; target == nil {
		p.addf(field+".target", "integration %q is not defined; define it under integrations or fix the name", r.Target)
	} else {
		r.Integration = target
	}
	if in.APIKeyRequired {
		switch {
		case key != RouteConnect:
			p.addf(field+".apiKeyRequired", "API keys are checked only on $connect (they then cover the whole connection); move apiKeyRequired to the $connect route")
		case len(api.APIKeys) == 0:
			p.addf(field+".apiKeyRequired", "no apiKeys are defined, so every connection would be refused; add `apiKeys: [{name: ..., value: ...}]`")
		}
	}
	switch in.RouteResponseSelectionExpression {
	case "":
	case "$default":
		if key == RouteDisconnect {
			p.addf(field+".routeResponseSelectionExpression", "$disconnect runs after the socket closed, so nothing can be returned; remove it")
		}
	default:
		p.addf(field+".routeResponseSelectionExpression", "%q is not supported; only `$default` is (AWS supports only the $default route-response key)", in.RouteResponseSelectionExpression)
	}
	return r
}

func buildStage(name string, in stageFile, p *problems) *Stage {
	field := "stages." + name
	if !stageNameRE.MatchString(name) {
		p.addf(field, "stage names are 1–128 letters, digits, - or _; rename the stage")
	}
	if len(in.StageVariables) > maxStageVariables {
		p.addf(field+".stageVariables", "%d variables; a stage may have at most %d", len(in.StageVariables), maxStageVariables)
	}
	for _, k := range sortedKeys(in.StageVariables) {
		if !stageVarNameRE.MatchString(k) {
			p.addf(field+".stageVariables."+k, "variable names are 1–64 letters, digits or _; rename it")
		}
		if v := in.StageVariables[k]; !stageVarValueRE.MatchString(v) {
			p.addf(field+".stageVariables."+k, "value %q must be 1–512 characters from A-Z a-z 0-9 - . _ ~ : / ? # & = , ; change the value", v)
		}
	}
	s := &Stage{Name: name, Variables: in.StageVariables, IdleTimeout: DefaultIdleTimeout, MaxConnectionDuration: DefaultMaxConnectionDuration}
	if s.Variables == nil {
		s.Variables = map[string]string{}
	}
	parse := func(sub, raw string, into *time.Duration) {
		if raw == "" {
			return
		}
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			p.addf(field+"."+sub, "%q is not a positive Go duration; write e.g. 1s, 500ms or 10m", raw)
			return
		}
		*into = d
	}
	parse("x-gatecheck-idleTimeout", in.IdleTimeout, &s.IdleTimeout)
	parse("x-gatecheck-maxConnectionDuration", in.MaxConnectionDuration, &s.MaxConnectionDuration)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
