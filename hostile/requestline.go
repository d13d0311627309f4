package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Labels of the answers the request-line categories document.
const (
	missingToken = "403 MissingAuthenticationTokenException"
	badPath      = "422 BadRequestException" // BAD_REQUEST_PARAMETERS, customised to 422 by the reference API
)

// rawGet is a GET of target with the headers every probe sends.
func rawGet(target string, headers ...string) string {
	return rawRequest("GET", target, "HTTP/1.1", headers...)
}

func rawRequest(method, target, proto string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " " + proto + "\r\nHost: gatecheck-hostile\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	return b.String()
}

// rawProbe is a probe that sends raw to the gateway and allows exactly
// one label, judged by check.
func rawProbe(raw, label string, check func(*response) string) Probe {
	return Probe{Request: describe(raw), Allowed: []string{label}, Send: func(ctx context.Context, env *Env) Outcome {
		return single(ctx, env.Gateway, raw, check)
	}}
}

// echoesMethod checks the fixture's inspect document names method.
func echoesMethod(method string) func(*response) string {
	return func(r *response) string {
		doc, problem := inspected(r)
		if problem == "" && doc.Request.Method != method {
			problem = fmt.Sprintf("the fixture saw method %.40q, not %.40q", doc.Request.Method, method)
		}
		return problem
	}
}

// Methods sends request lines whose method is not a token, is lower or
// mixed case, unknown, or very long.
func Methods() Category {
	notTokens := []string{"G(T", "G@T", "GET:", "{GET}", "G,T", "G/T", "G;T", "G=T", "G?T", "[GET]", `"GET"`, "G\x01T", "GÉT", "G\\T", "G\x7fT"}
	tokens := []string{"get", "Get", "pOsT", "delete", "head", "options", "FOO", "PROPFIND", "BREW", "M-SEARCH", "X!#$%&'*+.^_`|~", "PURGE", "LINK", "get ", "CONNECT", "TRACE"}
	return Category{
		Name:    "methods",
		Allowed: []string{"200", "400", missingToken, "431"},
		Weight:  8,
		New: func(i int, env *Env) Probe {
			rng := env.rng("methods", i)
			route := []string{"/inspect/m", "/echo", "/nothing"}[rng.IntN(3)]
			target := "/" + env.Stage + route
			var method string
			switch i % 4 {
			case 0:
				method = notTokens[rng.IntN(len(notTokens))]
				// Not a token: net/http refuses the request line.
				return rawProbe(rawGetMethod(method, target), "400", netHTTPText)
			case 1, 2:
				method = strings.TrimSpace(tokens[rng.IntN(len(tokens))])
			default:
				n := []int{1000, 8000, 30000, 60000, 80000}[rng.IntN(5)]
				method = strings.Repeat(string(rune('A'+rng.IntN(26))), n)
				if n > 64<<10+4<<10 { // net/http's header limit, request line included
					return rawProbe(rawGetMethod(method, target), "431", netHTTPText)
				}
			}
			if route == "/inspect/m" {
				// The ANY method passes any token on (AWS: UNCONFIRMED).
				return rawProbe(rawGetMethod(method, target), "200", echoesMethod(method))
			}
			return rawProbe(rawGetMethod(method, target), missingToken, gatewayJSON("Missing Authentication Token"))
		},
	}
}

func rawGetMethod(method, target string) string { return rawRequest(method, target, "HTTP/1.1") }

