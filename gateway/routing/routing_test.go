package routing_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/routing"
)

// routed is what the next stage saw.
type routed struct {
	called   bool
	resource string
	method   string
	stage    string
	params   map[string]string
	vars     map[string]string
}

// router builds a routing stage for resources (path -> methods) whose next
// stage records the routing result into *got.
func router(t *testing.T, resources map[string][]string, stages []restapi.Stage, got *routed) http.Handler {
	t.Helper()
	api := &restapi.API{Name: "t", GatewayResponses: map[string]restapi.GatewayResponse{}}
	for path, methods := range resources {
		res := &restapi.Resource{Path: path, Methods: map[string]*restapi.Method{}}
		for _, m := range methods {
			res.Methods[m] = &restapi.Method{HTTPMethod: m, ResourcePath: path, Integration: restapi.Integration{Type: restapi.Mock}}
		}
		api.Resources = append(api.Resources, res)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := request.From(r.Context())
		*got = routed{called: true, resource: c.Resource.Path, method: c.Method.HTTPMethod, stage: c.Stage.StageName, params: c.PathParams, vars: c.StageVariables}
		if c.Method.ResourcePath != c.Resource.Path {
			t.Errorf("method %q belongs to %q, routed to resource %q", c.Method.HTTPMethod, c.Method.ResourcePath, c.Resource.Path)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s := routing.New(api, canary.NewStages(stages), gatewayresponse.New(api), next)
	// The pipeline's first stage attaches the request context; do the same.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, request.With(r, &request.Context{}))
	})
}

var testStages = []restapi.Stage{{StageName: "test", Variables: map[string]string{"v": "1"}}, {StageName: "prod"}}

// precedenceAPI exercises literal > variable > greedy and backtracking. The
// /mixed variable and greedy siblings are not loadable through restapi.Load
// (sibling variables), but the router must still order them.
var precedenceAPI = map[string][]string{
	"/":                  {"GET"},
	"/items":             {"GET", "POST"},
	"/items/special":     {"GET"},
	"/items/{id}":        {"GET", "DELETE"},
	"/items/{id}/parts":  {"GET"},
	"/files/{proxy+}":    {restapi.AnyMethod},
	"/a/b/c":             {"GET"},
	"/{x}/b/d":           {"GET"},
	"/mixed/{id}":        {"GET"},
	"/mixed/{id}/leaf":   {"GET"},
	"/mixed/{rest+}":     {"GET", "PUT"},
	"/both":              {"GET", restapi.AnyMethod},
	"/deep/{a}/{b}/{c+}": {"GET"},
}

