package integration_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway/integration"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func TestHTTPProxyForwardsTheRequest(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Backend", "b1")
		w.Header()["x-amzn-RequestId"] = []string{"backend-request-id"}
		w.Header().Set("x-amz-apigw-id", "backend-apigw-id")
		w.Header().Set("Server", "fixture/1")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("created"))
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	in := restapi.Integration{
		Type: restapi.HTTPProxy, HTTPMethod: restapi.AnyMethod,
		URI: "http://${stageVariables.host}/api/{id}/{proxy}?fixed=1",
		RequestParameters: map[string]string{
			"integration.request.path.proxy":        "method.request.path.proxy",
			"integration.request.header.x-mapped":   "'literal'",
			"integration.request.header.x-stage":    "stageVariables.color",
			"integration.request.querystring.added": "context.requestId",
		},
	}
	c := h.ctx(in, "/items/{id}/{proxy+}", map[string]string{"id": "a b", "proxy": "x/y z/ü"})
	c.StageVariables = map[string]string{"host": host, "color": "blue"}
	c.Body = []byte(`{"hello":"world"}`)

	req := httptest.NewRequest("PATCH", "/test/items/a%20b/x/y%20z/%C3%BC?q=1&q=2&r=%2F", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Custom", "c1")
	req.Header.Add("X-Multi", "m1")
	req.Header.Add("X-Multi", "m2")
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Proxy-Authorization", "Basic secret")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Te", "trailers")
	req.Header.Set("X-Forwarded-For", "203.0.113.1")
	req.Header.Set("X-Amzn-Trace-Id", "client-trace")

	rec := h.serve(req, c)
	b := receive(t, got, "backend request")

	if b.method != "PATCH" {
		t.Errorf("backend method = %s, want the client's PATCH for an ANY integration", b.method)
	}
	if b.path != "/api/a b/x/y z/ü" {
		t.Errorf("backend path = %q", b.path)
	}
	if !strings.HasPrefix(b.requestURI, "/api/a%20b/x/y%20z/%C3%BC?") {
		t.Errorf("backend request URI = %q: path variables must be escaped per segment, slashes kept", b.requestURI)
	}
	if b.rawQuery != "fixed=1&added="+testRequestID+"&q=1&q=2&r=%2F" {
		t.Errorf("backend query = %q", b.rawQuery)
	}
	if b.body != `{"hello":"world"}` {
		t.Errorf("backend body = %q", b.body)
	}
	for name, want := range map[string]string{
		"Content-Type":        "application/json",
		"X-Custom":            "c1",
		"Authorization":       "Bearer tok",
		"X-Mapped":            "literal",
		"X-Stage":             "blue",
		"X-Amzn-Trace-Id":     testTraceID,
		"X-Forwarded-For":     "203.0.113.1, 192.0.2.7",
		"Proxy-Authorization": "",
		"Keep-Alive":          "",
		"Te":                  "",
	} {
		if v := b.header.Get(name); v != want {
			t.Errorf("backend header %s = %q, want %q", name, v, want)
		}
	}
	if v := b.header.Values("X-Multi"); len(v) != 2 || v[0] != "m1" || v[1] != "m2" {
		t.Errorf("backend X-Multi = %q", v)
	}

	if rec.Code != http.StatusCreated || rec.Body.String() != "created" {
		t.Errorf("response %d %q", rec.Code, rec.Body)
	}
	hdr := rec.Header()
	for name, want := range map[string]string{
		"Content-Type":                     "text/plain; charset=utf-8",
		"X-Backend":                        "b1",
		"x-amzn-Remapped-x-amzn-RequestId": "backend-request-id",
		"x-amzn-Remapped-x-amz-apigw-id":   "backend-apigw-id",
		"x-amzn-Remapped-Server":           "fixture/1",
		"Content-Length":                   "7",
	} {
		if v := headerValues(hdr, name); len(v) != 1 || v[0] != want {
			t.Errorf("response header %s = %q, want %q", name, v, want)
		}
	}
	if v := headerValues(hdr, "x-amzn-Remapped-Date"); len(v) != 1 || v[0] == "" {
		t.Errorf("backend Date not remapped: %v", hdr)
	}
	if v := headerValues(hdr, "Set-Cookie"); len(v) != 2 {
		t.Errorf("Set-Cookie = %q", v)
	}
	if v := headerValues(hdr, "x-amzn-RequestId"); len(v) != 0 {
		t.Errorf("the backend's request id leaked un-remapped: %q", v)
	}
}

