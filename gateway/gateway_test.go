package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// e2eGuard bounds waits so a broken gateway fails instead of hanging; it
// never paces the test.
const e2eGuard = 10 * time.Second

// e2eSeen is a request as the fake backend received it.
type e2eSeen struct {
	method, path, rawQuery string
	header                 http.Header
	body                   string
}

// e2eWorld is the gateway under test with its fake backend and fake Lambda.
type e2eWorld struct {
	clock   *clockwork.FakeClock
	gw      *gateway.Gateway
	srv     *httptest.Server // the gateway
	backend *httptest.Server
	lambda  *httptest.Server
	client  *http.Client
	hits    atomic.Int64
	seen    chan e2eSeen
	delayed chan struct{} // a /delay request arrived
	release chan struct{} // closed at teardown: /delay handlers return
}

func newE2E(t *testing.T, opts gateway.Options) *e2eWorld {
	t.Helper()
	w := &e2eWorld{clock: clockwork.NewFakeClock(), seen: make(chan e2eSeen, 256), delayed: make(chan struct{}, 16), release: make(chan struct{})}
	w.backend = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.seen <- e2eSeen{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, header: r.Header.Clone(), body: string(body)}
		rw.Header()["x-amzn-RequestId"] = []string{"backend-id"}
		switch {
		case strings.HasPrefix(r.URL.Path, "/delay/"):
			w.delayed <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-w.release:
			}
			return
		case r.URL.Path == "/echo":
			rw.Header().Set("Content-Type", r.Header.Get("Content-Type"))
			_, _ = rw.Write(body)
		case strings.HasPrefix(r.URL.Path, "/status/"):
			var code int
			fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/status/"), &code)
			rw.WriteHeader(code)
		default:
			rw.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(rw).Encode(map[string]string{"route": "inspect", "path": r.URL.Path})
		}
	}))
	w.lambda = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var ev struct {
			Path           string `json:"path"`
			RequestContext struct {
				RequestID string `json:"requestId"`
			} `json:"requestContext"`
			Body *string `json:"body"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		inner, _ := json.Marshal(map[string]any{"requestId": ev.RequestContext.RequestID, "path": ev.Path, "body": ev.Body})
		out, _ := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"X-Fn": "1"}, "body": string(inner)})
		_, _ = rw.Write(out)
	}))

	api, err := restapi.LoadFile("../fixtures/apis/reference.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stages := []restapi.Stage{{StageName: "test", Variables: map[string]string{"backend": strings.TrimPrefix(w.backend.URL, "http://"), "version": "v1"}}}
	opts.Clock = w.clock
	opts.LambdaEndpoint = w.lambda.URL
	w.gw, err = gateway.New(api, &restapi.StageFile{Stages: stages}, opts)
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.gw)
	w.client = &http.Client{Transport: &http.Transport{DisableCompression: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return w
}

// close shuts everything down, in dependency order.
func (w *e2eWorld) close() {
	close(w.release)
	w.client.CloseIdleConnections()
	w.srv.Close()
	w.gw.Close()
	w.backend.Close()
	w.lambda.Close()
}

type e2eResp struct {
	status int
	header http.Header
	body   []byte
}

func (w *e2eWorld) do(t *testing.T, method, path string, body io.Reader, hdr map[string]string) e2eResp {
	t.Helper()
	return send(t, w.client, method, w.srv.URL+path, body, hdr)
}

// send makes one request and reads the whole response.
func send(t *testing.T, client *http.Client, method, url string, body io.Reader, hdr map[string]string) e2eResp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return e2eResp{resp.StatusCode, resp.Header, b}
}

func (w *e2eWorld) backendRequest(t *testing.T) e2eSeen {
	t.Helper()
	select {
	case s := <-w.seen:
		return s
	case <-time.After(e2eGuard):
		t.Fatal("the backend was not called")
	}
	return e2eSeen{}
}

func jsonBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return m
}

func assertIDs(t *testing.T, r e2eResp) string {
	t.Helper()
	id := r.header.Get("x-amzn-RequestId")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		t.Errorf("x-amzn-RequestId = %q", id)
	}
	if len(r.header.Get("x-amz-apigw-id")) != 16 {
		t.Errorf("x-amz-apigw-id = %q", r.header.Get("x-amz-apigw-id"))
	}
	return id
}

func TestEndToEnd(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	w := newE2E(t, gateway.Options{MaxPayloadBytes: 64 << 10})

	t.Run("http_proxy", func(t *testing.T) {
		r := w.do(t, "PUT", "/test/inspect/a/b%20c?x=1&x=2", strings.NewReader("payload"), map[string]string{"X-Client": "c"})
		b := w.backendRequest(t)
		if r.status != 200 || jsonBody(t, r.body)["path"] != "/inspect/a/b c" {
			t.Errorf("got %d %s", r.status, r.body)
		}
		if b.method != "PUT" || b.path != "/inspect/a/b c" || b.rawQuery != "x=1&x=2" || b.body != "payload" || b.header.Get("X-Client") != "c" {
			t.Errorf("backend saw %+v", b)
		}
		if !strings.HasPrefix(b.header.Get("X-Amzn-Trace-Id"), "Root=1-") || b.header.Get("X-Forwarded-For") != "127.0.0.1" {
			t.Errorf("backend headers %v", b.header)
		}
		id := assertIDs(t, r)
		if id == "backend-id" || r.header.Get("x-amzn-Remapped-x-amzn-RequestId") != "backend-id" {
			t.Errorf("backend request id not remapped: %v", r.header)
		}
	})

	t.Run("echo", func(t *testing.T) {
		r := w.do(t, "POST", "/test/echo", strings.NewReader(`{"a":1}`), map[string]string{"Content-Type": "application/json"})
		w.backendRequest(t)
		if r.status != 200 || string(r.body) != `{"a":1}` || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
	})

	t.Run("backend status passes through", func(t *testing.T) {
		r := w.do(t, "GET", "/test/status/503", nil, nil)
		w.backendRequest(t)
		if r.status != 503 {
			t.Errorf("status %d", r.status)
		}
		if r.header.Get("x-amzn-ErrorType") != "" {
			t.Errorf("a backend error is not a gateway error: %v", r.header)
		}
	})

	t.Run("mock with client request id", func(t *testing.T) {
		const id = "0f0e0d0c-0b0a-4908-8706-050403020100"
		r := w.do(t, "GET", "/test/mock", nil, map[string]string{"x-amzn-RequestId": id})
		if r.status != 200 || r.header.Get("x-amzn-RequestId") != id {
			t.Errorf("got %d %v", r.status, r.header)
		}
		// This test's stage defines only backend and version: color is undefined here.
		if got := string(r.body); got != `{"requestId":"`+id+`","stage":"test","version":"v1","color":"","extra":"","undefined":"","canary":"false","deployment":""}` {
			t.Errorf("body %s", got)
		}
		if r.header.Get("X-Amzn-Trace-Id") != "" {
			t.Errorf("a mock response carries no trace id: %v", r.header)
		}
	})

	t.Run("missing authentication token", func(t *testing.T) {
		before := w.hits.Load()
		for _, c := range []struct{ method, path string }{{"GET", "/test/nope"}, {"DELETE", "/test/mock"}, {"GET", "/prod/mock"}} {
			r := w.do(t, c.method, c.path, nil, nil)
			assertIDs(t, r)
			m := jsonBody(t, r.body)
			if r.status != 403 || m["message"] != "Missing Authentication Token" || m["type"] != "MISSING_AUTHENTICATION_TOKEN" ||
				r.header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" || r.header.Get("x-gatecheck-default") != "4xx" {
				t.Errorf("%s %s: %d %v %s", c.method, c.path, r.status, r.header, r.body)
			}
		}
		if w.hits.Load() != before {
			t.Error("the backend was called for an unrouted request")
		}
	})

	t.Run("bearer on unknown path", func(t *testing.T) {
		r := w.do(t, "GET", "/test/nope", nil, map[string]string{"Authorization": "Bearer abc"})
		if r.status != 403 || r.header.Get("x-amzn-ErrorType") != "IncompleteSignatureException" ||
			!strings.HasPrefix(jsonBody(t, r.body)["message"].(string), "Invalid key=value pair (missing equal-sign) in Authorization header") {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
	})

	t.Run("request validator", func(t *testing.T) {
		before := w.hits.Load()
		r := w.do(t, "GET", "/test/validated?hint=add-q", nil, nil)
		m := jsonBody(t, r.body)
		if r.status != 422 || m["message"] != "Missing required request parameters: [q]" || m["stage"] != "test" || m["custom"] != true ||
			r.header.Get("x-gatecheck-custom") != "bad-request-parameters" || r.header.Get("x-gatecheck-query") != "add-q" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
		if w.hits.Load() != before {
			t.Error("the backend was called for an invalid request")
		}
		r = w.do(t, "GET", "/test/validated?q=1", nil, nil)
		w.backendRequest(t)
		if r.status != 200 {
			t.Errorf("valid request: %d %s", r.status, r.body)
		}
	})

	t.Run("payload limit", func(t *testing.T) {
		before := w.hits.Load()
		r := w.do(t, "POST", "/test/echo", bytes.NewReader(make([]byte, 64<<10+1)), nil)
		if r.status != 413 || string(r.body) != "HTTP content length exceeded 10485760 bytes." || r.header.Get("x-gatecheck-default") != "" {
			t.Errorf("got %d %v %q", r.status, r.header, r.body)
		}
		assertIDs(t, r)
		if w.hits.Load() != before {
			t.Error("the backend was called for an oversized body")
		}
		r = w.do(t, "POST", "/test/echo", bytes.NewReader(make([]byte, 64<<10)), nil)
		w.backendRequest(t)
		if r.status != 200 || len(r.body) != 64<<10 {
			t.Errorf("at the limit: %d, %d bytes", r.status, len(r.body))
		}
	})

	t.Run("integration timeout", func(t *testing.T) {
		done := make(chan e2eResp, 1)
		go func() { done <- w.do(t, "GET", "/test/delay/5000", nil, nil) }()
		select {
		case <-w.delayed:
		case <-time.After(e2eGuard):
			t.Fatal("the /delay request never reached the backend")
		}
		w.backendRequest(t)
		ctx, cancel := context.WithTimeout(context.Background(), e2eGuard)
		defer cancel()
		if err := w.clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(1000 * time.Millisecond) // the route's timeoutInMillis
		var r e2eResp
		select {
		case r = <-done:
		case <-time.After(e2eGuard):
			t.Fatal("no response after the timeout")
		}
		m := jsonBody(t, r.body)
		if r.status != 504 || m["message"] != "Endpoint request timed out" || m["type"] != "INTEGRATION_TIMEOUT" ||
			r.header.Get("x-amzn-ErrorType") != "InternalServerErrorException" || r.header.Get("x-gatecheck-default") != "5xx" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
	})

	t.Run("lambda proxy", func(t *testing.T) {
		r := w.do(t, "POST", "/test/lambda", strings.NewReader("hi"), nil)
		id := assertIDs(t, r)
		m := jsonBody(t, r.body)
		if r.status != 200 || m["requestId"] != id || m["path"] != "/lambda" || m["body"] != "hi" || r.header.Get("X-Fn") != "1" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
		if !strings.HasPrefix(r.header.Get("X-Amzn-Trace-Id"), "Root=1-") {
			t.Errorf("Lambda response without trace id: %v", r.header)
		}
	})

	t.Run("redirect returned to the client", func(t *testing.T) {
		r := w.do(t, "GET", "/test/status/302", nil, nil)
		w.backendRequest(t)
		if r.status != 302 {
			t.Errorf("status %d", r.status)
		}
	})

	t.Run("malformed requests on the wire", func(t *testing.T) {
		addr := strings.TrimPrefix(w.srv.URL, "http://")
		big := strings.Repeat("a", 200<<10)
		for _, tc := range []struct {
			raw       string
			halfClose bool // send EOF after the request (a truncated body)
		}{
			{raw: "GET /test/%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /test/inspect/%zz/%%% HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /test/inspect/%C0%AE%FF/%00 HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /test/inspect?x=%zz&&=&%%%=1 HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /test/mock?%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /t%zzest/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /%74est/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET //test/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET /test/../test/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "GET http://other.example/test/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "FOO /test/inspect HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "PROPFIND /test/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "get /test/mock HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"},
			{raw: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
			{raw: "GET /test/mock HTTP/1.0\r\n\r\n"},
			{raw: "GET /test/inspect HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"},
			{raw: "GET /test/inspect HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Many: v\r\n", 2000) + "\r\n"},
			{raw: "GET /test/mock HTTP/1.1\r\nHost: x\r\nX-Huge: " + strings.Repeat("h", 2<<20) + "\r\n\r\n"},
			{raw: "GET /test/mock HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n"},
			{raw: "GET /test/mock HTTP/1.1\r\nHost: x\r\nx-amzn-RequestId: \x01\x02\r\n\r\n"},
			{raw: "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
			{raw: "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
			{raw: "POST /test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nnot chunked\r\n"},
			{raw: "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", halfClose: true},
			{raw: "POST /test/lambda HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\xff\xfe\x00\x01"},
			{raw: "\x00\x01\x02\r\n\r\n"},
		} {
			status := rawRequest(t, addr, tc.raw, tc.halfClose)
			// 505 is net/http refusing the protocol version, never the gateway.
			if status == 0 || status >= 500 {
				name := tc.raw
				if len(name) > 80 {
					name = name[:80] + "…"
				}
				t.Errorf("%q → status %d", name, status)
			}
		}
		if status := rawRequest(t, addr, "GET /test/mock HTTP/9.9\r\nHost: x\r\n\r\n", false); status != http.StatusHTTPVersionNotSupported {
			t.Errorf("HTTP/9.9 → %d", status)
		}
		// The gateway still serves.
		if r := w.do(t, "GET", "/test/mock", nil, nil); r.status != 200 {
			t.Errorf("after malformed requests: %d", r.status)
		}
	})

	t.Run("malformed requests in process", func(t *testing.T) {
		for name, req := range map[string]*http.Request{
			"invalid RawPath":   {Method: "GET", URL: &url.URL{Path: "/test/inspect/a b", RawPath: "/test/inspect/%zz"}, Header: http.Header{}},
			"opaque URL":        {Method: "GET", URL: &url.URL{Scheme: "mailto", Opaque: "a@b"}, Header: http.Header{}},
			"empty path":        {Method: "GET", URL: &url.URL{}, Header: http.Header{}},
			"empty method":      {Method: "", URL: &url.URL{Path: "/test/inspect"}, Header: http.Header{}},
			"nil header":        {Method: "GET", URL: &url.URL{Path: "/test/mock"}},
			"nil header lambda": {Method: "GET", URL: &url.URL{Path: "/test/lambda"}},
			"NUL in path":       {Method: "GET", URL: &url.URL{Path: "/test/inspect/\x00"}, Header: http.Header{}},
			"huge header":       {Method: "GET", URL: &url.URL{Path: "/test/mock"}, Header: http.Header{"X-Big": {strings.Repeat("x", 4<<20)}}},
			"huge path":         {Method: "GET", URL: &url.URL{Path: "/test/" + strings.Repeat("seg/", 50000)}, Header: http.Header{}},
		} {
			t.Run(name, func(t *testing.T) {
				if req.Body == nil {
					req.Body = http.NoBody
				}
				rec := httptest.NewRecorder()
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("panic: %v", p)
						}
					}()
					w.gw.ServeHTTP(rec, req.WithContext(context.Background()))
				}()
				if rec.Code >= 500 {
					t.Errorf("status %d: %s", rec.Code, rec.Body)
				}
				// Drain whatever reached the backend.
				for len(w.seen) > 0 {
					<-w.seen
				}
			})
		}
	})

	w.close()
	goleak.VerifyNone(t, ignore)
}

// rawRequest writes raw to the gateway on a fresh connection and returns the
// response status (0 if the server closed without one). Half-closing makes
// the server cancel the request, so it is only for truncated bodies.
func rawRequest(t *testing.T, addr, raw string, halfClose bool) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(e2eGuard))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Logf("write: %v", err) // the server may answer and close early on a huge header
	}
	if halfClose {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestNewRequiresAPIAndStage(t *testing.T) {
	api := &restapi.API{}
	if _, err := gateway.New(nil, &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test"}}}, gateway.Options{}); err == nil {
		t.Error("nil API accepted")
	}
	if _, err := gateway.New(api, nil, gateway.Options{}); err == nil {
		t.Error("no stages accepted")
	}
	gw, err := gateway.New(api, &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test"}}}, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw.Close()
}

func TestNewTransport(t *testing.T) {
	tr := gateway.NewTransport()
	if tr.Proxy != nil || !tr.DisableCompression || tr.MaxIdleConnsPerHost < 100 {
		t.Errorf("transport %+v", tr)
	}
}

func TestAccessLogOption(t *testing.T) {
	api, err := restapi.LoadFile("../fixtures/apis/reference.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gw, err := gateway.New(api, &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test", Variables: map[string]string{"version": "v7"}}}}, gateway.Options{
		Clock:     clockwork.NewFakeClock(),
		AccessLog: slog.New(slog.NewJSONHandler(&buf, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	for _, path := range []string{"/test/mock", "/test/nope"} {
		buf.Reset()
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%s: access log %q: %v", path, buf.String(), err)
		}
		if line["requestId"] != rec.Header()["x-amzn-RequestId"][0] || line["extendedRequestId"] != rec.Header()["x-amz-apigw-id"][0] ||
			line["status"] != float64(rec.Code) || line["responseLength"] != float64(rec.Body.Len()) || line["path"] != path {
			t.Errorf("%s: line %v for response %d %v", path, line, rec.Code, rec.Header())
		}
	}
}

// deploymentAPI is a one-route API whose mock answers with its own label.
func deploymentAPI(t *testing.T, path, label string) *restapi.API {
	t.Helper()
	doc := `openapi: 3.0.1
info: {title: deployments, version: "1"}
paths:
  ` + path + `:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"deployment":"$context.deploymentId","label":"` + label + `","canary":"$context.isCanaryRequest"}'}
