package integration_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// An encoded slash inside an ordinary path parameter stays encoded; a greedy
// parameter keeps its slashes as path separators.
func TestPathParameterSlashes(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	host := strings.TrimPrefix(srv.URL, "http://")
	in := restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: "http://" + host + "/items/{id}/{rest}"}
	c := h.ctx(in, "/items/{id}/{rest+}", map[string]string{"id": "a/b", "rest": "x/y"})
	h.serve(httptest.NewRequest("GET", "/test/items/a%2Fb/x/y", nil), c)
	b := receive(t, got, "backend request")
	if !strings.HasPrefix(b.requestURI, "/items/a%2Fb/x/y") {
		t.Fatalf("backend request URI = %q, want /items/a%%2Fb/x/y", b.requestURI)
	}
}

// When several selection patterns match, the same one always wins.
func TestIntegrationResponseSelectionIsDeterministic(t *testing.T) {
	h := newHarness(t)
	srv, _ := backend(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: srv.URL + "/",
		Responses: map[string]restapi.IntegrationResponse{"2\\d{2}": {StatusCode: "200"}, "201": {StatusCode: "202"}, "default": {StatusCode: "500"}}}
	for i := 0; i < 20; i++ {
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		if rec.Code != 200 {
			t.Fatalf("iteration %d: status %d, want 200 from the longest matching pattern", i, rec.Code)
		}
	}
}

// A function's own x-amzn-RequestId is remapped like a backend's.
func TestLambdaResultHeadersRemapped(t *testing.T) {
	h, _ := lambdaHarness(t, result(`{"statusCode":200,"headers":{"x-amzn-RequestId":"from-function"}}`))
	rec := h.serve(httptest.NewRequest("GET", "/test/lambda", nil), h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, "/lambda", nil))
	if v := headerValue(rec.Header(), "x-amzn-Remapped-x-amzn-RequestId"); v != "from-function" {
		t.Fatalf("remapped header = %q; headers %v", v, rec.Header())
	}
}

// A backend that breaks off its body leaves the partial bytes in the read
// buffer; that buffer goes back to the pool, and must go back empty, or the
// next response read into it starts with them.
func TestBrokenBodyDoesNotPrefixTheNextResponse(t *testing.T) {
	h := newHarness(t)
	srv, _ := backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte("partial-"))
			return // the server closes with 92 bytes missing: a read error
		}
		_, _ = w.Write([]byte("whole"))
	})
	broken := restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/broken"}
	whole := restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/whole"}
	for i := 0; i < 20; i++ {
		h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(broken, "/x", nil))
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(whole, "/x", nil))
		if got := rec.Body.String(); got != "whole" {
			t.Fatalf("iteration %d: body %q, want %q", i, got, "whole")
		}
	}
}
