package integration_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

const lambdaURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"

// invocation is one call the fake Lambda received.
type invocation struct {
	path   string
	header http.Header
	event  event
	raw    map[string]json.RawMessage
}

// event is the REST Lambda proxy input (format 1.0) as a function reads
// it; decoded strictly, so a key AWS does not send fails the test.
type event struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  struct {
		AccountID         string `json:"accountId"`
		APIID             string `json:"apiId"`
		DeploymentID      string `json:"deploymentId"`
		DomainName        string `json:"domainName"`
		DomainPrefix      string `json:"domainPrefix"`
		ResourceID        string `json:"resourceId"`
		ResourcePath      string `json:"resourcePath"`
		HTTPMethod        string `json:"httpMethod"`
		Path              string `json:"path"`
		Stage             string `json:"stage"`
		RequestID         string `json:"requestId"`
		ExtendedRequestID string `json:"extendedRequestId"`
		RequestTime       string `json:"requestTime"`
		RequestTimeEpoch  int64  `json:"requestTimeEpoch"`
		Protocol          string `json:"protocol"`
		Identity          struct {
			AccessKey                     *string `json:"accessKey"`
			AccountID                     *string `json:"accountId"`
			APIKey                        *string `json:"apiKey"`
			APIKeyID                      *string `json:"apiKeyId"`
			Caller                        *string `json:"caller"`
			CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
			CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
			CognitoIdentityID             *string `json:"cognitoIdentityId"`
			CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
			PrincipalOrgID                *string `json:"principalOrgId"`
			SourceIP                      string  `json:"sourceIp"`
			User                          *string `json:"user"`
			UserAgent                     *string `json:"userAgent"`
			UserArn                       *string `json:"userArn"`
		} `json:"identity"`
	} `json:"requestContext"`
	Body            *string `json:"body"`
	IsBase64Encoded bool    `json:"isBase64Encoded"`
}

