package integration_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Where a response carries X-Amzn-Trace-Id (AWS-REC: LocalStack
// test_invocation_trace_id 2024-08-07 for MOCK and AWS_PROXY,
// TestApiGatewayHeaderRemapping 2024-07 for HTTP, HTTP_PROXY and errors).
func TestTraceHeaderOnResponses(t *testing.T) {
	h := newHarness(t)
	plain, plainCalls := backend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	traced, tracedCalls := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Trace-Id", "Root=1-backend")
		_, _ = w.Write([]byte(`{}`))
	})
	defaultResponse := map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}
	for _, tc := range []struct {
		name  string
		in    restapi.Integration
		calls <-chan seen
		want  []string // the response's X-Amzn-Trace-Id values
	}{
		{"HTTP", restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: plain.URL, Responses: defaultResponse}, plainCalls, []string{testTraceID}},
		{"HTTP, the backend's replaced", restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: traced.URL, Responses: defaultResponse}, tracedCalls, []string{testTraceID}},
		{"HTTP_PROXY", restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: plain.URL}, plainCalls, nil},
		{"HTTP_PROXY, the backend's passed", restapi.Integration{Type: restapi.HTTPProxy, HTTPMethod: "GET", URI: traced.URL}, tracedCalls, []string{"Root=1-backend"}},
		{"MOCK", restapi.Integration{Type: restapi.Mock, Responses: defaultResponse}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(tc.in, "/x", nil))
			if tc.calls != nil {
				receive(t, tc.calls, "backend request")
			}
			if rec.Code != 200 {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			if got := headerValues(rec.Header(), "X-Amzn-Trace-Id"); !slices.Equal(got, tc.want) {
				t.Errorf("X-Amzn-Trace-Id = %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("gateway error", func(t *testing.T) {
		in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "GET", URI: "http://" + closedAddr(t), Responses: defaultResponse}
		rec := h.serve(httptest.NewRequest("GET", "/test/x", nil), h.ctx(in, "/x", nil))
		if rec.Code < 500 {
			t.Fatalf("status %d, want a gateway error", rec.Code)
		}
		if got := headerValues(rec.Header(), "X-Amzn-Trace-Id"); len(got) != 0 {
			t.Errorf("gateway error carries X-Amzn-Trace-Id %q", got)
		}
	})

	t.Run("AWS_PROXY, the function's replaced", func(t *testing.T) {
		lh, calls := lambdaHarness(t, result(`{"headers":{"x-amzn-trace-id":"Root=1-function"}}`))
		rec := lambdaCtx(lh, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
		receive(t, calls, "Lambda invocation")
		if got := headerValues(rec.Header(), "X-Amzn-Trace-Id"); !slices.Equal(got, []string{testTraceID}) {
			t.Errorf("X-Amzn-Trace-Id = %q, want only the gateway's", got)
		}
	})
}