`
	api, err := restapi.Load(label+".yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// A stage serves its deployment's snapshot of the API, and its canary the
// canary deployment's (spec §6, §7): routes, methods and integrations
// come from the snapshot, not from the stage.
func TestStagesServeTheirDeploymentsSnapshot(t *testing.T) {
	d1 := deploymentAPI(t, "/v1-only", "first")
	d2 := deploymentAPI(t, "/v2-only", "second")
	stages := []restapi.Stage{
		{StageName: "old", DeploymentID: "d1"},
		{StageName: "new", DeploymentID: "d2"},
		{StageName: "canaried", DeploymentID: "d1", CanarySettings: &restapi.CanarySettings{PercentTraffic: 100, DeploymentID: "d2"}},
	}
	gw, err := gateway.New(d1, &restapi.StageFile{Stages: stages}, gateway.Options{Deployments: map[string]*restapi.API{"d2": d2}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/old/v1-only", 200, `{"deployment":"d1","label":"first","canary":"false"}`},
		{"/old/v2-only", 403, `{"message":"Missing Authentication Token"}`},
		{"/new/v2-only", 200, `{"deployment":"d2","label":"second","canary":"false"}`},
		{"/new/v1-only", 403, `{"message":"Missing Authentication Token"}`},
		{"/canaried/v2-only", 200, `{"deployment":"d2","label":"second","canary":"true"}`},
		{"/canaried/v1-only", 403, `{"message":"Missing Authentication Token"}`},
	} {
		if status, body := get(c.path); status != c.status || body != c.body {
			t.Errorf("GET %s: %d %s; want %d %s", c.path, status, body, c.status, c.body)
		}
	}
}
