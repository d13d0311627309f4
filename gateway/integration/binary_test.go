package integration_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/integration"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Payload encodings (evidence topic 6: DOC api-gateway-payload-encodings
// and api-gateway-payload-encodings-workflow, whose tables the cases below
// follow row by row).

func TestIsBinaryMediaType(t *testing.T) {
	for _, tc := range []struct {
		types  []string
		header string
		want   bool
	}{
		{nil, "image/png", false},
		{[]string{"image/png"}, "image/png", true},
		{[]string{"image/png"}, "IMAGE/PNG", true},
		{[]string{"image/png"}, "image/png; q=0.9", true},
		{[]string{"image/png"}, "image/jpeg", false},
		{[]string{"image/*"}, "image/webp", true},
		{[]string{"image/*"}, "imagex/webp", false},
		{[]string{"application/*"}, "application/json", true},
		{[]string{"*/*"}, "text/plain", true},
		{[]string{"*/*"}, "", false},
		{[]string{"image/png"}, "", false},
		{[]string{"image/png"}, "*/*", false}, // the header's wildcard is not expanded
		{[]string{"image/*"}, "image/*", true},
		// Only the first Accept type counts (DOC).
		{[]string{"image/webp"}, "image/webp,image/*,*/*;q=0.8", true},
		{[]string{"image/png"}, "text/html, image/png", false},
		{[]string{"image/png"}, " image/png ,text/html", true},
		{[]string{"text/plain", "image/png"}, "image/png", true},
	} {
		if got := integration.IsBinaryMediaType(tc.types, tc.header); got != tc.want {
			t.Errorf("IsBinaryMediaType(%q, %q) = %v, want %v", tc.types, tc.header, got, tc.want)
		}
	}
}

var (
	rawBinary = []byte{0x89, 'P', 'N', 'G', 0xff, 0x00, 0x01}
	rawB64    = base64.StdEncoding.EncodeToString(rawBinary)
)