// Targets sends absolute-form, asterisk-form, authority-form and other
// odd request targets.
func TargetForms() Category {
	type variant struct {
		target func(stage string) string
		method string
		label  string
		check  func(*response) string
	}
	inspect := func(r *response) string { _, p := inspected(r); return p }
	variants := []variant{
		{func(s string) string { return "http://evil.example/" + s + "/inspect/abs" }, "GET", "200", inspect},
		{func(s string) string { return "https://evil.example:1/" + s + "/inspect/abs?x=1" }, "GET", "200", inspect},
		{func(s string) string { return "ftp://evil.example/" + s + "/inspect/abs" }, "GET", "200", inspect},
		{func(s string) string { return "http://user:pw@evil.example/" + s + "/inspect/abs" }, "GET", "200", inspect},
		{func(s string) string { return "http://evil.example/" + s + "/nothing" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "http://evil.example" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "*" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "*" }, "POST", missingToken, gatewayJSON("Missing Authentication Token")},
		// net/http answers OPTIONS * itself (RFC 9110 §9.3.7: the server as a whole).
		{func(s string) string { return "*" }, "OPTIONS", "200", emptyAnswer},
		{func(s string) string { return "evil.example:443" }, "CONNECT", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "//" + s + "/inspect" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return s + "/inspect" }, "GET", "400", netHTTPText},
		{func(s string) string { return "?x=1" }, "GET", "400", netHTTPText},
		// net/http keeps a fragment in the path (RFC 9112 allows none in a request target).
		{func(s string) string { return "/" + s + "/inspect#frag" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "/" + strings.ToUpper(s) + "/inspect" }, "GET", missingToken, gatewayJSON("Missing Authentication Token")},
		{func(s string) string { return "/%74" + s[1:] + "/inspect/enc" }, "GET", "200", inspect},
	}
	return Category{
		Name:    "request-targets",
		Allowed: []string{"200", "400", missingToken},
		Weight:  4,
		New: func(i int, env *Env) Probe {
			v := variants[i%len(variants)]
			return rawProbe(rawRequest(v.method, v.target(env.Stage), "HTTP/1.1"), v.label, v.check)
		},
	}
}

// emptyAnswer checks net/http's own answer to OPTIONS *: no body, and
// not the gateway's or the fixture's.
func emptyAnswer(r *response) string {
	if len(r.body) != 0 || r.fromFixture() || r.header.Get("X-Amzn-Requestid") != "" {
		return fmt.Sprintf("not net/http's empty OPTIONS * answer: %.80q", r.body)
	}
	return ""
}

