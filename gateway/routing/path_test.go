package routing_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/routing"
)

// Dot segments are resolved before routing (RFC 3986 §5.2.4), literal or
// percent-encoded; a dot segment hidden behind an encoded separator is
// refused, so a greedy variable can never carry one to the backend.
func TestDotSegments(t *testing.T) {
	for _, tc := range []struct {
		path     string
		status   int
		resource string
		proxy    string // the {proxy+} value, when routed to /files/{proxy+}
		urlPath  string // the request path later stages see
	}{
		{path: "/test/files/a/b", status: 204, resource: "/files/{proxy+}", proxy: "a/b", urlPath: "/test/files/a/b"},
		{path: "/test/files/a/../b", status: 204, resource: "/files/{proxy+}", proxy: "b", urlPath: "/test/files/b"},
		{path: "/test/files/a/./b", status: 204, resource: "/files/{proxy+}", proxy: "a/b", urlPath: "/test/files/a/b"},
		{path: "/test/files/a/%2e%2E/b", status: 204, resource: "/files/{proxy+}", proxy: "b", urlPath: "/test/files/b"},
		{path: "/test/files/a/.%2e/.%2E/items", status: 204, resource: "/items", urlPath: "/test/items"},
		{path: "/test/x/.%2e/items", status: 204, resource: "/items", urlPath: "/test/items"},
		{path: "/test/files/a/%2e%2e/%2e%2e/items", status: 204, resource: "/items", urlPath: "/test/items"},
		{path: "/test/files/../../prod/items", status: 204, resource: "/items", urlPath: "/prod/items"},
		{path: "/test/files/a/b/..", status: 204, resource: "/files/{proxy+}", proxy: "a", urlPath: "/test/files/a/"},
		{path: "/test/../../../test/items", status: 204, resource: "/items", urlPath: "/test/items"},
		// Encoded separators that hide dot segments: refused.
		{path: "/test/files/..%2F..%2Fcounters", status: 400},
		{path: "/test/files/a%2F..%2F..%2Fx", status: 400},
		{path: "/test/files/..%5Cx", status: 400},
		{path: "/test/files/%2e%2e%2fx", status: 400},
		{path: "/test/files/x%2F.", status: 400},
		// Encoded separators without dot segments are ordinary characters.
		{path: "/test/files/a%2Fb", status: 204, resource: "/files/{proxy+}", proxy: "a/b", urlPath: "/test/files/a/b"},
		{path: "/test/files/...", status: 204, resource: "/files/{proxy+}", proxy: "...", urlPath: "/test/files/..."},
		{path: "/test/files/.hidden/..x", status: 204, resource: "/files/{proxy+}", proxy: ".hidden/..x", urlPath: "/test/files/.hidden/..x"},
	} {
		var got routed
		h := router(t, precedenceAPI, testStages, &got)
		req := httptest.NewRequest(http.MethodGet, "http://gw"+tc.path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.path, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == 400 {
			if got.called {
				t.Errorf("%s: routed although refused", tc.path)
			}
			if body := rec.Body.String(); body != `{"message":"`+routing.InvalidPathMessage+`"}` {
				t.Errorf("%s: body %s", tc.path, body)
			}
			continue
		}
		if got.resource != tc.resource {
			t.Errorf("%s: resource %q, want %q", tc.path, got.resource, tc.resource)
		}
		if tc.proxy != "" && got.params["proxy"] != tc.proxy {
			t.Errorf("%s: proxy %q, want %q", tc.path, got.params["proxy"], tc.proxy)
		}
		if req.URL.Path != tc.urlPath {
			t.Errorf("%s: later stages see %q, want %q", tc.path, req.URL.Path, tc.urlPath)
		}
	}
}

func TestIsDotSegment(t *testing.T) {
	for v, want := range map[string]bool{".": true, "..": true, "a/..": true, `..\x`: true, "a/./b": true,
		"...": false, "a.b": false, "a/b": false, "": false, ".x/y": false} {
		if got := routing.IsDotSegment(v); got != want {
			t.Errorf("IsDotSegment(%q) = %v, want %v", v, got, want)
		}
	}
}