func TestRouteMatching(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		resource       string // "" = 403
		httpMethod     string
		params         map[string]string
	}{
		{"GET", "/test/items/special", "/items/special", "GET", map[string]string{}},
		{"GET", "/test/items/42", "/items/{id}", "GET", map[string]string{"id": "42"}},
		{"DELETE", "/test/items/42", "/items/{id}", "DELETE", map[string]string{"id": "42"}},
		{"GET", "/test/items/42/parts", "/items/{id}/parts", "GET", map[string]string{"id": "42"}},
		{"GET", "/test/items/special/parts", "/items/{id}/parts", "GET", map[string]string{"id": "special"}}, // literal fails deeper, variable matches
		{"GET", "/test/items/42/nope", "", "", nil},
		{"GET", "/test/files/a", "/files/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "a"}},
		{"PATCH", "/test/files/a/b/c.txt", "/files/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "a/b/c.txt"}},
		{"GET", "/test/files", "", "", nil}, // a greedy variable needs at least one segment
		{"GET", "/test/a/b/c", "/a/b/c", "GET", map[string]string{}},
		{"GET", "/test/a/b/d", "/{x}/b/d", "GET", map[string]string{"x": "a"}}, // backtracks out of the /a literal
		{"GET", "/test/z/b/d", "/{x}/b/d", "GET", map[string]string{"x": "z"}},
		{"GET", "/test/a/b", "", "", nil},
		{"GET", "/test/mixed/1", "/mixed/{id}", "GET", map[string]string{"id": "1"}},
		{"GET", "/test/mixed/1/leaf", "/mixed/{id}/leaf", "GET", map[string]string{"id": "1"}},
		{"GET", "/test/mixed/1/2", "/mixed/{rest+}", "GET", map[string]string{"rest": "1/2"}}, // variable branch fails, greedy takes the rest
		{"GET", "/test/mixed/1/leaf/x", "/mixed/{rest+}", "GET", map[string]string{"rest": "1/leaf/x"}},
		{"GET", "/test/deep/1/2/3/4", "/deep/{a}/{b}/{c+}", "GET", map[string]string{"a": "1", "b": "2", "c": "3/4"}},
		{"GET", "/test/", "/", "GET", map[string]string{}},
		{"GET", "/test", "/", "GET", map[string]string{}},
		{"GET", "/test/items/", "/items", "GET", map[string]string{}}, // trailing slash
		{"GET", "/test/items/42/", "/items/{id}", "GET", map[string]string{"id": "42"}},
		{"GET", "/test/items//parts", "/items/{id}", "GET", map[string]string{"id": "parts"}}, // empty segments do not count (GET //hardcoded routes to /hardcoded, AWS-REC)
		{"GET", "/test//items", "/items", "GET", map[string]string{}},
		{"GET", "/test//items//", "/items", "GET", map[string]string{}},
		{"GET", "/test//", "/", "GET", map[string]string{}},
		{"GET", "/test/files//a//b/", "/files/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "a/b"}},
		{"DELETE", "/test/items/special", "/items/{id}", "DELETE", map[string]string{"id": "special"}}, // the literal lacks DELETE: its variable sibling serves it
		{"PUT", "/test/mixed/1", "/mixed/{rest+}", "PUT", map[string]string{"rest": "1"}},              // the variable lacks PUT: the greedy sibling serves it
		{"PUT", "/test/mixed/1/leaf", "/mixed/{rest+}", "PUT", map[string]string{"rest": "1/leaf"}},
		{"POST", "/test/mixed/1", "", "", nil}, // no sibling has POST
		{"GET", "/test/items/hello%20world", "/items/{id}", "GET", map[string]string{"id": "hello world"}},
		{"GET", "/test/items/a%2Fb", "/items/{id}", "GET", map[string]string{"id": "a/b"}}, // an encoded slash stays in its segment
		{"GET", "/test/items/caf%C3%A9", "/items/{id}", "GET", map[string]string{"id": "café"}},
		{"GET", "/test/items/%7Bid%7D", "/items/{id}", "GET", map[string]string{"id": "{id}"}},
		{"GET", "/test/items/spec%69al", "/items/special", "GET", map[string]string{}}, // decoded before matching
		{"GET", "/test/files/x%20y/z%3F", "/files/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "x y/z?"}},
		{"GET", "/t%65st/items/1", "/items/{id}", "GET", map[string]string{"id": "1"}}, // encoded stage name
		{"GET", "/prod/items/1", "/items/{id}", "GET", map[string]string{"id": "1"}},
		{"POST", "/test/items", "/items", "POST", map[string]string{}},
		{"PUT", "/test/items", "", "", nil}, // known path, unknown method
		{"PATCH", "/test/items/1", "", "", nil},
		{"GET", "/test/both", "/both", "GET", map[string]string{}},
		{"POST", "/test/both", "/both", restapi.AnyMethod, map[string]string{}}, // ANY fallback
		{"get", "/test/items", "", "", nil},                                     // methods are case-sensitive
		{"GET", "/staging/items", "", "", nil},                                  // unknown stage
		{"GET", "/TEST/items", "", "", nil},                                     // stage names are case-sensitive
		{"GET", "/", "", "", nil},
		{"GET", "/test/ITEMS", "", "", nil},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			var got routed
			h := router(t, precedenceAPI, testStages, &got)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if tc.resource == "" {
				if got.called {
					t.Fatalf("routed to %s %s, want 403", got.method, got.resource)
				}
				assertMissingAuthToken(t, rec)
				return
			}
			if !got.called {
				t.Fatalf("not routed: %d %s", rec.Code, rec.Body)
			}
			if got.resource != tc.resource || got.method != tc.httpMethod {
				t.Errorf("routed to %s %s, want %s %s", got.method, got.resource, tc.httpMethod, tc.resource)
			}
			if !maps.Equal(got.params, tc.params) {
				t.Errorf("params = %v, want %v", got.params, tc.params)
			}
		})
	}
}

// TestRouteMethodFallsBackToSibling: API Gateway routes on the (resource,
// method) pair, so a method a specific resource lacks is served by a less
// specific sibling that has it (evidence topic 7).
func TestRouteMethodFallsBackToSibling(t *testing.T) {
	// The example: a root greedy resource next to a literal one.
	rootProxy := map[string][]string{
		"/":           {"GET"},
		"/{proxy+}":   {restapi.AnyMethod},
		"/items":      {"GET"},
		"/items/{id}": {"GET"},
	}
	// AWS-REC: LocalStack TestApigatewayRouting::
	// test_routing_with_hardcoded_resource_sibling_order (validated
	// 2024-02-24): /test POST, /test/any ANY, /{proxy+} OPTIONS only.
	recorded := map[string][]string{
		"/test":     {"POST"},
		"/test/any": {restapi.AnyMethod},
		"/{proxy+}": {"OPTIONS"},
	}
	for _, tc := range []struct {
		name           string
		api            map[string][]string
		method, target string
		resource       string // "" = 403
		httpMethod     string
		params         map[string]string
	}{
		{"literal has the method", rootProxy, "GET", "/test/items", "/items", "GET", map[string]string{}},
		{"literal lacks the method", rootProxy, "POST", "/test/items", "/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "items"}},
		{"OPTIONS like any method", rootProxy, "OPTIONS", "/test/items", "/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "items"}},
		{"variable lacks the method", rootProxy, "DELETE", "/test/items/1", "/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "items/1"}},
		{"variable has the method", rootProxy, "GET", "/test/items/1", "/items/{id}", "GET", map[string]string{"id": "1"}},
		{"trailing slash", rootProxy, "POST", "/test/items/", "/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "items"}},
		{"double slash", rootProxy, "GET", "/test//items", "/items", "GET", map[string]string{}},
		{"unknown path", rootProxy, "GET", "/test/other/x", "/{proxy+}", restapi.AnyMethod, map[string]string{"proxy": "other/x"}},
		{"root has only GET", rootProxy, "POST", "/test/", "", "", nil}, // a greedy variable needs a segment
		{"root GET", rootProxy, "GET", "/test", "/", "GET", map[string]string{}},
		{"recorded OPTIONS /test", recorded, "OPTIONS", "/test/test", "/{proxy+}", "OPTIONS", map[string]string{"proxy": "test"}},
		{"recorded POST /test", recorded, "POST", "/test/test", "/test", "POST", map[string]string{}},
		{"recorded OPTIONS /test/any", recorded, "OPTIONS", "/test/test/any", "/test/any", restapi.AnyMethod, map[string]string{}},
		{"recorded GET /test/any", recorded, "GET", "/test/test/any", "/test/any", restapi.AnyMethod, map[string]string{}},
		{"recorded GET /test", recorded, "GET", "/test/test", "", "", nil}, // no resource has GET or ANY for it
		{"recorded OPTIONS elsewhere", recorded, "OPTIONS", "/test/a/b", "/{proxy+}", "OPTIONS", map[string]string{"proxy": "a/b"}},
		{"recorded GET elsewhere", recorded, "GET", "/test/a", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got routed
			h := router(t, tc.api, testStages, &got)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if tc.resource == "" {
				if got.called {
					t.Fatalf("%s %s routed to %s %s, want 403", tc.method, tc.target, got.method, got.resource)
				}
				assertMissingAuthToken(t, rec)
				return
			}
			if !got.called {
				t.Fatalf("%s %s not routed: %d %s", tc.method, tc.target, rec.Code, rec.Body)
			}
			if got.resource != tc.resource || got.method != tc.httpMethod || !maps.Equal(got.params, tc.params) {
				t.Errorf("%s %s routed to %s %s %v, want %s %s %v", tc.method, tc.target, got.method, got.resource, got.params, tc.httpMethod, tc.resource, tc.params)
			}
		})
	}
}

func TestRouteStageVariables(t *testing.T) {
	var got routed
	h := router(t, precedenceAPI, testStages, &got)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/test/items", nil))
	if got.stage != "test" || got.vars["v"] != "1" {
		t.Errorf("stage %q vars %v", got.stage, got.vars)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/prod/items", nil))
	if got.stage != "prod" || len(got.vars) != 0 {
		t.Errorf("stage %q vars %v", got.stage, got.vars)
	}
}

// headerValue reads a header whatever the case of its key in the map (the
// gateway writes AWS's exact-case names directly into the map).
func headerValue(h http.Header, name string) (string, int) {
	var v string
	n := 0
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			n += len(vs)
			if len(vs) > 0 {
				v = vs[0]
			}
		}
	}
	return v, n
}

func assertGatewayError(t *testing.T, status int, h http.Header, body []byte, wantStatus int, errorType, message string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status = %d, want %d", status, wantStatus)
	}
	if v, n := headerValue(h, "x-amzn-ErrorType"); v != errorType || n != 1 {
		t.Errorf("x-amzn-ErrorType = %q (%d values), want %q", v, n, errorType)
	}
	if ct, _ := headerValue(h, "Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	if len(m) != 1 || m["message"] != message {
		t.Errorf("body = %s, want {\"message\":%q}", body, message)
	}
}

func assertMissingAuthToken(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	assertGatewayError(t, rec.Code, rec.Header(), rec.Body.Bytes(), http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	if got := rec.Body.String(); got != `{"message":"Missing Authentication Token"}` {
		t.Errorf("body = %s", got)
	}
	if _, ok := rec.Header()["x-amzn-ErrorType"]; !ok {
		t.Errorf("x-amzn-ErrorType not written with AWS's exact case: %v", rec.Header())
	}
}

// TestNotFoundOnTheWire checks the 403 as a client sees it.
func TestNotFoundOnTheWire(t *testing.T) {
	var got routed
	srv := httptest.NewServer(router(t, precedenceAPI, testStages, &got))
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	for _, tc := range []struct{ method, path string }{
		{"GET", "/nostage/items"},
		{"GET", "/test/unknown"},
		{"PUT", "/test/items"},
		{"OPTIONS", "/test/items/1"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assertGatewayError(t, resp.StatusCode, resp.Header, body, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		if resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
			t.Errorf("%s %s: canonical x-amzn-ErrorType missing: %v", tc.method, tc.path, resp.Header)
		}
		if resp.ContentLength != int64(len(`{"message":"Missing Authentication Token"}`)) {
			t.Errorf("Content-Length = %d", resp.ContentLength)
		}
	}
	if got.called {
		t.Error("next stage called for an unmatched request")
	}
}

func TestBearerAuthorizationOnUnknownRoute(t *testing.T) {
	var got routed
	h := router(t, precedenceAPI, testStages, &got)
	const auth = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"
	sum := sha256.Sum256([]byte(auth))
	want := "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '" + base64.StdEncoding.EncodeToString(sum[:]) + "'."

	for _, target := range []string{"/test/unknown", "/nostage/x"} {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assertGatewayError(t, rec.Code, rec.Header(), rec.Body.Bytes(), http.StatusForbidden, "IncompleteSignatureException", want)
	}
	// Wrong method on a known path behaves the same.
	req := httptest.NewRequest("PUT", "/test/items", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	sum = sha256.Sum256([]byte("Basic dXNlcjpwYXNz"))
	assertGatewayError(t, rec.Code, rec.Header(), rec.Body.Bytes(), http.StatusForbidden, "IncompleteSignatureException",
		"Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '"+base64.StdEncoding.EncodeToString(sum[:])+"'.")

	// A SigV4 header on an unknown path is the plain missing-token 403.
	req = httptest.NewRequest("GET", "/test/unknown", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assertMissingAuthToken(t, rec)

	if got.called {
		t.Fatal("next stage called for an unmatched request")
	}
	// On a known route the Authorization header is not the router's business.
	req = httptest.NewRequest("GET", "/test/items", nil)
	req.Header.Set("Authorization", auth)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !got.called || rec.Code != http.StatusNoContent {
		t.Errorf("known route with Bearer: called=%v status=%d", got.called, rec.Code)
	}
}

func TestCustomisedMissingAuthenticationToken(t *testing.T) {
	status := 404
	api := &restapi.API{
		Resources: []*restapi.Resource{{Path: "/a", Methods: map[string]*restapi.Method{"GET": {HTTPMethod: "GET", ResourcePath: "/a"}}}},
		GatewayResponses: map[string]restapi.GatewayResponse{
			"MISSING_AUTHENTICATION_TOKEN": {
				StatusCode:         &status,
				ResponseParameters: map[string]string{"gatewayresponse.header.x-hint": "'x'"},
				ResponseTemplates:  map[string]string{"application/json": `{"type":"$context.error.responseType","stage":"$context.stage"}`},
			},
		},
	}
	s := routing.New(api, canary.NewStages(testStages), gatewayresponse.New(api), http.NotFoundHandler())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, request.With(httptest.NewRequest("GET", "/test/b", nil), &request.Context{}))
	if rec.Code != 404 || rec.Header().Get("X-Hint") != "x" || rec.Body.String() != `{"type":"MISSING_AUTHENTICATION_TOKEN","stage":"test"}` {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestRouteReferenceAPI(t *testing.T) {
	api, err := restapi.LoadFile("../../fixtures/apis/reference.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf, err := restapi.LoadStageFile("../../fixtures/apis/reference.stages.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got routed
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := request.From(r.Context())
		got = routed{called: true, resource: c.Resource.Path, method: c.Method.HTTPMethod, params: c.PathParams, stage: c.Stage.StageName}
	})
	s := routing.New(api, canary.NewStages(sf.Stages), gatewayresponse.New(api), next)
	for _, tc := range []struct {
		method, target, resource string
		params                   map[string]string
	}{
		{"GET", "/test/inspect", "/inspect", map[string]string{}},
		{"DELETE", "/test/inspect/a/b", "/inspect/{proxy+}", map[string]string{"proxy": "a/b"}},
		{"GET", "/test/delay/250", "/delay/{ms}", map[string]string{"ms": "250"}},
		{"POST", "/test/echo", "/echo", map[string]string{}},
		{"PUT", "/test/lambda", "/lambda", map[string]string{}},
		{"GET", "/test/echo", "", nil},
		{"GET", "/test/delay", "", nil},
	} {
		got = routed{}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, request.With(httptest.NewRequest(tc.method, tc.target, nil), &request.Context{}))
		if tc.resource == "" {
			if got.called {
				t.Errorf("%s %s routed to %s", tc.method, tc.target, got.resource)
			}
			if v, _ := headerValue(rec.Header(), "x-amzn-ErrorType"); rec.Code != 403 || v != "MissingAuthenticationTokenException" {
				t.Errorf("%s %s: %d %v", tc.method, tc.target, rec.Code, rec.Header())
			}
			continue
		}
		if got.resource != tc.resource || !maps.Equal(got.params, tc.params) || got.stage != "test" {
			t.Errorf("%s %s: got %+v, want %s %v", tc.method, tc.target, got, tc.resource, tc.params)
		}
	}
	// The reference API's DEFAULT_4XX customisation applies to the 403.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, request.With(httptest.NewRequest("GET", "/test/nope", nil), &request.Context{}))
	if rec.Code != 403 || rec.Header().Get("X-Gatecheck-Default") != "4xx" || rec.Body.String() != `{"message":"Missing Authentication Token","type":"MISSING_AUTHENTICATION_TOKEN"}` {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
