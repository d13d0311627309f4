package mapping_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func testEnv(body string) *mapping.Env {
	req := httptest.NewRequest("POST", "/test/items/7?q=from-query&both=query-wins&empty=&multi=1&multi=2", nil)
	req.Header.Set("X-Hdr", "from-header")
	req.Header.Set("Both", "header-loses")
	req.Header.Set("Id", "header-id")
	req.Header.Set("Empty", "header-for-empty-query")
	req.Header.Set("User-Agent", "gatecheck-test/1")
	req.RemoteAddr = "192.0.2.7:5555"
	c := &request.Context{
		ID:             "0b5e2a4c-1111-4222-8333-944445555666",
		ExtendedID:     "ZkLN2F0zIAMEbXQ=",
		Start:          time.UnixMilli(1700000000123),
		SourceIP:       "192.0.2.7",
		API:            &restapi.API{Name: "my-api", RestAPIID: "a1b2c3d4e5"},
		Stage:          &restapi.Stage{StageName: "test"},
		StageVariables: map[string]string{"version": "v1", "host": "backend:9090"},
		Method:         &restapi.Method{HTTPMethod: "POST", ResourcePath: "/items/{id}"},
		PathParams:     map[string]string{"id": "7", "emptyPath": ""},
	}
	if body != "" {
		c.Body = []byte(body)
	}
	return &mapping.Env{Request: req, Ctx: c}
}

func TestRender(t *testing.T) {
	e := testEnv(`{"a":1}`)
	for _, tc := range []struct{ tmpl, want string }{
		{"no references", "no references"},
		{"", ""},
		{"$context.requestId", "0b5e2a4c-1111-4222-8333-944445555666"},
		{"${context.requestId}", "0b5e2a4c-1111-4222-8333-944445555666"},
		{"id=${context.requestId}x", "id=0b5e2a4c-1111-4222-8333-944445555666x"},
		{"id=$context.requestId.", "id=0b5e2a4c-1111-4222-8333-944445555666."},
		{"$context.stage/$context.resourcePath", "test//items/{id}"},
		{"$!context.stage", "test"},
		{"$!{context.stage}", "test"},
		{"[$!{stageVariables.version}]", "[v1]"},
		{"$stageVariables.version", "v1"},
		{"${stageVariables.host}", "backend:9090"},
		{"http://${stageVariables.host}/x", "http://backend:9090/x"},
		{"[$stageVariables.undefined]", "[]"},
		{"[${stageVariables.undefined}]", "[]"},
		{"[$context.noSuchThing]", "[]"},
		{"$context.extendedRequestId", "ZkLN2F0zIAMEbXQ="},
		{"$context.httpMethod $context.path", "POST /test/items/7"},
		{"$context.apiId", "a1b2c3d4e5"}, // the id, not the title
		{"$context.requestTimeEpoch", "1700000000123"},
		{"$context.isCanaryRequest", "false"},
		{"$context.identity.sourceIp", "192.0.2.7"},
		{"$context.identity.userAgent", "gatecheck-test/1"},
		{"[$context.error.message]", "[]"},
		{"$input.body", `{"a":1}`},
		{"$input.json('$')", `{"a":1}`},
		{`$input.json("$")`, `{"a":1}`},
		{"$input.json('$.a')", "1"},
		{"$input.path('$.a')", "1"},
		{"$input.params('id')", "7"},
		{"$input.params('q')", "from-query"},
		{"$input.params('X-Hdr')", "from-header"},
		{`$input.params("q")`, "from-query"},
		{"$input.params( 'q' )", "from-query"},
		{"${input.params('q')}", "from-query"},
		// Unknown references render empty, as API Gateway renders them;
		// a dollar that starts no reference is text.
		{"$foo", ""},
		{"[$!foo]", "[]"},
		{"$foo.bar baz", " baz"},
		{"price: $5.00", "price: $5.00"},
		{"$", "$"},
		{"$$", "$$"},
		{"a$", "a$"},
		{"$input.params", ""},
		{"$input.json", ""},
		{"${}", "${}"},
		{"#if($x)y#end", ""},
		{"#if($context.stage == 'test')y#end", "y"},
		{`{"message":"$context.stage"}`, `{"message":"test"}`},
	} {
		if got, err := e.Render(tc.tmpl); err != nil || got != tc.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
}

func TestRenderSyntaxErrors(t *testing.T) {
	e := testEnv("")
	for _, tmpl := range []string{"${context.requestId", "$input.params('q'", "#if($x)", "#end", "#set($x)", "#foreach($i in)#end"} {
		if got, err := e.Render(tmpl); err == nil {
			t.Errorf("Render(%q) = %q, want a syntax error", tmpl, got)
		}
	}
}

func TestRenderInputJSON(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":[1,2]}`:            `{"a":[1,2]}`,
		`[1]`:                    `[1]`,
		`"s"`:                    `"s"`,
		`{ "b" : [ 1 , 2.50 ] }`: `{"b":[1,2.5]}`, // re-encoded compactly
		`not json`:               `"not json"`,    // a body that is not JSON is the string itself
		``:                       `{}`,            // an empty body is {}
	} {
		if got, err := testEnv(body).Render("$input.json('$')"); err != nil || got != want {
			t.Errorf("body %q: $input.json('$') = %q, %v; want %q", body, got, err, want)
		}
	}
	// OBS (LocalStack PR #12413, validated against AWS): an empty body is {}.
	if got, err := testEnv("").Render("[$input.body]"); err != nil || got != "[{}]" {
		t.Errorf("empty $input.body = %q, %v", got, err)
	}
}

