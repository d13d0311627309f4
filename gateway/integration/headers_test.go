package integration_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// remapHeaders is the recorded test's header list (evidence topic 3a,
// TestApiGatewayHeaderRemapping), each mapped as 'response_param_<name>'.
var remapHeaders = []string{"Accept", "Accept-Charset", "Accept-Encoding", "Age", "Authorization", "Connection",
	"Content-Encoding", "Content-Length", "Content-MD5", "Content-Type", "Date", "Expect", "Host", "Max-Forwards",
	"Pragma", "Proxy-Authenticate", "Range", "Referer", "Server", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	"User-Agent", "Via", "Warn", "WWW-Authenticate"}

// integrationOf builds an integration of typ against a backend (HTTP types)
// or the harness's Lambda endpoint (Lambda types).
func integrationOf(typ, backendURL string) restapi.Integration {
	switch typ {
	case restapi.AWS, restapi.AWSProxy:
		return restapi.Integration{Type: typ, HTTPMethod: "POST", URI: lambdaURI, Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	case restapi.HTTP:
		return restapi.Integration{Type: typ, HTTPMethod: "GET", URI: backendURL + "/x", Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	}
	return restapi.Integration{Type: typ, HTTPMethod: "GET", URI: backendURL + "/x"}
}

// A mapping to a header AWS forbids fails the call at run time, before
// anything is sent: 500 {"message": "Internal server error"} (AWS-REC
// 2024-07-17/18, evidence topic 3b).
func TestForbiddenHeaderMappings(t *testing.T) {
	awsOnly := []string{"Authorization", "Connection", "Expect", "Proxy-Authenticate", "TE"}
	for _, typ := range []string{restapi.HTTP, restapi.HTTPProxy, restapi.AWS, restapi.AWSProxy} {
		forbidden := []string{"Content-Length", "Transfer-Encoding", "content-length"}
		if typ == restapi.AWS || typ == restapi.AWSProxy {
			forbidden = append(forbidden, awsOnly...)
		}
		for _, name := range forbidden {
			t.Run(typ+"/"+name, func(t *testing.T) {
				h := newHarness(t)
				srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
				h.stage.LambdaEndpoint = srv.URL
				in := integrationOf(typ, srv.URL)
				in.RequestParameters = map[string]string{"integration.request.header." + name: "'0'", "integration.request.header.X-Fine": "'1'"}
				c := h.ctx(in, "/x", nil)
				c.StageVariables = map[string]string{"fn": "f"}
				rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), c)
				assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
				noneIn(t, got, "backend call")
				if v := headerValues(rec.Header(), "X-Amzn-Trace-Id"); len(v) != 0 {
					t.Errorf("a configuration error carries a trace id: %q", v)
				}
			})
		}
	}
	// The AWS-only names are mapped freely for HTTP types.
	for _, typ := range []string{restapi.HTTP, restapi.HTTPProxy} {
		h := newHarness(t)
		srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
		in := integrationOf(typ, srv.URL)
		in.RequestParameters = map[string]string{}
		for _, name := range awsOnly {
			in.RequestParameters["integration.request.header."+name] = "'v'"
		}
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		receive(t, got, "backend call")
		if rec.Code != 200 {
			t.Errorf("%s: status %d, want 200", typ, rec.Code)
		}
	}
}

// A mapping whose source is absent sets nothing, so it is not an error.
func TestForbiddenHeaderMappingFromAbsentSource(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	in := integrationOf(restapi.HTTP, srv.URL)
	in.RequestParameters = map[string]string{"integration.request.header.Content-Length": "method.request.header.X-Absent"}
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
	receive(t, got, "backend call")
	if rec.Code != 200 {
		t.Errorf("status %d", rec.Code)
	}
}