func TestHTTPProxyDropsSigV4Authorization(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	in := restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "POST", URI: srv.URL + "/x"}
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc")
	rec := h.serve(req, h.ctx(in, "/x", nil))
	b := receive(t, got, "backend request")
	if b.header.Get("Authorization") != "" {
		t.Errorf("SigV4 Authorization reached the backend: %q", b.header.Get("Authorization"))
	}
	if b.method != "POST" {
		t.Errorf("backend method = %s, want the integration's POST", b.method)
	}
	// An empty backend response still gets API Gateway's default content type.
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != "0" || rec.Body.Len() != 0 {
		t.Errorf("got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

func TestHTTPProxyRedirectIsReturned(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	rec := h.serve(httptest.NewRequest("GET", "/test/r", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/r"}, "/r", nil))
	receive(t, got, "backend request")
	noneIn(t, got, "second backend request (redirect followed)")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/elsewhere" {
		t.Errorf("got %d %v", rec.Code, rec.Header())
	}
}

// TestIntegrationTimeout drives the integration timeout with the fake clock:
// the backend never answers until the test is over, the clock moves past the
// timeout, and the 504 must arrive while the backend is still waiting.
func TestIntegrationTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   func(url string) restapi.Integration
	}{
		{"http_proxy", func(url string) restapi.Integration {
			return restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: url + "/slow", TimeoutInMillis: millis(1000)}
		}},
		{"http", func(url string) restapi.Integration {
			return restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: url + "/slow", TimeoutInMillis: millis(1000),
				Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
		}},
		{"aws_proxy", func(string) restapi.Integration {
			return restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", TimeoutInMillis: millis(1000),
				URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:slow/invocations"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			arrived := make(chan struct{})
			abandoned := make(chan struct{})
			release := make(chan struct{})
			finished := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Read the body first: the server notices a closed connection
				// (and cancels r.Context) only once the body is consumed.
				_, _ = io.Copy(io.Discard, r.Body)
				close(arrived)
				select {
				case <-release:
					_, _ = w.Write([]byte(`{"statusCode":200,"body":"late"}`))
					close(finished)
				case <-r.Context().Done():
					close(abandoned)
				}
			}))
			defer srv.Close()
			defer close(release) // before Close: never leave the handler blocked
			h.stage.LambdaEndpoint = srv.URL

			done := make(chan *httptest.ResponseRecorder, 1)
			go func() {
				done <- h.serve(httptest.NewRequest("GET", "/test/slow", nil), h.ctx(tc.in(srv.URL), "/slow", nil))
			}()
			receive(t, arrived, "the backend call")
			if err := h.clock.BlockUntilContext(waitCtx(t), 1); err != nil {
				t.Fatalf("the integration timer was never set: %v", err)
			}
			h.clock.Advance(999 * time.Millisecond)
			noneIn(t, done, "response before the timeout")
			h.clock.Advance(time.Millisecond)

			rec := receive(t, done, "the timeout response")
			assertGatewayError(t, rec, http.StatusGatewayTimeout, "InternalServerErrorException", "Endpoint request timed out")
			select {
			case <-finished:
				t.Fatal("the backend finished before the gateway answered")
			default:
			}
			// The gateway gave up on the backend call: its request context ends.
			receive(t, abandoned, "the backend request to be cancelled")
		})
	}
}

