package integration

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/routing"
)

// hopHeaders are connection-level headers that never cross the gateway
// under their own name (some come back renamed x-amzn-Remapped-<name>, as
// AWS does: headers.go).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// isHopHeader reports a connection-level header by its canonical name.
// Backend and Lambda headers come in any spelling ("transfer-encoding"),
// and net/http writes a non-canonical key as it is: one left in a response
// would frame it twice (Content-Length and chunked), a response smuggling
// vector.
var isHopHeader = func() map[string]bool {
	m := make(map[string]bool, len(hopHeaders))
	for _, h := range hopHeaders {
		m[h] = true
	}
	return m
}()

var pathVarRE = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)\}`)

// httpProxy forwards the request as it came: method, headers, query, body.
func (s *Stage) httpProxy(ctx context.Context, r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	env := &mapping.Env{Request: r, Ctx: c}
	u, err := backendURL(in, env, r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	method := in.HTTPMethod
	if method == restapi.AnyMethod {
		method = r.Method
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(c.Body))
	if err != nil {
		return nil, fail(gatewayresponse.APIConfigurationError, err)
	}
	for k, v := range r.Header {
		if _, drop := droppedFromProxyRequest.lookup(k); !drop {
			req.Header[k] = v
		}
	}
	if strings.HasPrefix(req.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		req.Header.Del("Authorization") // SigV4 headers are dropped before the backend (spec §9)
	}
	if err := applyMappedHeaders(req, in, env, restapi.HTTPProxy); err != nil {
		return nil, err
	}
	addGatewayHeaders(req.Header, c)
	addForwardedHeaders(req.Header, r, c)
	res, err := s.do(req)
	if err != nil {
		return nil, err
	}
	res.header = responseHeaders(res.header, proxyRules)
	return res, nil
}

// httpCustom is the non-proxy HTTP integration: only mapped parameters reach
// the backend (client headers are not forwarded, AWS-REC), the body goes
// through the request templates, and the response goes through the
// integration responses.
func (s *Stage) httpCustom(ctx context.Context, r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	env := &mapping.Env{Request: r, Ctx: c}
	body, err := requestBody(in, env, r)
	if err != nil {
		return nil, err
	}
	u, err := backendURL(in, env, "")
	if err != nil {
		return nil, err
	}
	method := in.HTTPMethod
	if method == restapi.AnyMethod {
		method = r.Method
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(body))
	if err != nil {
		return nil, fail(gatewayresponse.APIConfigurationError, err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && hasBody(r.Method) {
		req.Header.Set("Content-Type", ct)
	}
	if err := applyMappedHeaders(req, in, env, restapi.HTTP); err != nil {
		return nil, err
	}
	addGatewayHeaders(req.Header, c)
	applyRequestOverrides(req, env)
	res, err := s.do(req)
	if err != nil {
		return nil, err
	}
	// The trace id is added by ServeHTTP (setTraceHeader), for every
	// integration type that carries one.
	return mapResponse(in, env, res, strconv.Itoa(res.status))
}

// backendURL renders the integration URI: stage variables, then {path}
// variables from requestParameters (integration.request.path.X) or, when
// unmapped, the method's path parameter of the same name; then mapped query
// strings and, for proxies, the client's query.
func backendURL(in *restapi.Integration, env *mapping.Env, clientQuery string) (*url.URL, error) {
	raw := env.Substitute(in.URI)
	dotSegment := false
	raw = pathVarRE.ReplaceAllStringFunc(raw, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := env.Ctx.PathParams[name]
		if src, mapped := in.RequestParameters["integration.request.path."+name]; mapped {
			v, ok = env.Resolve(src)
		}
		if ov, set := requestPathOverride(env, name); set {
			v, ok = ov, true
		}
		if !ok {
			return m
		}
		if routing.IsDotSegment(v) {
			// A backend that resolves dot segments would leave the
			// integration's path prefix (routing refuses such request
			// paths; this catches values mapped from elsewhere).
			dotSegment = true
			return m
		}
		if !env.Ctx.Method.IsGreedy(name) {
			return url.PathEscape(v) // an encoded slash stays encoded
		}
		segs := strings.Split(v, "/")
		for i := range segs {
			segs[i] = url.PathEscape(segs[i])
		}
		return strings.Join(segs, "/")
	})
	if dotSegment {
		return nil, &failure{typ: gatewayresponse.BadRequestParameters, msg: routing.InvalidPathMessage}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if err == nil {
			err = errors.New("no host")
		}
		return nil, fail(gatewayresponse.APIConfigurationError, errors.New("invalid integration endpoint "+raw+": "+err.Error()))
	}
	q := u.RawQuery
	add := func(part string) {
		if part == "" {
			return
		}
		if q != "" {
			q += "&"
		}
		q += part
	}
	for target, src := range in.RequestParameters {
		if name, ok := strings.CutPrefix(target, "integration.request.querystring."); ok {
			if v, ok := env.Resolve(src); ok {
				add(url.QueryEscape(name) + "=" + url.QueryEscape(v))
			}
		}
	}
	add(clientQuery)
	u.RawQuery = q
	return u, nil
}

// responseHeaders applies a proxy's response header rules to a backend's
// headers or a Lambda proxy result's.
func responseHeaders(in http.Header, rules *responseRules) http.Header {
	out := make(http.Header, len(in))
	for k, v := range in {
		rules.add(out, k, v)
	}
	return out
}

// requestBody applies the request template for the request's content type
// under the passthrough behaviour (DG: WHEN_NO_MATCH is the default).
func requestBody(in *restapi.Integration, env *mapping.Env, r *http.Request) (string, error) {
	env, err := requestPayload(env, r, in) // binary.go: contentHandling, binary media types
	if err != nil {
		return "", err
	}
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	if ct == "" {
		ct = request.DefaultMediaType
	}
	if tmpl, ok := in.RequestTemplates[ct]; ok {
		return renderTemplate(env, tmpl)
	}
	switch in.PassthroughBehavior {
	case "NEVER":
		return "", fail(gatewayresponse.UnsupportedMediaType, nil)
	case "WHEN_NO_TEMPLATES":
		if len(in.RequestTemplates) > 0 {
			return "", fail(gatewayresponse.UnsupportedMediaType, nil)
		}
	}
	return string(env.Ctx.Body), nil
}

// mapResponse selects the integration response whose selection pattern
// matches key (the backend status for HTTP, the mock's statusCode) or the
// default one, and renders it. With none, API Gateway fails with a
// configuration error ("No match for output mapping").
func mapResponse(in *restapi.Integration, env *mapping.Env, res *result, key string) (*result, error) {
	chosen, ok := in.ResponseFor(key)
	if !ok {
		res.release()
		return nil, fail(gatewayresponse.APIConfigurationError, errors.New("no match for output mapping and no default output mapping"))
	}
	status, _ := strconv.Atoi(chosen.StatusCode)
	// Only mapped headers reach the client, under the type's rules; the
	// backend's own (its Content-Type too) do not. Without a mapped
	// Content-Type the response is application/json, template or not
	// (AWS-REC "no-param-integration"; ServeHTTP adds the default), and a
	// mapped one wins (AWS-REC "full-integration").
	out := http.Header{}
	rules := rulesFor(in.Type)
	renv := *env
	renv.IntegrationHeaders = res.header
	renv.IntegrationBody = res.body.Bytes()
	for target, src := range chosen.ResponseParameters {
		if name, ok := strings.CutPrefix(target, "method.response.header."); ok {
			if v, ok := renv.Resolve(src); ok {
				rules.add(out, name, []string{v})
			}
		}
	}
	if err := responsePayload(env.Ctx, env.Request, chosen, res); err != nil { // binary.go
		res.release()
		return nil, err
	}
	if tmpl, ok := chosen.ResponseTemplates[request.DefaultMediaType]; ok {
		ctx := *env.Ctx
		ctx.Body = res.body.Bytes()
		renv.Ctx = &ctx
		rendered, err := renderTemplate(&renv, tmpl)
		if err != nil {
			res.release()
			return nil, err
		}
		res.body.Reset()
		res.body.WriteString(rendered)
	}
	status = applyResponseOverrides(status, out, renv.Overrides)
	res.status, res.header = status, out
	return res, nil
}

// renderTemplate renders a request or response mapping template. Every
// template goes through here so a change of template engine touches one
// place; a template that fails is a configuration error (500).
func renderTemplate(env *mapping.Env, tmpl string) (string, error) {
	out, err := env.Render(tmpl)
	if err != nil {
		return "", fail(gatewayresponse.APIConfigurationError, err)
	}
	return out, nil
}
