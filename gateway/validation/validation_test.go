package validation_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/validation"
)

func method(v *restapi.RequestValidator) *restapi.Method {
	schema := openapi3.NewObjectSchema().WithProperty("name", openapi3.NewStringSchema())
	schema.Required = []string{"name"}
	return &restapi.Method{
		HTTPMethod: "POST", ResourcePath: "/items/{id}",
		Parameters: []restapi.Parameter{
			{In: "path", Name: "id", Required: true},
			{In: "query", Name: "q1", Required: true},
			{In: "header", Name: "X-Token", Required: true},
			{In: "query", Name: "optional"},
		},
		Validator:     v,
		RequestModels: map[string]*openapi3.Schema{"application/json": schema},
	}
}

func run(m *restapi.Method, target string, hdr map[string]string, params map[string]string, body string) (*httptest.ResponseRecorder, bool) {
	if hdr == nil {
		hdr = map[string]string{"Content-Type": "application/json"}
	}
	called := false
	s := &validation.Stage{Responder: gatewayresponse.New(nil), Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		w.WriteHeader(http.StatusOK)
	})}
	req := httptest.NewRequest("POST", target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &request.Context{Method: m, PathParams: params}
	if body != "" {
		c.Body = []byte(body)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, request.With(req, c))
	return rec, called
}

func message(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	return m["message"]
}

func TestRequiredParameters(t *testing.T) {
	m := method(&restapi.RequestValidator{Name: "params", ValidateRequestParameters: true})
	all := map[string]string{"X-Token": "t"}
	if rec, called := run(m, "/test/items/1?q1=a", all, map[string]string{"id": "1"}, ""); !called || rec.Code != 200 {
		t.Errorf("all present: %d called=%v", rec.Code, called)
	}
	rec, called := run(m, "/test/items/1?q1=", nil, map[string]string{}, "")
	if called {
		t.Fatal("next called with missing parameters")
	}
	if rec.Code != 400 || rec.Header()["x-amzn-ErrorType"][0] != "BadRequestException" {
		t.Errorf("got %d %v", rec.Code, rec.Header())
	}
	// Ordered as AWS orders them: header, path, querystring (AWS-REC).
	if got := message(t, rec); got != "Missing required request parameters: [X-Token, id, q1]" {
		t.Errorf("message = %q", got)
	}
	rec, _ = run(m, "/test/items/1?q1=a", nil, map[string]string{"id": "1"}, "")
	if got := message(t, rec); got != "Missing required request parameters: [X-Token]" {
		t.Errorf("message = %q", got)
	}
	// Body validation is off for this validator: an invalid body passes.
	if _, called := run(m, "/test/items/1?q1=a", all, map[string]string{"id": "1"}, "not json"); !called {
		t.Error("body validated although validateRequestBody is false")
	}
}

func TestNoValidator(t *testing.T) {
	if rec, called := run(method(nil), "/test/items/1", nil, nil, "not json"); !called || rec.Code != 200 {
		t.Errorf("no validator: %d called=%v", rec.Code, called)
	}
	s := &validation.Stage{Responder: gatewayresponse.New(nil), Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil)) // no method routed yet
	if rec.Code != 204 {
		t.Errorf("unrouted request: %d", rec.Code)
	}
}

func TestRequestBody(t *testing.T) {
	m := method(&restapi.RequestValidator{Name: "body", ValidateRequestBody: true})
	for body, ok := range map[string]bool{
		`{"name":"x"}`:       true,
		`{"name":"x","y":1}`: true,
		`{"name":5}`:         false,
		`{}`:                 false,
		`[]`:                 false,
		`not json`:           false,
		``:                   false,
		`{"name":"x"} trail`: false,
	} {
		rec, called := run(m, "/test/items/1", nil, nil, body)
		if called != ok {
			t.Errorf("body %q: passed=%v, want %v", body, called, ok)
		}
		if !ok && (rec.Code != 400 || message(t, rec) != "Invalid request body") {
			t.Errorf("body %q: %d %s", body, rec.Code, rec.Body)
		}
	}
}

// TestRequestBodyByContentType: the model for the request's content type
// validates the body; "$default" covers any other; with neither the body
// is not validated (DOC); no Content-Type is application/json (AWS-REC).
func TestRequestBodyByContentType(t *testing.T) {
	named := openapi3.NewObjectSchema().WithProperty("name", openapi3.NewStringSchema())
	named.Required = []string{"name"}
	counted := openapi3.NewObjectSchema().WithProperty("n", openapi3.NewIntegerSchema())
	counted.Required = []string{"n"}
	v := &restapi.RequestValidator{Name: "body", ValidateRequestBody: true}
	jsonOnly := &restapi.Method{HTTPMethod: "POST", Validator: v, RequestModels: map[string]*openapi3.Schema{"application/json": named}}
	withDefault := &restapi.Method{HTTPMethod: "POST", Validator: v, RequestModels: map[string]*openapi3.Schema{"application/json": named, "$default": counted}}
	for _, tc := range []struct {
		name        string
		m           *restapi.Method
		contentType string // "-" = none
		body        string
		pass        bool
	}{
		{"json model, valid", jsonOnly, "application/json", `{"name":"x"}`, true},
		{"json model, invalid", jsonOnly, "application/json", `{"n":1}`, false},
		{"json model with charset", jsonOnly, "application/json; charset=utf-8", `{"n":1}`, false},
		{"media type case", jsonOnly, "Application/JSON", `{"n":1}`, false},
		{"no Content-Type is application/json", jsonOnly, "-", `{"n":1}`, false},
		{"no Content-Type, empty body", jsonOnly, "-", ``, false},
		{"no matching model: not validated", jsonOnly, "text/plain", `not json at all`, true},
		{"$default for another type, valid", withDefault, "text/plain", `{"n":1}`, true},
		{"$default for another type, invalid", withDefault, "application/xml", `{"name":"x"}`, false},
		{"$default for another type, not JSON", withDefault, "text/plain", `n=1`, false},
		{"the type's own model wins over $default", withDefault, "application/json", `{"name":"x"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.contentType != "-" {
				hdr["Content-Type"] = tc.contentType
			}
			rec, called := run(tc.m, "/test/x", hdr, nil, tc.body)
			if called != tc.pass {
				t.Fatalf("passed=%v, want %v (%d %s)", called, tc.pass, rec.Code, rec.Body)
			}
			if !tc.pass && (rec.Code != 400 || message(t, rec) != "Invalid request body") {
				t.Errorf("%d %s, want 400 Invalid request body", rec.Code, rec.Body)
			}
		})
	}
}
