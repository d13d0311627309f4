package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// parityWorld is the gateway over the reference API in front of the real
// fixture backend, which also plays the Lambda Invoke API.
type parityWorld struct {
	fixture *httptest.Server
	gw      *gateway.Gateway
	srv     *httptest.Server
	client  *http.Client
	counter *backend.Client
}

func newParityWorld(t *testing.T) *parityWorld {
	t.Helper()
	fx := backend.New(backend.Options{Version: "v1"})
	w := &parityWorld{fixture: httptest.NewServer(fx)}
	api, err := restapi.LoadFile("../fixtures/apis/reference.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stages := []restapi.Stage{{StageName: "test", Variables: map[string]string{"backend": strings.TrimPrefix(w.fixture.URL, "http://")}}}
	w.gw, err = gateway.New(api, &restapi.StageFile{Stages: stages}, gateway.Options{LambdaEndpoint: w.fixture.URL})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.gw)
	w.client = &http.Client{Transport: &http.Transport{DisableCompression: true}}
	w.counter = &backend.Client{BaseURL: w.fixture.URL, HTTP: w.client}
	t.Cleanup(func() {
		w.client.CloseIdleConnections()
		w.srv.Close()
		w.gw.Close()
		w.fixture.Close()
		_ = fx.Close()
	})
	return w
}

func (w *parityWorld) do(t *testing.T, method, path string, body []byte, hdr map[string]string) e2eResp {
	t.Helper()
	return send(t, w.client, method, w.srv.URL+path, bytes.NewReader(body), hdr)
}

func (w *parityWorld) echoCount(t *testing.T) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eGuard)
	defer cancel()
	c, err := w.counter.Counters(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return c.Routes["echo"]
}

// TestBinaryRoutesEndToEnd drives the reference API's /binary routes
// (fixtures/README.md) against the fixture: binaryMediaTypes
// [application/octet-stream, image/*] and contentHandling on the
// integration and the integration response (evidence topic 6).
func TestBinaryRoutesEndToEnd(t *testing.T) {
	w := newParityWorld(t)
	raw := []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe, 0x00, 0x01}
	b64 := base64.StdEncoding.EncodeToString(raw)

	for _, tc := range []struct {
		name, method, path string
		body               []byte
		hdr                map[string]string
		want               []byte
		contentType        string
	}{
		{"binary passes through to a binary Accept", "POST", "/test/binary/echo", raw, map[string]string{"Content-Type": "image/png", "Accept": "image/png"}, raw, "image/png"},
		{"binary to a text Accept is base64", "POST", "/test/binary/echo", raw, map[string]string{"Content-Type": "image/png", "Accept": "application/json"}, []byte(b64), "image/png"},
		{"only the first Accept type counts", "POST", "/test/binary/echo", raw, map[string]string{"Content-Type": "image/png", "Accept": "text/html,image/png"}, []byte(b64), "image/png"},
		{"text stays text", "POST", "/test/binary/echo", []byte(`{"a":1}`), map[string]string{"Content-Type": "application/json", "Accept": "application/json"}, []byte(`{"a":1}`), "application/json"},
		{"CONVERT_TO_TEXT request, text answer", "POST", "/test/binary/to-text", raw, map[string]string{"Content-Type": "image/png", "Accept": "application/json"}, []byte(b64), "text/plain"},
		{"CONVERT_TO_TEXT request, binary Accept decodes the answer", "POST", "/test/binary/to-text", raw, map[string]string{"Content-Type": "image/png", "Accept": "image/png"}, raw, "text/plain"},
		{"CONVERT_TO_BINARY request, binary Accept", "POST", "/test/binary/to-binary", []byte(b64), map[string]string{"Content-Type": "text/plain", "Accept": "application/octet-stream"}, raw, "application/octet-stream"},
		{"CONVERT_TO_BINARY request, text Accept", "POST", "/test/binary/to-binary", []byte(b64), map[string]string{"Content-Type": "text/plain", "Accept": "application/json"}, []byte(b64), "application/octet-stream"},
		{"CONVERT_TO_BINARY response", "POST", "/test/binary/decode", []byte(b64), map[string]string{"Content-Type": "text/plain", "Accept": "application/json"}, raw, "text/plain"},
		{"CONVERT_TO_TEXT response", "GET", "/test/binary/bytes/5", nil, map[string]string{"Accept": "application/octet-stream"}, []byte(base64.StdEncoding.EncodeToString([]byte("gatec"))), "application/octet-stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.do(t, tc.method, tc.path, tc.body, tc.hdr)
			if r.status != 200 || !bytes.Equal(r.body, tc.want) {
				t.Errorf("got %d %q, want 200 %q", r.status, r.body, tc.want)
			}
			if ct := r.header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
		})
	}

	// Not base64 where binary is expected: 500 (DOC), before the backend
	// for the request conversion, after it for the response's.
	for _, tc := range []struct {
		path      string
		backendOK bool
	}{{"/test/binary/to-binary", false}, {"/test/binary/decode", true}} {
		before := w.echoCount(t)
		r := w.do(t, "POST", tc.path, []byte("not base64!"), map[string]string{"Content-Type": "text/plain"})
		if r.status != 500 || jsonBody(t, r.body)["message"] != "Internal server error" {
			t.Errorf("%s: got %d %s, want 500 Internal server error", tc.path, r.status, r.body)
		}
		if called := w.echoCount(t) > before; called != tc.backendOK {
			t.Errorf("%s: backend called = %v, want %v", tc.path, called, tc.backendOK)
		}
	}
}