func TestIntegrationTimeoutDefault(t *testing.T) {
	h := newHarness(t)
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		done <- h.serve(httptest.NewRequest("GET", "/test/slow", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL}, "/slow", nil))
	}()
	receive(t, arrived, "the backend call")
	if err := h.clock.BlockUntilContext(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(28999 * time.Millisecond)
	noneIn(t, done, "response before the 29 s default timeout")
	h.clock.Advance(time.Millisecond)
	assertGatewayError(t, receive(t, done, "the timeout response"), 504, "InternalServerErrorException", "Endpoint request timed out")
}

func TestIntegrationTimeoutNotFired(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	rec := h.serve(httptest.NewRequest("GET", "/test/fast", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/fast", TimeoutInMillis: millis(50)}, "/fast", nil))
	receive(t, got, "backend request")
	if rec.Code != 200 || rec.Body.String() != `{"ok":true}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	// The timer was stopped: moving the clock now changes nothing.
	h.clock.Advance(time.Hour)
	if rec.Code != 200 {
		t.Errorf("status changed to %d", rec.Code)
	}
}

func TestUnreachableBackend(t *testing.T) {
	addr := closedAddr(t) // connection refused

	h := newHarness(t)
	for _, typ := range []string{restapi.HTTPProxy, restapi.HTTP} {
		in := restapi.Integration{Type: typ, HTTPMethod: "GET", URI: "http://" + addr + "/x", Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		assertGatewayError(t, rec, http.StatusGatewayTimeout, "InternalServerErrorException", "Network error communicating with endpoint")
	}
}

func TestBackendResponseTooLarge(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		n := integration.MaxResponseBytes
		if r.URL.Path == "/over" {
			n++
		}
		_, _ = w.Write(bytes.Repeat([]byte("x"), n))
	})
	rec := h.serve(httptest.NewRequest("GET", "/test/over", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/over"}, "/over", nil))
	receive(t, got, "backend request")
	assertGatewayError(t, rec, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")

	rec = h.serve(httptest.NewRequest("GET", "/test/max", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: srv.URL + "/max"}, "/max", nil))
	receive(t, got, "backend request")
	if rec.Code != 200 || rec.Body.Len() != integration.MaxResponseBytes {
		t.Errorf("exactly 10 MB: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestInvalidEndpointIsConfigurationError(t *testing.T) {
	h := newHarness(t)
	// The stage variable that names the host is not defined.
	in := restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: "http://${stageVariables.nohost}/x"}
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
	assertGatewayError(t, rec, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
}

// httpIntegration is a non-proxy HTTP integration against url.
func httpIntegration(url string) restapi.Integration {
	return restapi.Integration{
		Type: restapi.HTTP, HTTPMethod: "POST", URI: url + "/items/{id}",
		RequestParameters: map[string]string{
			"integration.request.path.id":            "method.request.path.id",
			"integration.request.header.x-mapped":    "method.request.header.X-Client",
			"integration.request.querystring.filter": "method.request.querystring.f",
		},
		RequestTemplates: map[string]string{
			"application/json": `{"id":"$input.params('id')","stage":"$context.stage","in":$input.json('$')}`,
		},
		Responses: map[string]restapi.IntegrationResponse{
			"default": {
				StatusCode:         "200",
				ResponseParameters: map[string]string{"method.response.header.X-From-Backend": "integration.response.header.X-Backend", "method.response.header.X-Static": "'s'"},
				ResponseTemplates:  map[string]string{"application/json": `{"wrapped":$input.json('$'),"id":"$context.requestId"}`},
			},
			"4\\d{2}": {StatusCode: "400"},
			"5\\d{2}": {StatusCode: "502", ResponseTemplates: map[string]string{"application/json": `{"error":"$input.body"}`}},
		},
	}
}

func TestHTTPIntegration(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.Header.Get("X-Mapped"))
		w.Header().Set("X-Backend", "b1")
		w.Header().Set("Content-Type", "application/vnd.backend+json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"backend":` + strconv.Itoa(code) + `}`))
	})

	send := func(code string, contentType string) *httptest.ResponseRecorder {
		c := h.ctx(httpIntegration(srv.URL), "/items/{id}", map[string]string{"id": "i 7"})
		c.Body = []byte(`{"n":1}`)
		req := httptest.NewRequest("PUT", "/test/items/i%207?f=new&other=dropped", nil)
		req.Header.Set("X-Client", code)
		req.Header.Set("X-Unmapped", "dropped")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return h.serve(req, c)
	}

	rec := send("200", "application/json; charset=utf-8")
	b := receive(t, got, "backend request")
	if b.method != "POST" || b.requestURI != "/items/i%207?filter=new" {
		t.Errorf("backend got %s %s", b.method, b.requestURI)
	}
	if b.body != `{"id":"i 7","stage":"test","in":{"n":1}}` {
		t.Errorf("backend body = %s", b.body)
	}
	if b.header.Get("X-Unmapped") != "" || b.header.Get("X-Client") != "" {
		t.Errorf("unmapped client headers reached the backend: %v", b.header)
	}
	if b.header.Get("X-Mapped") != "200" || b.header.Get("X-Amzn-Trace-Id") != testTraceID {
		t.Errorf("backend headers: %v", b.header)
	}
	if rec.Code != 200 || rec.Body.String() != `{"wrapped":{"backend":200},"id":"`+testRequestID+`"}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-From-Backend") != "b1" || rec.Header().Get("X-Static") != "s" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("response headers: %v", rec.Header())
	}
	if headerValue(rec.Header(), "X-Backend") != "" {
		t.Errorf("an unmapped backend header reached the client: %v", rec.Header())
	}

	// 404 selects the 4\d{2} response, which has no template: the backend
	// body passes through, but not its content type — only mapped headers
	// reach the client and the default is application/json (AWS-REC,
	// evidence topic 3d).
	rec = send("404", "")
	receive(t, got, "backend request")
	if rec.Code != 400 || rec.Body.String() != `{"backend":404}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("404: got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	rec = send("503", "")
	receive(t, got, "backend request")
	if rec.Code != 502 || rec.Body.String() != `{"error":"{"backend":503}"}` {
		t.Errorf("503: got %d %s", rec.Code, rec.Body)
	}
}