// What a non-proxy HTTP backend receives of mapped headers (AWS-REC,
// evidence topic 3c): most are sent as mapped, User-Agent included (Host:
// TestHTTPMappedHost); Connection, Expect, Proxy-Authenticate, TE and Via are not.
func TestHTTPMappedRequestHeaders(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	in := integrationOf(restapi.HTTP, srv.URL)
	in.RequestParameters = map[string]string{
		"integration.request.header.Accept":             "'text/html'",
		"integration.request.header.Accept-Charset":     "'UTF-16'",
		"integration.request.header.Authorization":      "'Bearer mapped'",
		"integration.request.header.Content-Type":       "'application/json'",
		"integration.request.header.Max-Forwards":       "'2'",
		"integration.request.header.Upgrade":            "'websocket'",
		"integration.request.header.User-Agent":         "'Override-Agent'",
		"integration.request.header.Www-Authenticate":   "'Basic'",
		"integration.request.header.Connection":         "'close'",
		"integration.request.header.Expect":             "'200-ok'",
		"integration.request.header.Proxy-Authenticate": "'Basic'",
		"integration.request.header.TE":                 "'trailers'",
		"integration.request.header.Via":                "'1.1 mapped'",
	}
	h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
	b := receive(t, got, "backend call")
	for name, want := range map[string]string{
		"Accept": "text/html", "Accept-Charset": "UTF-16", "Authorization": "Bearer mapped", "Content-Type": "application/json",
		"Max-Forwards": "2", "Upgrade": "websocket", "User-Agent": "Override-Agent", "Www-Authenticate": "Basic",
	} {
		if v := b.header.Values(name); len(v) != 1 || v[0] != want {
			t.Errorf("backend %s = %q, want %q", name, v, want)
		}
	}
	for _, name := range []string{"Connection", "Expect", "Proxy-Authenticate", "Te", "Via"} {
		if v := b.header.Values(name); len(v) != 0 {
			t.Errorf("backend got mapped %s: %q", name, v)
		}
	}
}

// A mapped Host reaches the backend as its Host (AWS-REC).
func TestHTTPMappedHost(t *testing.T) {
	h := newHarness(t)
	hosts := make(chan string, 1)
	srv, _ := backend(t, func(w http.ResponseWriter, r *http.Request) { hosts <- r.Host })
	in := integrationOf(restapi.HTTP, srv.URL)
	in.RequestParameters = map[string]string{"integration.request.header.Host": "method.request.header.Host"}
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Host = "api.example.com"
	h.serve(req, h.ctx(in, "/x", nil))
	if got := receive(t, hosts, "backend Host"); got != "api.example.com" {
		t.Errorf("backend Host = %q", got)
	}
}

// A non-proxy HTTP integration sends none of the client's headers, only
// API Gateway's (AWS-REC, evidence topic 4a): Accept application/json,
// User-Agent AmazonAPIGateway_<apiId>, X-Amzn-Apigateway-Api-Id,
// X-Amzn-Trace-Id; no X-Forwarded-For.
func TestHTTPNonProxyRequestHeaders(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	in := integrationOf(restapi.HTTP, srv.URL)
	for _, method := range []string{"GET", "POST"} {
		req := httptest.NewRequest(method, "/test/x", nil)
		for _, name := range remapHeaders {
			req.Header.Set(name, "client_"+name)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Custom", "c")
		req.Header.Set("X-Forwarded-For", "203.0.113.1")
		c := h.ctx(in, "/x", nil)
		if method == "POST" {
			c.Body = []byte(`{"a":1}`)
		}
		h.serve(req, c)
		b := receive(t, got, "backend call")
		want := map[string]string{
			"Accept":                   "application/json",
			"User-Agent":               "AmazonAPIGateway_" + h.api.ID(),
			"X-Amzn-Apigateway-Api-Id": h.api.ID(),
			"X-Amzn-Trace-Id":          testTraceID,
		}
		if method == "POST" {
			// The client's Content-Type goes with a body (OBS; AWS-REC for a
			// JSON POST).
			want["Content-Type"] = "application/json"
		}
		names := slices.Sorted(maps.Keys(b.header))
		names = slices.DeleteFunc(names, func(n string) bool { return n == "Content-Length" })
		if wantNames := slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
			t.Errorf("%s: backend headers %v, want exactly %v", method, names, wantNames)
		}
		for name, v := range want {
			if got := b.header.Get(name); got != v {
				t.Errorf("%s: backend %s = %q, want %q", method, name, got, v)
			}
		}
	}
}