// TestBinaryLambdaEndToEnd: the Lambda proxy event's body is base64 only
// for a binary Content-Type, and a base64 result is decoded only for a
// binary first Accept type (DOC).
func TestBinaryLambdaEndToEnd(t *testing.T) {
	w := newParityWorld(t)
	raw := []byte{0xff, 0xfe, 0xfd, 'x'}
	bodyLength := func(r e2eResp) float64 {
		t.Helper()
		var doc struct {
			Request struct {
				BodyLength float64 `json:"bodyLength"`
			} `json:"request"`
		}
		if err := json.Unmarshal(r.body, &doc); err != nil || r.status != 200 {
			t.Fatalf("lambda answered %d %q: %v", r.status, r.body, err)
		}
		return doc.Request.BodyLength
	}
	// Base64 in the event: the function decodes it back to the 4 bytes.
	if n := bodyLength(w.do(t, "POST", "/test/binary/lambda", raw, map[string]string{"Content-Type": "application/octet-stream"})); n != 4 {
		t.Errorf("binary Content-Type: the function saw %v bytes, want 4", n)
	}
	// Text in the event: three invalid bytes became three U+FFFD (3 bytes each).
	if n := bodyLength(w.do(t, "POST", "/test/binary/lambda", raw, map[string]string{"Content-Type": "text/plain"})); n != 10 {
		t.Errorf("text Content-Type: the function saw %v bytes, want 10", n)
	}

	result := base64.StdEncoding.EncodeToString([]byte(`{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"` + base64.StdEncoding.EncodeToString(raw) + `","isBase64Encoded":true}`))
	r := w.do(t, "GET", "/test/binary/lambda", nil, map[string]string{"X-Gatecheck-Lambda-Result": result, "Accept": "image/png"})
	if r.status != 200 || !bytes.Equal(r.body, raw) {
		t.Errorf("binary Accept: %d %q, want the decoded bytes", r.status, r.body)
	}
	r = w.do(t, "GET", "/test/binary/lambda", nil, map[string]string{"X-Gatecheck-Lambda-Result": result, "Accept": "application/json"})
	if r.status != 200 || string(r.body) != base64.StdEncoding.EncodeToString(raw) {
		t.Errorf("text Accept: %d %q, want the body still encoded", r.status, r.body)
	}
}

// parityAPI: a root greedy resource next to specific ones, and models
// referenced with $ref from an ANY method (evidence topics 7, 8).
const parityAPI = `openapi: 3.0.1
info: {title: parity, version: "1"}
x-amazon-apigateway-request-validators:
  body: {validateRequestBody: true, validateRequestParameters: false}
components:
  schemas:
    testSchema:
      type: object
      properties: {a: {type: number}, b: {type: number}}
      required: [a, b]
x-routed: &routed
  type: mock
  requestTemplates: {application/json: '{"statusCode": 200}'}
  responses:
    default:
      statusCode: "200"
      responseTemplates: {application/json: '{"resource":"$context.resourcePath","method":"$context.httpMethod","proxy":"$input.params(''proxy'')"}'}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: *routed
  /items:
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: *routed
  /models:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-request-validator: body
      requestBody:
        content:
          application/json:
            schema: {$ref: "https://apigateway.amazonaws.com/restapis/abc123/models/testSchema"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: *routed
`

// TestRoutingAndValidationEndToEnd: routing on the (resource, method)
// pair, then the ANY method's $ref model, through the whole pipeline.
func TestRoutingAndValidationEndToEnd(t *testing.T) {
	api, err := restapi.Load("parity.yaml", []byte(parityAPI))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(api, &restapi.StageFile{Stages: []restapi.Stage{{StageName: "s"}}}, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/s/items", "", 200, `{"resource":"/items","method":"GET","proxy":""}`},
		{"POST", "/s/items", "", 200, `{"resource":"/{proxy+}","method":"POST","proxy":"items"}`},
		{"OPTIONS", "/s/items/", "", 200, `{"resource":"/{proxy+}","method":"OPTIONS","proxy":"items"}`},
		{"GET", "/s//items", "", 200, `{"resource":"/items","method":"GET","proxy":""}`},
		{"GET", "/s/", "", 403, `{"message":"Missing Authentication Token"}`}, // no root method; a greedy variable needs a segment
		{"POST", "/s/models", `{"a":1,"b":2}`, 200, `{"resource":"/models","method":"POST","proxy":""}`},
		{"PUT", "/s/models", `{"a":1}`, 400, `{"message":"Invalid request body"}`},
		{"DELETE", "/s/models", `{"test":"test"}`, 400, `{"message":"Invalid request body"}`},
		{"POST", "/s/models/x", `{"test":"test"}`, 200, `{"resource":"/{proxy+}","method":"POST","proxy":"models/x"}`},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Body.String() != tc.want {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.want)
		}
		if v := rec.Header()["x-amzn-ErrorType"]; tc.status == 400 && (len(v) != 1 || v[0] != "BadRequestException") {
			t.Errorf("%s %s: x-amzn-ErrorType = %q", tc.method, tc.path, v)
		}
	}
}