func TestHTTPIntegrationPassthrough(t *testing.T) {
	for _, tc := range []struct {
		name, behavior, contentType string
		templates                   bool
		wantStatus                  int
		wantBody                    string // what the backend receives
	}{
		{"NEVER, no template for the type", "NEVER", "text/plain", true, 415, ""},
		{"NEVER, no templates at all", "NEVER", "application/json", false, 415, ""},
		{"NEVER, template matches", "NEVER", "application/json", true, 200, "templated"},
		{"WHEN_NO_TEMPLATES, templates defined", "WHEN_NO_TEMPLATES", "text/plain", true, 415, ""},
		{"WHEN_NO_TEMPLATES, none defined", "WHEN_NO_TEMPLATES", "text/plain", false, 200, "raw body"},
		{"WHEN_NO_MATCH passes through", "WHEN_NO_MATCH", "text/plain", true, 200, "raw body"},
		{"default is WHEN_NO_MATCH", "", "text/plain", true, 200, "raw body"},
		{"no Content-Type means application/json", "NEVER", "", true, 200, "templated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
			in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "POST", URI: srv.URL, PassthroughBehavior: tc.behavior,
				Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
			if tc.templates {
				in.RequestTemplates = map[string]string{"application/json": "templated"}
			}
			c := h.ctx(in, "/x", nil)
			c.Body = []byte("raw body")
			req := httptest.NewRequest("POST", "/test/x", nil)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := h.serve(req, c)
			if tc.wantStatus == 415 {
				assertGatewayError(t, rec, 415, "BadRequestException", "Unsupported Media Type")
				noneIn(t, got, "backend request")
				return
			}
			b := receive(t, got, "backend request")
			if rec.Code != tc.wantStatus || b.body != tc.wantBody {
				t.Errorf("got %d, backend body %q; want %d %q", rec.Code, b.body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestHTTPIntegrationWithoutResponses(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	for _, responses := range []map[string]restapi.IntegrationResponse{
		nil,
		{"5\\d{2}": {StatusCode: "500"}}, // no match and no default
	} {
		in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: srv.URL, Responses: responses}
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		receive(t, got, "backend request")
		assertGatewayError(t, rec, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
	}
}

func TestMockIntegration(t *testing.T) {
	h := newHarness(t)
	in := restapi.Integration{
		Type: restapi.Mock,
		RequestTemplates: map[string]string{
			"application/json": `{"statusCode": $input.params('code')}`,
			"text/plain":       `{"statusCode": "$input.params('code')"}`,
		},
		Responses: map[string]restapi.IntegrationResponse{
			"default": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"requestId":"$context.requestId","stage":"$context.stage","version":"$stageVariables.version"}`}},
			"404":     {StatusCode: "404", ResponseParameters: map[string]string{"method.response.header.X-Mock": "'missing'"}, ResponseTemplates: map[string]string{"application/json": `{"message":"not here"}`}},
			"2\\d\\d": {StatusCode: "202"},
		},
	}
	send := func(query, contentType string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/test/mock"+query, nil)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return h.serve(req, h.ctx(in, "/mock", nil))
	}

	rec := send("?code=404", "")
	if rec.Code != 404 || rec.Body.String() != `{"message":"not here"}` || rec.Header().Get("X-Mock") != "missing" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("404: got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = send("?code=201", "")
	if rec.Code != 202 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("201 → 2\\d\\d: got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	rec = send("?code=500", "")
	want := `{"requestId":"` + testRequestID + `","stage":"test","version":"v1"}`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("500 → default: got %d %s, want %s", rec.Code, rec.Body, want)
	}
	// A string statusCode selects the same way.
	rec = send("?code=404", "text/plain")
	if rec.Code != 404 {
		t.Errorf("string statusCode: got %d %s", rec.Code, rec.Body)
	}
	// A mock response carries no trace header (spec §11).
	if v := headerValues(rec.Header(), "X-Amzn-Trace-Id"); len(v) != 0 {
		t.Errorf("mock response has a trace id: %q", v)
	}
	// A template that does not render JSON is a configuration error.
	rec = send("?code=abc", "")
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
	rec = send("?code=%22abc%22", "")
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
}

func TestMockIntegrationDefaults(t *testing.T) {
	h := newHarness(t)
	// No request template and no body: status 200 selects the default response.
	in := restapi.Integration{Type: restapi.Mock, Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "204"}}}
	rec := h.serve(httptest.NewRequest("GET", "/test/m", nil), h.ctx(in, "/m", nil))
	if rec.Code != 204 {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	// No integration responses at all: API Gateway's "no match for output mapping".
	in = restapi.Integration{Type: restapi.Mock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}
	rec = h.serve(httptest.NewRequest("GET", "/test/m", nil), h.ctx(in, "/m", nil))
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
	// NEVER passthrough with an unknown content type is a 415 before anything else.
	in = restapi.Integration{Type: restapi.Mock, PassthroughBehavior: "NEVER", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	req := httptest.NewRequest("POST", "/test/m", nil)
	req.Header.Set("Content-Type", "application/xml")
	assertGatewayError(t, h.serve(req, h.ctx(in, "/m", nil)), 415, "BadRequestException", "Unsupported Media Type")
}

func TestUnsupportedIntegrationType(t *testing.T) {
	h := newHarness(t)
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(restapi.Integration{Type: "teleport"}, "/x", nil))
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
}

func TestCustomisedIntegrationGatewayResponses(t *testing.T) {
	h := newHarness(t)
	code := 599
	// The responder reads the API's customisations; add one for INTEGRATION_FAILURE.
	h.api.GatewayResponses["INTEGRATION_FAILURE"] = restapi.GatewayResponse{
		StatusCode:        &code,
		ResponseTemplates: map[string]string{"application/json": `{"type":"$context.error.responseType","id":"$context.requestId"}`},
	}
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: "http://" + closedAddr(t) + "/x"}, "/x", nil))
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 599 || body["type"] != "INTEGRATION_FAILURE" || body["id"] != testRequestID {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
