package websocket

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../fixtures/apis/"

func loadFixture(t *testing.T, name string) *API {
	t.Helper()
	api, err := LoadFile(fixtures + name)
	if err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	return api
}

func TestLoadReferenceDefinition(t *testing.T) {
	api := loadFixture(t, "reference.websocket.yaml")
	if api.ID() != "gatecheck-websocket" || api.APIKeySelectionExpression != "$request.header.x-api-key" || len(api.APIKeys) != 1 {
		t.Errorf("ID %q, API key selection %q, keys %v", api.ID(), api.APIKeySelectionExpression, api.APIKeys)
	}
	if len(api.Routes) != 10 || len(api.Integrations) != 3 || len(api.Stages) != 2 {
		t.Errorf("%d routes, %d integrations, %d stages; want 10, 3, 2", len(api.Routes), len(api.Integrations), len(api.Stages))
	}
	connect := api.Routes[RouteConnect]
	if !connect.APIKeyRequired || connect.Integration != api.Integrations["connect"] {
		t.Errorf("$connect = %+v", connect)
	}
	if !api.Routes[RouteDefault].ReturnsResponse() || !api.Routes["reply"].ReturnsResponse() || api.Routes["echo"].ReturnsResponse() {
		t.Error("route responses: want $default and reply only")
	}
	// connect's requestParameters merge the backend's (<<: *context) and add three.
	params := api.Integrations["connect"].RequestParameters
	if len(params) != 9 || params["integration.request.header.X-Gatecheck-Reject"] != "route.request.querystring.reject" ||
		params["integration.request.header.X-Gatecheck-Connection-Id"] != "context.connectionId" {
		t.Errorf("connect requestParameters = %v", params)
	}
	if got := len(api.Integrations["slow"].params); got != 6 { // an alias of the backend's
		t.Errorf("slow has %d mappings, want 6", got)
	}
	if api.Integrations["slow"].Timeout != time.Second || api.Integrations["backend"].Timeout != 29*time.Second {
		t.Errorf("timeouts %v, %v", api.Integrations["slow"].Timeout, api.Integrations["backend"].Timeout)
	}
	if s := api.Stages["short"]; s.IdleTimeout != time.Second || s.MaxConnectionDuration != 3*time.Second {
		t.Errorf("short stage lifetimes %v, %v", s.IdleTimeout, s.MaxConnectionDuration)
	}
	if s := api.Stages["ws"]; s.IdleTimeout != 10*time.Minute || s.MaxConnectionDuration != 2*time.Hour || s.Variables["backend"] != "127.0.0.1:9090" {
		t.Errorf("ws stage = %+v (want AWS's 10m and 2h)", s)
	}
	if !api.readsHandshake {
		t.Error("the Reject mapping reads the handshake query")
	}
	api.SetVariable("backend", "127.0.0.1:1")
	if api.Stages["ws"].Variables["backend"] != "127.0.0.1:1" || api.Stages["short"].Variables["backend"] != "127.0.0.1:1" {
		t.Error("SetVariable did not reach every stage")
	}
}

func TestLoadNoDefaultDefinition(t *testing.T) {
	api := loadFixture(t, "reference.websocket-nodefault.yaml")
	if api.Routes[RouteDefault] != nil || api.Routes[RouteConnect] == nil || api.Routes[RouteConnect].APIKeyRequired {
		t.Errorf("routes = %v", api.Routes)
	}
	if api.APIKeySelectionExpression != "$request.header.x-api-key" {
		t.Errorf("default apiKeySelectionExpression = %q", api.APIKeySelectionExpression)
	}
}