// fakeLambda speaks the Lambda Invoke API: it records each invocation and
// answers with respond.
func fakeLambda(t *testing.T, respond http.HandlerFunc) (*httptest.Server, <-chan invocation) {
	t.Helper()
	ch := make(chan invocation, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		inv := invocation{path: r.URL.EscapedPath(), header: r.Header.Clone()}
		if r.Method != http.MethodPost {
			t.Errorf("Lambda invoked with %s", r.Method)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&inv.event); err != nil {
			t.Errorf("event does not have the proxy event shape: %v\n%s", err, b)
		}
		_ = json.Unmarshal(b, &inv.raw)
		ch <- inv
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func result(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

func lambdaHarness(t *testing.T, respond http.HandlerFunc) (*harness, <-chan invocation) {
	t.Helper()
	h := newHarness(t)
	srv, ch := fakeLambda(t, respond)
	h.stage.LambdaEndpoint = srv.URL + "/"
	return h, ch
}

func lambdaCtx(h *harness, resource string, params map[string]string) func(*http.Request) *httptest.ResponseRecorder {
	return func(req *http.Request) *httptest.ResponseRecorder {
		c := h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, resource, params)
		c.StageVariables = map[string]string{"fn": "my-fn", "version": "v1"}
		return h.serve(req, c)
	}
}

func TestLambdaProxyEvent(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":201,"headers":{"X-Fn":"yes"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"{\"ok\":true}"}`))
	req := httptest.NewRequest("PUT", "/test/users/42/files/a/b?x=1&x=2&y=z", nil)
	req.Header.Set("User-Agent", "agent/1")
	req.Header.Add("X-Multi", "m1")
	req.Header.Add("X-Multi", "m2")
	req.Header.Set("Content-Type", "text/plain")
	c := h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, "/users/{id}/files/{proxy+}", map[string]string{"id": "42", "proxy": "a/b"})
	c.StageVariables = map[string]string{"fn": "my-fn", "version": "v1"}
	c.Body = []byte("hello body")
	rec := h.serve(req, c)

	inv := receive(t, calls, "Lambda invocation")
	if inv.path != "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations" {
		t.Errorf("invoke path = %q", inv.path)
	}
	if inv.header.Get("X-Amzn-Trace-Id") != testTraceID || inv.header.Get("Content-Type") != "application/json" {
		t.Errorf("invoke headers = %v", inv.header)
	}
	ev := inv.event
	if ev.Resource != "/users/{id}/files/{proxy+}" || ev.Path != "/users/42/files/a/b" || ev.HTTPMethod != "PUT" {
		t.Errorf("resource %q path %q method %q", ev.Resource, ev.Path, ev.HTTPMethod)
	}
	if !maps.Equal(ev.PathParameters, map[string]string{"id": "42", "proxy": "a/b"}) {
		t.Errorf("pathParameters = %v", ev.PathParameters)
	}
	if !maps.Equal(ev.StageVariables, map[string]string{"fn": "my-fn", "version": "v1"}) {
		t.Errorf("stageVariables = %v", ev.StageVariables)
	}
	if !maps.Equal(ev.QueryStringParameters, map[string]string{"x": "2", "y": "z"}) {
		t.Errorf("queryStringParameters = %v (the last value wins)", ev.QueryStringParameters)
	}
	if !slices.Equal(ev.MultiValueQueryStringParameters["x"], []string{"1", "2"}) || !slices.Equal(ev.MultiValueQueryStringParameters["y"], []string{"z"}) {
		t.Errorf("multiValueQueryStringParameters = %v", ev.MultiValueQueryStringParameters)
	}
	if ev.Headers["X-Multi"] != "m2" || !slices.Equal(ev.MultiValueHeaders["X-Multi"], []string{"m1", "m2"}) {
		t.Errorf("headers %v / %v", ev.Headers, ev.MultiValueHeaders)
	}
	if ev.Headers["User-Agent"] != "agent/1" || ev.Headers["X-Amzn-Trace-Id"] != testTraceID || ev.Headers["Host"] != "example.com" {
		t.Errorf("headers = %v", ev.Headers)
	}
	if ev.Body == nil || *ev.Body != "hello body" || ev.IsBase64Encoded {
		t.Errorf("body = %v base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	rc := ev.RequestContext
	if rc.RequestID != testRequestID || rc.ExtendedRequestID != testExtended || rc.Stage != "test" || rc.ResourcePath != "/users/{id}/files/{proxy+}" ||
		rc.HTTPMethod != "PUT" || rc.Path != "/test/users/42/files/a/b" || rc.Protocol != "HTTP/1.1" || rc.RequestTimeEpoch != epoch.UnixMilli() ||
		rc.RequestTime != "04/Jun/2024:12:00:00 +0000" || rc.Identity.SourceIP != "192.0.2.7" || rc.Identity.UserAgent == nil || *rc.Identity.UserAgent != "agent/1" ||
		rc.APIID != h.api.ID() || rc.DomainName != "example.com" || rc.DomainPrefix != "example" || rc.AccountID != "123456789012" {
		t.Errorf("requestContext = %+v", rc)
	}

	if rec.Code != 201 || rec.Body.String() != `{"ok":true}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Fn") != "yes" || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != "11" {
		t.Errorf("response headers = %v", rec.Header())
	}
	if v := headerValues(rec.Header(), "Set-Cookie"); !slices.Equal(v, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie = %q", v)
	}
	// A Lambda proxy response carries the trace id (spec §11).
	if v := headerValues(rec.Header(), "X-Amzn-Trace-Id"); len(v) != 1 || v[0] != testTraceID {
		t.Errorf("X-Amzn-Trace-Id = %q", v)
	}
}

func TestLambdaProxyEventEmptyParts(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":200}`))
	req := httptest.NewRequest("GET", "/test/lambda", nil)
	req.Header = http.Header{}
	c := h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, "/lambda", nil)
	c.StageVariables = map[string]string{"fn": "f"}
	rec := h.serve(req, c)
	inv := receive(t, calls, "Lambda invocation")
	for _, key := range []string{"body", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters"} {
		if string(inv.raw[key]) != "null" {
			t.Errorf("%s = %s, want null", key, inv.raw[key])
		}
	}
	// A request with no headers gets those API Gateway adds.
	if got := slices.Sorted(maps.Keys(inv.event.Headers)); !slices.Equal(got, []string{"Host", "X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"}) {
		t.Errorf("headers = %v, want only those API Gateway adds", inv.event.Headers)
	}
	if string(inv.raw["stageVariables"]) == "null" {
		t.Error("stageVariables null although the stage has some")
	}
	if inv.event.StageVariables["fn"] != "f" {
		t.Errorf("stageVariables = %v", inv.event.StageVariables)
	}
	// No body in the result: an empty body with API Gateway's default content type.
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

// TestLambdaProxyBinaryRequestBody: the event's body is base64 with
// isBase64Encoded true when the request's Content-Type is a binary media
// type of the API, and text otherwise, whatever the bytes (DOC, evidence
// topic 6).
func TestLambdaProxyBinaryRequestBody(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":200}`))
	h.api.BinaryMediaTypes = []string{"image/*"}
	raw := []byte{0xff, 0xfe, 0x00, 0x01}
	for _, tc := range []struct {
		contentType string
		body        string
		base64      bool
	}{
		{"image/png", base64.StdEncoding.EncodeToString(raw), true},
		{"application/octet-stream", "\uFFFD\uFFFD\x00\x01", false}, // text: bytes that are not UTF-8 become U+FFFD
	} {
		c := h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, "/lambda", nil)
		c.StageVariables = map[string]string{"fn": "f"}
		c.Body = raw
		req := httptest.NewRequest("POST", "/test/lambda", nil)
		req.Header.Set("Content-Type", tc.contentType)
		h.serve(req, c)
		ev := receive(t, calls, "Lambda invocation").event
		if ev.Body == nil || *ev.Body != tc.body || ev.IsBase64Encoded != tc.base64 {
			t.Errorf("%s: body = %q, base64 %v; want %q, %v", tc.contentType, deref(ev.Body), ev.IsBase64Encoded, tc.body, tc.base64)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestLambdaProxyResults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		respond http.HandlerFunc
		status  int
		errType string
		message string
		body    string // for successes
	}{
		{name: "unknown key", respond: result(`{"statusCode":200,"wrongValue":"v"}`), status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "bare string", respond: result(`"hello"`), status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "statusCode test", respond: result(`{"statusCode":"test"}`), status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "multiValueHeaders not list", respond: result(`{"multiValueHeaders":{"A":"b"}}`), status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "function error", respond: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
		}, status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "function error with a valid-looking result", respond: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amz-Function-Error", "Handled")
			_, _ = io.WriteString(w, `{"statusCode":200,"body":"fine"}`)
		}, status: 502, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "invoke 500", respond: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"Type":"Service","message":"ServiceException"}`)
		}, status: 500, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "invoke 404 function not found", respond: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"Type":"User","message":"Function not found"}`)
		}, status: 500, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "invoke 429 throttled", respond: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(429)
		}, status: 500, errType: "InternalServerErrorException", message: "Internal server error"},
		{name: "statusCode string 201", respond: result(`{"statusCode":"201","body":"made"}`), status: 201, body: "made"},
		{name: "headers only", respond: result(`{"headers":{"X-A":"1"}}`), status: 200, body: ""},
		// AWS-REC (LocalStack test_lambda_aws_proxy_response_format, 2024-02-23): {} is a 200 with an empty body.
		{name: "empty object", respond: result(`{}`), status: 200, body: ""},
		{name: "base64 without binary types stays encoded", respond: result(`{"body":"aGk=","isBase64Encoded":true}`), status: 200, body: "aGk="},
		{name: "function status 500 is the function's", respond: result(`{"statusCode":500,"body":"app error"}`), status: 500, body: "app error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, calls := lambdaHarness(t, tc.respond)
			rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
			receive(t, calls, "Lambda invocation")
			if tc.errType != "" {
				assertGatewayError(t, rec, tc.status, tc.errType, tc.message)
				return
			}
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tc.status, tc.body)
			}
			if v := headerValues(rec.Header(), "x-amzn-ErrorType"); len(v) != 0 {
				t.Errorf("success carries x-amzn-ErrorType %q", v)
			}
		})
	}
}