// TestRequestPayloadConversion: method request body, Content-Type,
// binaryMediaTypes and the integration's contentHandling give the body
// the backend receives (the request table).
func TestRequestPayloadConversion(t *testing.T) {
	for _, tc := range []struct {
		name        string
		types       []string
		contentType string
		handling    string
		body        []byte
		want        []byte // nil: 500
	}{
		{"text, no types", nil, "application/json", "", []byte(`{"a":1}`), []byte(`{"a":1}`)},
		{"text, no types, CONVERT_TO_BINARY", nil, "text/plain", integration.ConvertToBinary, []byte("aGk="), []byte("hi")},
		{"text, no types, CONVERT_TO_BINARY unpadded", nil, "text/plain", integration.ConvertToBinary, []byte("aGk"), []byte("hi")},
		{"text, no types, CONVERT_TO_TEXT", nil, "text/plain", integration.ConvertToText, []byte("hello"), []byte("hello")},
		{"bytes that are not UTF-8 as text", nil, "application/octet-stream", "", rawBinary, []byte("\uFFFDPNG\uFFFD\x00\x01")},
		{"text type, types set", []string{"image/*"}, "text/plain", "", []byte("hello"), []byte("hello")},
		{"text type, types set, CONVERT_TO_BINARY", []string{"image/*"}, "text/plain", integration.ConvertToBinary, []byte(rawB64), rawBinary},
		{"text type, types set, CONVERT_TO_TEXT", []string{"image/*"}, "text/plain", integration.ConvertToText, []byte("hello"), []byte("hello")},
		{"binary type", []string{"image/*"}, "image/png", "", rawBinary, rawBinary},
		{"binary type, CONVERT_TO_BINARY", []string{"image/*"}, "image/png", integration.ConvertToBinary, rawBinary, rawBinary},
		{"binary type, CONVERT_TO_TEXT", []string{"image/*"}, "image/png", integration.ConvertToText, rawBinary, []byte(rawB64)},
		{"*/* makes every type binary", []string{"*/*"}, "application/json", integration.ConvertToText, []byte(`{}`), []byte("e30=")},
		{"not base64 where binary is expected", nil, "text/plain", integration.ConvertToBinary, []byte("not base64!"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.api.BinaryMediaTypes = tc.types
			srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{}`))
			})
			in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "POST", URI: srv.URL + "/x", ContentHandling: tc.handling,
				Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
			c := h.ctx(in, "/x", nil)
			c.Body = tc.body
			req := httptest.NewRequest("POST", "/test/x", nil)
			req.Header.Set("Content-Type", tc.contentType)
			rec := h.serve(req, c)
			if tc.want == nil {
				assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
				noneIn(t, got, "backend request")
				return
			}
			b := receive(t, got, "backend request")
			if b.body != string(tc.want) {
				t.Errorf("backend got %q, want %q", b.body, tc.want)
			}
			if !bytes.Equal(c.Body, tc.body) {
				t.Errorf("the method request body changed to %q", c.Body)
			}
		})
	}
}

// TestRequestTemplateSeesConvertedBody: CONVERT_TO_TEXT happens before the
// request template, which reads the base64 string as $input.body (DOC,
// "Convert binary data to text data").
func TestRequestTemplateSeesConvertedBody(t *testing.T) {
	h := newHarness(t)
	h.api.BinaryMediaTypes = []string{"application/octet-stream"}
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {})
	in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "POST", URI: srv.URL + "/x", ContentHandling: integration.ConvertToText,
		RequestTemplates: map[string]string{"application/octet-stream": `{"body": "$input.body"}`},
		Responses:        map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	c := h.ctx(in, "/x", nil)
	c.Body = rawBinary
	req := httptest.NewRequest("POST", "/test/x", nil)
	req.Header.Set("Content-Type", "application/octet-stream")
	h.serve(req, c)
	if b := receive(t, got, "backend request"); b.body != `{"body": "`+rawB64+`"}` {
		t.Errorf("backend got %q", b.body)
	}
}

// TestResponsePayloadConversion: integration response body and
// Content-Type, the request's first Accept type, binaryMediaTypes and the
// integration response's contentHandling give the client's body (the
// response table).
func TestResponsePayloadConversion(t *testing.T) {
	for _, tc := range []struct {
		name        string
		types       []string
		accept      string
		payloadType string
		handling    string
		payload     []byte
		want        []byte // nil: 500
	}{
		{"no types, text", nil, "application/json", "application/json", "", []byte(`{"a":1}`), []byte(`{"a":1}`)},
		{"no types, binary bytes as text", nil, "image/png", "image/png", "", rawBinary, []byte("\uFFFDPNG\uFFFD\x00\x01")},
		{"no types, CONVERT_TO_BINARY", nil, "application/json", "text/plain", integration.ConvertToBinary, []byte(rawB64), rawBinary},
		{"no types, CONVERT_TO_TEXT", nil, "application/json", "text/plain", integration.ConvertToText, []byte("hello"), []byte("hello")},
		{"text payload, text Accept", []string{"image/*"}, "application/json", "text/plain", "", []byte("hello"), []byte("hello")},
		{"text payload, text Accept, CONVERT_TO_BINARY", []string{"image/*"}, "application/json", "text/plain", integration.ConvertToBinary, []byte(rawB64), rawBinary},
		{"text payload, text Accept, CONVERT_TO_TEXT", []string{"image/*"}, "application/json", "text/plain", integration.ConvertToText, []byte("hello"), []byte("hello")},
		{"text payload, binary Accept", []string{"image/*"}, "image/png", "text/plain", "", []byte(rawB64), rawBinary},
		{"text payload, binary Accept, CONVERT_TO_BINARY", []string{"image/*"}, "image/png", "text/plain", integration.ConvertToBinary, []byte(rawB64), rawBinary},
		{"text payload, binary Accept, CONVERT_TO_TEXT", []string{"image/*"}, "image/png", "text/plain", integration.ConvertToText, []byte("hello"), []byte("hello")},
		{"binary payload, text Accept", []string{"image/*"}, "application/json", "image/png", "", rawBinary, []byte(rawB64)},
		{"binary payload, text Accept, CONVERT_TO_BINARY", []string{"image/*"}, "application/json", "image/png", integration.ConvertToBinary, rawBinary, rawBinary},
		{"binary payload, text Accept, CONVERT_TO_TEXT", []string{"image/*"}, "application/json", "image/png", integration.ConvertToText, rawBinary, []byte(rawB64)},
		{"binary payload, binary Accept", []string{"image/*"}, "image/png", "image/png", "", rawBinary, rawBinary},
		{"binary payload, binary Accept, CONVERT_TO_BINARY", []string{"image/*"}, "image/png", "image/png", integration.ConvertToBinary, rawBinary, rawBinary},
		{"binary payload, binary Accept, CONVERT_TO_TEXT", []string{"image/*"}, "image/png", "image/png", integration.ConvertToText, rawBinary, []byte(rawB64)},
		{"only the first Accept type counts", []string{"image/*"}, "text/html, image/png", "image/png", "", rawBinary, []byte(rawB64)},
		{"not base64 where binary is expected", nil, "application/json", "text/plain", integration.ConvertToBinary, []byte("not base64!"), nil},
		{"a JSON payload to a binary Accept is decoded as base64", []string{"image/*"}, "image/png", "application/json", "", []byte(`{"a":1}`), nil},
		{"*/* makes every payload binary", []string{"*/*"}, "*/*", "application/json", "", []byte(`{"a":1}`), []byte(`{"a":1}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.api.BinaryMediaTypes = tc.types
			srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.payloadType)
				_, _ = w.Write(tc.payload)
			})
			// A non-proxy response carries only mapped headers (AWS-REC):
			// map the backend's Content-Type through.
			in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: srv.URL + "/x",
				Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200", ContentHandling: tc.handling,
					ResponseParameters: map[string]string{"method.response.header.Content-Type": "integration.response.header.Content-Type"}}}}
			req := httptest.NewRequest("GET", "/test/x", nil)
			req.Header.Set("Accept", tc.accept)
			rec := h.serve(req, h.ctx(in, "/x", nil))
			receive(t, got, "backend request")
			if tc.want == nil {
				assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
				return
			}
			if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), tc.want) {
				t.Errorf("client got %d %q, want 200 %q", rec.Code, rec.Body, tc.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tc.payloadType {
				t.Errorf("Content-Type = %q, want the backend's %q", ct, tc.payloadType)
			}
		})
	}
}