// An HTTP_PROXY backend gets the client's headers less the ones AWS never
// forwards, API Gateway's own, and the X-Forwarded-* chain (AWS-REC,
// evidence topics 3c and 4a; X-Forwarded-Port/-Proto UNCONFIRMED).
func TestHTTPProxyRequestHeaders(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	req := httptest.NewRequest("GET", "/test/x", nil) // Host example.com
	for _, name := range remapHeaders {
		req.Header.Set(name, "client_"+name)
	}
	req.Header.Set("X-Forwarded-For", "203.0.113.1")
	h.serve(req, h.ctx(integrationOf(restapi.HTTPProxy, srv.URL), "/x", nil))
	b := receive(t, got, "backend call")
	for _, name := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Age", "Authorization", "Content-Type",
		"Date", "Pragma", "Range", "Referer", "User-Agent", "Warn"} {
		if v := b.header.Get(name); v != "client_"+name {
			t.Errorf("backend %s = %q, want the client's", name, v)
		}
	}
	for _, name := range []string{"Connection", "Content-Encoding", "Content-Md5", "Expect", "Max-Forwards", "Proxy-Authenticate",
		"Server", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Via", "Www-Authenticate"} {
		if v := b.header.Values(name); len(v) != 0 {
			t.Errorf("backend got the client's %s: %q", name, v)
		}
	}
	for name, want := range map[string]string{
		"X-Amzn-Apigateway-Api-Id": h.api.ID(),
		"X-Amzn-Trace-Id":          testTraceID,
		"X-Forwarded-For":          "203.0.113.1, 192.0.2.7",
		"X-Forwarded-Proto":        "http",
		"X-Forwarded-Port":         "80",
	} {
		if v := b.header.Get(name); v != want {
			t.Errorf("backend %s = %q, want %q", name, v, want)
		}
	}

	// A client that sends no Accept or User-Agent: API Gateway's (OBS).
	req = httptest.NewRequest("GET", "/test/x", nil)
	req.Header = http.Header{}
	h.serve(req, h.ctx(integrationOf(restapi.HTTPProxy, srv.URL), "/x", nil))
	b = receive(t, got, "backend call")
	if b.header.Get("Accept") != "application/json" || b.header.Get("User-Agent") != "AmazonAPIGateway_"+h.api.ID() {
		t.Errorf("defaults: %v", b.header)
	}
}

// mappedResponseHeaders maps every recorded header to 'response_param_<H>'.
func mappedResponseHeaders() map[string]string {
	m := map[string]string{}
	for _, name := range remapHeaders {
		m["method.response.header."+name] = "'response_param_" + name + "'"
	}
	return m
}

// Non-proxy method response headers mapped to reserved names are renamed
// x-amzn-Remapped-<name>, Transfer-Encoding is dropped, the rest kept
// (AWS-REC "full-integration" for HTTP and AWS, evidence topic 3a).
func TestNonProxyResponseHeaderRemapping(t *testing.T) {
	remapped := []string{"Authorization", "Connection", "Content-Length", "Content-MD5", "Date", "Expect", "Host",
		"Max-Forwards", "Proxy-Authenticate", "Server", "Trailer", "Upgrade", "User-Agent", "WWW-Authenticate"}
	kept := []string{"Accept", "Accept-Charset", "Accept-Encoding", "Age", "Content-Encoding", "Content-Type",
		"Pragma", "Range", "Referer", "TE", "Warn",
		"Via"} // AWS wrote its own (CloudFront) Via there; this gateway has none, so the mapped one stays — UNCONFIRMED
	for _, typ := range []string{restapi.HTTP, restapi.AWS} {
		t.Run(typ, func(t *testing.T) {
			h := newHarness(t)
			srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Set("X-Backend", "b")
				_, _ = io.WriteString(w, `{}`)
			})
			h.stage.LambdaEndpoint = srv.URL
			in := integrationOf(typ, srv.URL)
			in.Responses = map[string]restapi.IntegrationResponse{"default": {StatusCode: "200", ResponseParameters: mappedResponseHeaders()}}
			c := h.ctx(in, "/x", nil)
			c.StageVariables = map[string]string{"fn": "f"}
			rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), c)
			receive(t, got, "backend call")
			hdr := rec.Header()
			for _, name := range remapped {
				if v := headerValues(hdr, "x-amzn-Remapped-"+name); len(v) != 1 || v[0] != "response_param_"+name {
					t.Errorf("x-amzn-Remapped-%s = %q", name, v)
				}
				if _, exact := hdr["x-amzn-Remapped-"+name]; !exact {
					t.Errorf("x-amzn-Remapped-%s not under AWS's spelling: %v", name, slices.Sorted(maps.Keys(hdr)))
				}
			}
			for _, name := range kept {
				if v := headerValues(hdr, name); len(v) != 1 || v[0] != "response_param_"+name {
					t.Errorf("%s = %q, want the mapped value", name, v)
				}
			}
			if v := headerValues(hdr, "Transfer-Encoding"); len(v) != 0 {
				t.Errorf("Transfer-Encoding = %q", v)
			}
			if v := headerValues(hdr, "Content-Length"); len(v) != 1 || v[0] != "2" {
				t.Errorf("Content-Length = %q, want the gateway's own", v)
			}
			if v := headerValues(hdr, "X-Backend"); len(v) != 0 {
				t.Errorf("an unmapped backend header reached the client: %q", v)
			}
			if rec.Body.String() != `{}` {
				t.Errorf("body = %q", rec.Body)
			}
			if t.Failed() {
				t.Logf("response headers: %v", hdr)
			}
		})
	}
}