func TestLambdaProxyBinaryResponse(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"body":"aGk=","isBase64Encoded":true,"headers":{"Content-Type":"application/octet-stream"}}`))
	h.api.BinaryMediaTypes = []string{"application/octet-stream"}
	serve := lambdaCtx(h, "/lambda", nil)

	req := httptest.NewRequest("GET", "/test/lambda", nil)
	req.Header.Set("Accept", "application/octet-stream, */*")
	rec := serve(req)
	receive(t, calls, "Lambda invocation")
	if rec.Body.String() != "hi" || rec.Header().Get("Content-Length") != "2" {
		t.Errorf("binary Accept: body %q, headers %v", rec.Body, rec.Header())
	}

	req = httptest.NewRequest("GET", "/test/lambda", nil)
	req.Header.Set("Accept", "application/json")
	rec = serve(req)
	receive(t, calls, "Lambda invocation")
	if rec.Body.String() != "aGk=" {
		t.Errorf("non-binary Accept: body %q, want it still encoded", rec.Body)
	}
}

// TestLambdaProxyResultHeaderCase: a function may name headers in any case;
// the client must still get exactly one Content-Type and one Content-Length.
func TestLambdaProxyResultHeaderCase(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":200,"headers":{"content-type":"text/plain","content-length":"999"},"body":"plain"}`))
	rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	receive(t, calls, "Lambda invocation")
	if v := headerValues(rec.Header(), "Content-Type"); !slices.Equal(v, []string{"text/plain"}) {
		t.Errorf("Content-Type values = %q, want just the function's", v)
	}
	if v := headerValues(rec.Header(), "Content-Length"); !slices.Equal(v, []string{"5"}) {
		t.Errorf("Content-Length values = %q, want the real length only", v)
	}
}

func TestLambdaProxyUnavailable(t *testing.T) {
	// No endpoint configured.
	h := newHarness(t)
	rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")

	// Endpoint not reachable: AWS records a failed invocation as 500 (spec §9).
	h.stage.LambdaEndpoint = "http://" + closedAddr(t)
	rec = lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
}

// A function's connection-level headers, in any spelling, never reach the
// client: net/http writes a non-canonical key as it is, so a
// "transfer-encoding: chunked" next to the gateway's Content-Length would
// frame the response twice (before, it went out as is).
func TestLambdaProxyResultHopHeadersDropped(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{"statusCode":200,"headers":{"transfer-encoding":"chunked","connection":"keep-alive","Keep-Alive":"timeout=5","upgrade":"h2c","x-kept":"yes"},"body":"ok"}`))
	rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	receive(t, calls, "Lambda invocation")
	for _, name := range []string{"Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade"} {
		if v := headerValues(rec.Header(), name); len(v) != 0 {
			t.Errorf("%s reached the client: %q", name, v)
		}
	}
	if headerValue(rec.Header(), "X-Kept") != "yes" || headerValue(rec.Header(), "Content-Length") != "2" {
		t.Errorf("headers %v", rec.Header())
	}
}