// DotSegments sends paths with literal and encoded dot segments and
// encoded separators under the greedy /inspect/{proxy+} resource, aiming
// at the fixture's other endpoints. The security property: nothing
// reaches the fixture outside the integration's prefix /inspect, checked
// on every answer and, after the run, on the fixture's counters of the
// run's scope.
func DotSegments() Category {
	pieces := []string{"a", "b", ".", "..", "%2e", "%2E%2e", ".%2e", "%2e.", "..%2F", "%2F..", "..%2f..", "..%5C", "..%5c..", `..\`, "%2e%2e%2f", "%252e%252e", "..;", "...", "%2e%2e%00", ".%00.", "a%2F..%2F..", "%c0%ae%c0%ae"}
	// The fixture's endpoints that are no resource of the API: resolving
	// into another resource of the stage is routing, not an escape.
	escapes := []string{"counters", "counters/reset", "healthz", "ws/events", "ws/callbacks", "2015-03-31/functions/x/invocations", "nothing"}
	return Category{
		Name:    "dot-segments",
		Allowed: []string{"200", missingToken, badPath},
		Weight:  10,
		New: func(i int, env *Env) Probe {
			rng := env.rng("dot-segments", i)
			var segs []string
			for range 1 + rng.IntN(6) {
				segs = append(segs, pieces[rng.IntN(len(pieces))])
			}
			path := "/" + env.Stage + "/inspect/" + strings.Join(segs, "/") + "/" + escapes[rng.IntN(len(escapes))]
			raw := rawGet(path, "X-Gatecheck-Scope: "+dotScope(env))
			return Probe{Request: describe(raw), Allowed: []string{"200", missingToken, badPath}, Send: func(ctx context.Context, env *Env) Outcome {
				return single(ctx, env.Gateway, raw, func(r *response) string {
					switch {
					case r.status == 200:
						_, p := inspected(r)
						return p
					case r.fromFixture():
						return fmt.Sprintf("the fixture answered %d: the request left the integration's prefix", r.status)
					case r.status == 422:
						return jsonMessage(r, "Invalid request path: a path segment hides a dot segment (. or ..) behind an encoded separator")
					}
					return jsonMessage(r, "")
				})
			}}
		},
		Verify: func(ctx context.Context, env *Env, _ int) []string {
			return scopeOnlyInspect(ctx, env, dotScope(env))
		},
	}
}

func dotScope(env *Env) string { return "hostile-dots-" + env.Nonce }

// scopeOnlyInspect checks on the fixture's counters that the requests of
// scope reached no route but inspect.
func scopeOnlyInspect(ctx context.Context, env *Env, scope string) []string {
	rs, errL := roundTrip(ctx, exchange{addr: env.Fixture, payload: []byte(rawGet("/counters?scope=" + scope)), methods: []string{"GET"}})
	if len(rs) == 0 || rs[0].status != 200 {
		return []string{fmt.Sprintf("could not read the fixture's counters of scope %s: %s", scope, errL)}
	}
	var c struct {
		ScopeRoutes map[string]int64 `json:"scopeRoutes"`
	}
	if err := json.Unmarshal(rs[0].body, &c); err != nil {
		return []string{fmt.Sprintf("the fixture's counters of scope %s are not JSON: %v", scope, err)}
	}
	var problems []string
	for route, n := range c.ScopeRoutes {
		if route != "inspect" && n > 0 {
			problems = append(problems, fmt.Sprintf("%d request(s) of scope %s reached the fixture's %s route, outside the integration's prefix /inspect", n, scope, route))
		}
	}
	return problems
}

// PercentEncoding sends invalid and odd percent-encoding in the path and
// the query.
func PercentEncoding() Category {
	type variant struct {
		path  string // after /{stage}
		label string
	}
	variants := []variant{
		{"/inspect/%zz", "400"}, {"/inspect/%", "400"}, {"/inspect/%g1", "400"}, {"/inspect/%1", "400"},
		{"/%zz/inspect", "400"}, {"/inspect/a%2", "400"}, {"/inspect/%%41", "400"}, {"/inspect/%u0041", "400"},
		{"/inspect/%00", "200"}, {"/inspect/%C0%AF", "200"}, {"/inspect/%ff%fe", "200"}, {"/inspect/a%2Fb", "200"},
		{"/inspect/%252F", "200"}, {"/inspect?q=%zz", "200"}, {"/inspect?%", "200"}, {"/inspect?q=%", "200"},
		{"/inspect/%e2%82%ac", "200"}, {"/inspect/\x80\xff", "200"}, {"/inspect/a\x01b", "400"}, {"/inspect/a\x7fb", "400"},
		{"/inspect/%7e%41", "200"}, {"/nothing/%zz", "400"}, {"/nothing/%41", missingToken},
	}
	return Category{
		Name:    "percent-encoding",
		Allowed: []string{"200", "400", missingToken},
		Weight:  6,
		New: func(i int, env *Env) Probe {
			v := variants[i%len(variants)]
			raw := rawGet("/" + env.Stage + v.path)
			var check func(*response) string
			switch v.label {
			case "200":
				check = func(r *response) string { _, p := inspected(r); return p }
			case "400":
				check = netHTTPText
			default:
				check = gatewayJSON("Missing Authentication Token")
			}
			return rawProbe(raw, v.label, check)
		},
	}
}

// pick returns one of xs.
func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// HTTPVersions sends other protocol versions, malformed version strings
// and HTTP/1.1 requests with a missing, repeated or malformed Host.
func HTTPVersions() Category {
	type variant struct {
		line  string // the request line's end: the version and the headers
		label string
	}
	variants := []variant{
		{"HTTP/1.2\r\nHost: gatecheck-hostile", "200"}, {"HTTP/1.9\r\nHost: gatecheck-hostile", "200"},
		{"HTTP/1.0", "200"}, {"HTTP/1.0\r\nHost: gatecheck-hostile", "200"},
		{"HTTP/2.0\r\nHost: gatecheck-hostile", "505"}, {"HTTP/3.0\r\nHost: gatecheck-hostile", "505"}, {"HTTP/9.9\r\nHost: gatecheck-hostile", "505"},
		{"HTTP/1\r\nHost: gatecheck-hostile", "400"}, {"http/1.1\r\nHost: gatecheck-hostile", "400"}, {"HTTP/01.1\r\nHost: gatecheck-hostile", "400"},
		{"HTTP/1.10\r\nHost: gatecheck-hostile", "400"}, {"HTTPS/1.1\r\nHost: gatecheck-hostile", "400"}, {"HTTP/1.1 \r\nHost: gatecheck-hostile", "400"},
		{"HTTP/1.1", "400"}, {"HTTP/1.1\r\nHost: a\r\nHost: b", "400"}, {"HTTP/1.1\r\nHost: a b", "400"}, {"HTTP/1.1\r\nHost: a/b", "400"},
	}
	return Category{
		Name:    "http-versions",
		Allowed: []string{"200", "400", "505"},
		Weight:  3,
		New: func(i int, env *Env) Probe {
			v := variants[i%len(variants)]
			raw := "GET /" + env.Stage + "/inspect " + v.line + "\r\nConnection: close\r\n\r\n"
			check := netHTTPText
			if v.label == "200" {
				check = func(r *response) string { _, p := inspected(r); return p }
			}
			return rawProbe(raw, v.label, check)
		},
	}
}