// Without a mapping a non-proxy response is application/json whatever the
// backend said; a mapped Content-Type wins (AWS-REC, evidence topic 3d).
func TestNonProxyContentType(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<p>hi</p>")
	})
	for _, tc := range []struct {
		name   string
		resp   restapi.IntegrationResponse
		wantCT string
	}{
		{"passthrough", restapi.IntegrationResponse{StatusCode: "200"}, "application/json"},
		{"template", restapi.IntegrationResponse{StatusCode: "200", ResponseTemplates: map[string]string{"application/json": "{}"}}, "application/json"},
		{"mapped from the backend", restapi.IntegrationResponse{StatusCode: "200",
			ResponseParameters: map[string]string{"method.response.header.Content-Type": "integration.response.header.Content-Type"}}, "text/html"},
		{"mapped literal with a template", restapi.IntegrationResponse{StatusCode: "200",
			ResponseParameters: map[string]string{"method.response.header.content-type": "'text/plain'"},
			ResponseTemplates:  map[string]string{"application/json": "{}"}}, "text/plain"},
	} {
		in := integrationOf(restapi.HTTP, srv.URL)
		in.Responses = map[string]restapi.IntegrationResponse{"default": tc.resp}
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		receive(t, got, "backend call")
		if v := headerValues(rec.Header(), "Content-Type"); len(v) != 1 || v[0] != tc.wantCT {
			t.Errorf("%s: Content-Type = %q, want %q", tc.name, v, tc.wantCT)
		}
	}
}

// An HTTP_PROXY backend's reserved headers are renamed (AWS-REC: the
// backend's Connection keep-alive, Content-Length, Date, Server
// gunicorn/19.9.0), Transfer-Encoding and Via dropped.
func TestHTTPProxyResponseHeaderRemapping(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "keep-alive")
		w.Header().Set("Server", "gunicorn/19.9.0")
		w.Header().Set("Content-Length", "11")
		w.Header().Set("Via", "1.1 backend-proxy")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = io.WriteString(w, `{"a":"bcd"}`)
	})
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(integrationOf(restapi.HTTPProxy, srv.URL), "/x", nil))
	receive(t, got, "backend call")
	hdr := rec.Header()
	for name, want := range map[string]string{
		"x-amzn-Remapped-Connection":     "keep-alive",
		"x-amzn-Remapped-Content-Length": "11",
		"x-amzn-Remapped-Server":         "gunicorn/19.9.0",
		"Access-Control-Allow-Origin":    "*",
		"Content-Length":                 "11",
	} {
		if v := hdr[name]; len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want %q (headers %v)", name, v, want, hdr)
		}
	}
	if v := hdr["x-amzn-Remapped-Date"]; len(v) != 1 || v[0] == "" {
		t.Errorf("x-amzn-Remapped-Date = %q", v)
	}
	for _, name := range []string{"Connection", "Server", "Via", "Keep-Alive", "Date", "Transfer-Encoding"} {
		if v := headerValues(hdr, name); len(v) != 0 {
			t.Errorf("%s reached the client: %q", name, v)
		}
	}
	// An HTTP_PROXY response carries no trace id (AWS-REC, topic 5).
	if v := headerValues(hdr, "X-Amzn-Trace-Id"); len(v) != 0 {
		t.Errorf("X-Amzn-Trace-Id = %q", v)
	}
}

// A Lambda proxy result's reserved headers are renamed like a backend's
// (OBS: LocalStack's rules for every proxy type).
func TestLambdaProxyResultHeadersRemapped(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":200,"headers":{"server":"fn","Date":"yesterday","content-length":"999","connection":"close","transfer-encoding":"chunked"},"body":"ok"}`))
	rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	receive(t, calls, "Lambda invocation")
	hdr := rec.Header()
	for name, want := range map[string]string{
		"x-amzn-Remapped-Server": "fn", "x-amzn-Remapped-Date": "yesterday",
		"x-amzn-Remapped-Content-Length": "999", "x-amzn-Remapped-Connection": "close",
		"Content-Length": "2",
	} {
		if v := hdr[name]; len(v) != 1 || v[0] != want {
			t.Errorf("%s = %q, want %q (headers %v)", name, v, want, hdr)
		}
	}
	for name := range hdr {
		if strings.EqualFold(name, "Transfer-Encoding") || strings.EqualFold(name, "Connection") {
			t.Errorf("%s reached the client", name)
		}
	}
}