func TestParamOrder(t *testing.T) {
	e := testEnv("")
	for name, want := range map[string]string{
		"id":        "7",           // path beats the Id header
		"q":         "from-query",  // query
		"both":      "query-wins",  // query beats header
		"X-Hdr":     "from-header", // header only
		"x-hdr":     "from-header", // header names are case-insensitive
		"multi":     "1",           // first query value
		"empty":     "header-for-empty-query",
		"emptyPath": "", // a declared but empty path parameter still wins
		"nothing":   "",
	} {
		if got := e.Param(name); got != want {
			t.Errorf("Param(%q) = %q, want %q", name, got, want)
		}
		if got, _ := e.Render("$input.params('" + name + "')"); got != want {
			t.Errorf("$input.params(%q) = %q, want %q", name, got, want)
		}
	}
	// Without a request only path parameters are visible.
	e.Request = nil
	if e.Param("id") != "7" || e.Param("q") != "" {
		t.Errorf("no request: id=%q q=%q", e.Param("id"), e.Param("q"))
	}
}

func TestResolve(t *testing.T) {
	e := testEnv("")
	e.Error = &mapping.Error{Message: `bad "thing"`, ResponseType: "BAD_REQUEST_BODY", ValidationError: "[x]"}
	e.Ctx.IsCanary = true
	e.IntegrationHeaders = http.Header{"X-Backend": {"b1"}}
	e.IntegrationBody = []byte(`{"r":1}`)
	for src, want := range map[string]string{
		"'literal value'":                       "literal value",
		"''":                                    "",
		"method.request.path.id":                "7",
		"method.request.path.none":              "",
		"method.request.querystring.q":          "from-query",
		"method.request.querystring.multi":      "1",
		"method.request.header.X-Hdr":           "from-header",
		"method.request.header.x-hdr":           "from-header",
		"stageVariables.version":                "v1",
		"stageVariables.none":                   "",
		"context.requestId":                     "0b5e2a4c-1111-4222-8333-944445555666",
		"context.stage":                         "test",
		"context.isCanaryRequest":               "true",
		"context.error.message":                 `bad "thing"`,
		"context.error.messageString":           `"bad \"thing\""`,
		"context.error.responseType":            "BAD_REQUEST_BODY",
		"context.error.validationErrorString":   "[x]",
		"integration.response.header.X-Backend": "b1",
		"integration.response.body":             `{"r":1}`,
	} {
		got, ok := e.Resolve(src)
		if !ok || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", src, got, ok, want)
		}
		if e.Value(src) != want {
			t.Errorf("Value(%q) = %q", src, e.Value(src))
		}
	}
	for _, src := range []string{"'", "method.response.header.x", "body.x", "", "$context.requestId"} {
		if got, ok := e.Resolve(src); ok || got != "" {
			t.Errorf("Resolve(%q) = %q, %v; want unsupported", src, got, ok)
		}
		if e.Value(src) != "" {
			t.Errorf("Value(%q) = %q", src, e.Value(src))
		}
	}
	e.Request = nil
	for _, src := range []string{"method.request.querystring.q", "method.request.header.X-Hdr", "context.httpMethod", "context.path", "context.identity.userAgent"} {
		if got, ok := e.Resolve(src); got != "" || !ok {
			t.Errorf("no request: Resolve(%q) = %q, %v", src, got, ok)
		}
	}
}

func TestEmptyContext(t *testing.T) {
	// A bare context (no stage, method or API yet) renders empty values, never panics.
	e := &mapping.Env{Request: httptest.NewRequest("GET", "/x", nil), Ctx: &request.Context{}}
	if got, err := e.Render("[$context.stage|$context.resourcePath|$context.apiId|$stageVariables.v|$input.params('p')|$context.error.messageString]"); err != nil || got != "[|||||]" {
		t.Errorf("got %q, %v", got, err)
	}
}
