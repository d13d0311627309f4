package integration_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/integration"
)

// TestParseProxyResult covers spec §9's Lambda proxy response validation
// (recorded against AWS) and the rest of the result format.
func TestParseProxyResult(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
		status  int
		header  http.Header
		body    string
		base64  bool
	}{
		// Rejected → 502.
		{name: "unknown top-level key", in: `{"statusCode":200,"wrongValue":"v"}`, wantErr: `unknown key "wrongValue"`},
		{name: "bare string", in: `"hello"`, wantErr: "not an object"},
		{name: "bare number", in: `200`, wantErr: "not an object"},
		{name: "array", in: `[{"statusCode":200}]`, wantErr: "not an object"},
		{name: "null", in: `null`, wantErr: "not an object"},
		{name: "empty input", in: ``, wantErr: "not JSON"},
		{name: "not JSON", in: `statusCode: 200`, wantErr: "not JSON"},
		{name: "truncated", in: `{"statusCode":200`, wantErr: "not JSON"},
		{name: "statusCode test", in: `{"statusCode":"test"}`, wantErr: `statusCode "test" is not an HTTP status`},
		{name: "statusCode empty string", in: `{"statusCode":""}`, wantErr: "is not an HTTP status"},
		{name: "statusCode 99", in: `{"statusCode":99}`, wantErr: `statusCode "99" is not an HTTP status`},
		{name: "statusCode 600", in: `{"statusCode":600}`, wantErr: `statusCode "600" is not an HTTP status`},
		{name: "statusCode 1000", in: `{"statusCode":"1000"}`, wantErr: "is not an HTTP status"},
		{name: "statusCode fractional", in: `{"statusCode":200.5}`, wantErr: "is not an HTTP status"},
		{name: "statusCode bool", in: `{"statusCode":true}`, wantErr: "statusCode is a bool"},
		{name: "statusCode object", in: `{"statusCode":{"code":200}}`, wantErr: "statusCode is a map"},
		{name: "multiValueHeaders not list", in: `{"statusCode":200,"multiValueHeaders":{"X-A":"one"}}`, wantErr: "multiValueHeaders.X-A is not a list"},
		{name: "multiValueHeaders not object", in: `{"multiValueHeaders":["a"]}`, wantErr: "multiValueHeaders is not an object"},
		{name: "multiValueHeaders nested list", in: `{"multiValueHeaders":{"X-A":[["a"]]}}`, wantErr: "multiValueHeaders.X-A"},
		{name: "headers not object", in: `{"headers":"X-A: 1"}`, wantErr: "headers is not an object"},
		{name: "header value object", in: `{"headers":{"X-A":{"v":1}}}`, wantErr: "headers.X-A"},
		{name: "body not string", in: `{"statusCode":200,"body":{"a":1}}`, wantErr: "body is not a string"},
		{name: "body number", in: `{"body":5}`, wantErr: "body is not a string"},
		{name: "isBase64Encoded string", in: `{"body":"aGk=","isBase64Encoded":"true"}`, wantErr: "isBase64Encoded is not a boolean"},
		{name: "trailing garbage", in: `{"statusCode":200} garbage`, wantErr: "trailing data"},
		{name: "two objects", in: `{"statusCode":200}{"statusCode":201}`, wantErr: "trailing data"},
		{name: "key case matters", in: `{"StatusCode":200}`, wantErr: `unknown key "StatusCode"`},

		// Accepted.
		{name: "empty object", in: `{}`, status: 200, header: http.Header{}}, // AWS-REC 2024-02-23: 200, empty body
		{name: "statusCode string 201", in: `{"statusCode":"201"}`, status: 201, header: http.Header{}},
		{name: "statusCode number", in: `{"statusCode":404,"body":"nope"}`, status: 404, header: http.Header{}, body: "nope"},
		{name: "headers only", in: `{"headers":{"X-A":"1"}}`, status: 200, header: http.Header{"X-A": {"1"}}},
		{name: "body only", in: `{"body":"hi"}`, status: 200, header: http.Header{}, body: "hi"},
		{name: "no body", in: `{"statusCode":204}`, status: 204, header: http.Header{}},
		{name: "null values", in: `{"statusCode":null,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}`, status: 200, header: http.Header{}},
		{name: "trailing whitespace", in: "{\"statusCode\":202}\n\t ", status: 202, header: http.Header{}},
		{name: "bounds 100 and 599", in: `{"statusCode":599}`, status: 599, header: http.Header{}},
		{name: "scalar header values", in: `{"headers":{"X-N":5,"X-B":true,"X-F":1.5}}`, status: 200, header: http.Header{"X-N": {"5"}, "X-B": {"true"}, "X-F": {"1.5"}}},
		{name: "exact-case header names", in: `{"headers":{"x-lower":"a","X-Upper":"b"}}`, status: 200, header: http.Header{"x-lower": {"a"}, "X-Upper": {"b"}}},
		{name: "multiValueHeaders", in: `{"multiValueHeaders":{"Set-Cookie":["a=1","b=2"],"X-Empty":[]}}`, status: 200, header: http.Header{"Set-Cookie": {"a=1", "b=2"}, "X-Empty": {}}},
		{name: "merge multi and solo", in: `{"statusCode":200,"headers":{"X-M":"value-solo"},"multiValueHeaders":{"X-M":["value-multi"]}}`,
			status: 200, header: http.Header{"X-M": {"value-multi, value-solo"}}},
		{name: "merge several multi", in: `{"headers":{"X-M":"s"},"multiValueHeaders":{"X-M":["m1","m2"]}}`,
			status: 200, header: http.Header{"X-M": {"m1, m2, s"}}},
		{name: "merge is case-sensitive", in: `{"headers":{"x-m":"value-solo"},"multiValueHeaders":{"X-M":["value-multi"]}}`,
			status: 200, header: http.Header{"x-m": {"value-solo"}, "X-M": {"value-multi"}}},
		{name: "base64", in: `{"body":"aGk=","isBase64Encoded":true}`, status: 200, header: http.Header{}, body: "aGk=", base64: true},
		{name: "all keys", in: `{"statusCode":"418","headers":{"A":"1"},"multiValueHeaders":{"B":["2"]},"body":"{\"x\":1}","isBase64Encoded":false}`,
			status: 418, header: http.Header{"A": {"1"}, "B": {"2"}}, body: `{"x":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := integration.ParseProxyResult([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("accepted as %+v, want error containing %q", pr, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q lacks %q", err, tc.wantErr)
				}
				if pr != nil {
					t.Errorf("result %+v returned with an error", pr)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if pr.StatusCode != tc.status || pr.Body != tc.body || pr.IsBase64Encoded != tc.base64 {
				t.Errorf("got status %d body %q base64 %v; want %d %q %v", pr.StatusCode, pr.Body, pr.IsBase64Encoded, tc.status, tc.body, tc.base64)
			}
			if !reflect.DeepEqual(pr.Header, tc.header) {
				t.Errorf("header = %#v, want %#v", pr.Header, tc.header)
			}
		})
	}
}