// TestResponseTemplateSeesConvertedBody: the response conversion happens
// before the response template (as LocalStack orders them, OBS).
func TestResponseTemplateSeesConvertedBody(t *testing.T) {
	h := newHarness(t)
	h.api.BinaryMediaTypes = []string{"image/*"}
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(rawBinary)
	})
	in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: srv.URL + "/x",
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200", ContentHandling: integration.ConvertToText,
			ResponseTemplates: map[string]string{"application/json": `{"data":"$input.body"}`}}}}
	rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
	receive(t, got, "backend request")
	if want := `{"data":"` + rawB64 + `"}`; rec.Body.String() != want {
		t.Errorf("client got %q, want %q", rec.Body, want)
	}
}

// TestHTTPProxyPassesBinaryThrough: http_proxy converts nothing, whatever
// the binary media types say.
func TestHTTPProxyPassesBinaryThrough(t *testing.T) {
	for _, types := range [][]string{nil, {"*/*"}} {
		h := newHarness(t)
		h.api.BinaryMediaTypes = types
		srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(rawBinary)
		})
		c := h.ctx(restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "POST", URI: srv.URL + "/x"}, "/x", nil)
		c.Body = rawBinary
		req := httptest.NewRequest("POST", "/test/x", nil)
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Accept", "image/png")
		rec := h.serve(req, c)
		if b := receive(t, got, "backend request"); b.body != string(rawBinary) {
			t.Errorf("types %q: backend got %q", types, b.body)
		}
		if !bytes.Equal(rec.Body.Bytes(), rawBinary) {
			t.Errorf("types %q: client got %q", types, rec.Body)
		}
	}
}

// TestLambdaProxyBinaryResult: a result with isBase64Encoded true is
// decoded only for a binary first Accept type (DOC lambda-proxy-binary-media);
// a result that is not base64 there is a 500.
func TestLambdaProxyBinaryResult(t *testing.T) {
	for _, tc := range []struct {
		name   string
		types  []string
		accept string
		result string
		want   []byte // nil: 500
	}{
		{"binary Accept", []string{"image/*"}, "image/png", `{"body":"` + rawB64 + `","isBase64Encoded":true,"headers":{"Content-Type":"image/png"}}`, rawBinary},
		{"text Accept, binary result type", []string{"image/*"}, "application/json", `{"body":"` + rawB64 + `","isBase64Encoded":true,"headers":{"Content-Type":"image/png"}}`, []byte(rawB64)},
		{"first Accept type only", []string{"image/*"}, "text/html,image/png", `{"body":"aGk=","isBase64Encoded":true}`, []byte("aGk=")},
		{"*/* covers any Accept", []string{"*/*"}, "text/html", `{"body":"aGk=","isBase64Encoded":true}`, []byte("hi")},
		{"not marked base64", []string{"*/*"}, "image/png", `{"body":"aGk="}`, []byte("aGk=")},
		{"not base64", []string{"image/*"}, "image/png", `{"body":"not base64!","isBase64Encoded":true}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, calls := lambdaHarness(t, result(tc.result))
			h.api.BinaryMediaTypes = tc.types
			req := httptest.NewRequest("GET", "/test/lambda", nil)
			req.Header.Set("Accept", tc.accept)
			rec := lambdaCtx(h, "/lambda", nil)(req)
			receive(t, calls, "Lambda invocation")
			if tc.want == nil {
				assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
				return
			}
			if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), tc.want) {
				t.Errorf("client got %d %q, want 200 %q", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

// TestMockIsNotConverted: a mock integration has no payload to convert;
// its response template's output goes out as rendered, whatever Accept.
func TestMockIsNotConverted(t *testing.T) {
	h := newHarness(t)
	h.api.BinaryMediaTypes = []string{"*/*"}
	in := restapi.Integration{Type: restapi.Mock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}
	req := httptest.NewRequest("GET", "/test/m", nil)
	req.Header.Set("Accept", "*/*")
	rec := h.serve(req, h.ctx(in, "/m", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"ok":true}` {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
}