// Every problem is reported at once, each naming its field and a fix.
func TestLoadReportsEveryProblem(t *testing.T) {
	const bad = `
name: broken
protocolType: HTTP
routeSelectionExpression: $request.header.action
apiKeySelectionExpression: $context.authorizer.usageIdentifierKey
apiKeys:
  - {name: short, value: abc}
integrations:
  backend:
    integrationType: AWS_PROXY
    integrationMethod: FETCH
    integrationUri: ftp://${stageVariables.backend}/x
    timeoutInMillis: 30000
    requestParameters:
      integration.request.header.X-Id: context.nope
      integration.request.path.id: context.connectionId
      integration.request.querystring.q: body.x
routes:
  echo: {target: nope}
  $custom: {target: backend}
  other: {target: backend, apiKeyRequired: true, routeResponseSelectionExpression: $request.body.x}
stages:
  "bad stage": {stageVariables: {"bad-name": "v", ok: "white space"}, x-gatecheck-idleTimeout: soon}
`
	_, err := Load("fixtures/apis/x.yaml", []byte(bad))
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want *LoadError", err)
	}
	want := map[string]string{ // field → a word of the fix
		"protocolType":                           "WEBSOCKET",
		"routeSelectionExpression":               "$request.body.action",
		"apiKeySelectionExpression":              "$request.header.x-api-key",
		"apiKeys[0].value":                       "20–128",
		"integrations.backend.integrationType":   "HTTP_PROXY",
		"integrations.backend.integrationMethod": "POST",
		"integrations.backend.integrationUri":    "http://",
		"integrations.backend.timeoutInMillis":   "29000",
		`integrations.backend.requestParameters["integration.request.header.X-Id"]`:   "context.connectionId",
		`integrations.backend.requestParameters["integration.request.path.id"]`:       "integration.request.header.<name>",
		`integrations.backend.requestParameters["integration.request.querystring.q"]`: "route.request.querystring.<name>",
		"routes.echo.target":                            "define it under integrations",
		"routes.$custom":                                "rename",
		"routes.other.apiKeyRequired":                   "$connect",
		"routes.other.routeResponseSelectionExpression": "$default",
		"stages.bad stage":                              "rename",
		"stages.bad stage.stageVariables.bad-name":      "rename",
		"stages.bad stage.stageVariables.ok":            "change the value",
		"stages.bad stage.x-gatecheck-idleTimeout":      "10m",
	}
	got := map[string]string{}
	for _, p := range le.Problems {
		got[p.Field] += p.Message
	}
	for field, fix := range want {
		if !strings.Contains(got[field], fix) {
			t.Errorf("%s: got %q, want a message containing %q", field, got[field], fix)
		}
	}
	// The error text is one line per problem: source: field: message.
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "fixtures/apis/x.yaml: ") {
			t.Errorf("line without the source: %q", line)
		}
	}
	if !strings.Contains(err.Error(), `fixtures/apis/x.yaml: routes.echo.target: integration "nope" is not defined; define it under integrations or fix the name`) {
		t.Errorf("error text:\n%v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	const base = "name: a\nprotocolType: WEBSOCKET\nrouteSelectionExpression: $request.body.action\n" +
		"integrations: {b: {integrationType: HTTP, integrationMethod: POST, integrationUri: 'http://x/'}}\n" +
		"routes: {$default: {target: b}}\nstages: {ws: {}}\n"
	for _, tc := range []struct{ name, yaml, field, fix string }{
		{"empty file", "", "(document)", "reference.websocket.yaml"},
		{"not a mapping", "- a\n- b\n", "(document)", "mapping"},
		{"unknown field", base + "colour: blue\n", "(document)", "field colour not found"},
		{"unknown route field", strings.Replace(base, "{target: b}", "{target: b, auth: x}", 1), "(document)", "remove the field"},
		{"no routes", strings.Replace(base, "routes: {$default: {target: b}}", "routes: {}", 1), "routes", "$default"},
		{"no stages", strings.Replace(base, "stages: {ws: {}}", "stages: {}", 1), "stages", "add one"},
		{"IAM off $connect", strings.Replace(base, "{target: b}", "{target: b, authorizationType: AWS_IAM}", 1), "routes.$default.authorizationType", "only on $connect"},
		{"unknown authorization", strings.Replace(base, "routes: {$default: {target: b}}", "routes: {$connect: {target: b, authorizationType: CUSTOM}}", 1), "routes.$connect.authorizationType", "NONE or AWS_IAM"},
		{"key without apiKeys", strings.Replace(base, "routes: {$default: {target: b}}", "routes: {$connect: {target: b, apiKeyRequired: true}}", 1), "routes.$connect.apiKeyRequired", "add `apiKeys"},
		{"timeout too small", strings.Replace(base, "integrationUri: 'http://x/'", "integrationUri: 'http://x/', timeoutInMillis: 49", 1), "integrations.b.timeoutInMillis", "50–29000"},
		{"unclosed expression", strings.Replace(base, "$request.body.action", "${request.body.action", 1), "routeSelectionExpression", "not closed"},
		{"literal-only expression", strings.Replace(base, "$request.body.action", "action", 1), "routeSelectionExpression", "selects nothing"},
		{"bad stage variable reference", strings.Replace(base, "'http://x/'", "'http://${stageVariables.a-b}/'", 1), "integrations.b.integrationUri", "letters, digits or _"},
		{"duration not positive", strings.Replace(base, "ws: {}", "ws: {x-gatecheck-maxConnectionDuration: 0s}", 1), "stages.ws.x-gatecheck-maxConnectionDuration", "positive"},
		{"duplicate key values", base + "apiKeys: [{name: a, value: aaaaaaaaaaaaaaaaaaaaaa}, {name: b, value: aaaaaaaaaaaaaaaaaaaaaa}]\n", "apiKeys[1].value", "own value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("x.yaml", []byte(tc.yaml))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LoadError", err)
			}
			for _, p := range le.Problems {
				if p.Field == tc.field && strings.Contains(p.Message, tc.fix) {
					return
				}
			}
			t.Errorf("no problem at %s mentioning %q in:\n%v", tc.field, tc.fix, err)
		})
	}
	if _, err := Load("x.yaml", []byte(base)); err != nil {
		t.Errorf("the base definition should load: %v", err)
	}
}

func TestRouteSelection(t *testing.T) {
	for _, tc := range []struct{ expr, msg, want string }{
		{"$request.body.action", `{"action":"echo"}`, "echo"},
		{"${request.body.action}", `{"action":"echo"}`, "echo"},
		{"$request.body.action", `{"other":1}`, ""},
		{"$request.body.action", `{"action":1.50}`, "1.50"},
		{"$request.body.action", `{"action":true}`, "true"},
		{"$request.body.action", `{"action":null}`, ""},
		{"$request.body.action", `{"action":{"b":[1, 2]}}`, `{"b":[1,2]}`},
		{"$request.body.meta.kind", `{"meta":{"kind":"deep"}}`, "deep"},
		{"$request.body.meta.kind", `{"meta":"flat"}`, ""},
		{"$request.body.action", `[1,2]`, ""},
		{"${request.body.service}/${request.body.action}", `{"service":"users","action":"get"}`, "users/get"},
		{"v1:${request.body.service}/${request.body.action}!", `{"service":"users"}`, "v1:users/!"},
	} {
		sel, err := parseSelectionExpr(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got, ok := sel.eval([]byte(tc.msg)); !ok || got != tc.want {
			t.Errorf("%s on %s = %q, %v; want %q", tc.expr, tc.msg, got, ok, tc.want)
		}
	}
	sel, _ := parseSelectionExpr("$request.body.action")
	for _, notJSON := range []string{"hello", `{"action":"x"} trailing`, "", `{"action":`} {
		if _, ok := sel.eval([]byte(notJSON)); ok {
			t.Errorf("%q evaluated as JSON", notJSON)
		}
	}
}
