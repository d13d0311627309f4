package suites_test

// Deliberately wrong gateway responses, error catalog and request ids.
// Each is failed by the checks it names (TestChecksFailAgainstDeviations).

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

var errorDeviations = []deviation{
	{
		name: "unknown routes answered 404 Not Found",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if headerValue(rec.Header(), "x-amzn-ErrorType") == "MissingAuthenticationTokenException" {
					rec.Code = http.StatusNotFound
					rec.Body.Reset()
					rec.Body.WriteString(`{"message":"Not Found"}`)
				}
			})
		},
		fails: []string{"UnknownPathMissingAuthenticationToken", "WrongMethodMissingAuthenticationToken", "WrongStageMissingAuthenticationToken", "GatewayResponseDefault4XXInherited"},
	},
	{
		name: "Authorization header ignored on unknown routes",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Del("Authorization")
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"BearerTokenOnUnknownPathIncompleteSignature"},
	},
	{
		name: "gateway response customisations ignored",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) { api.GatewayResponses = nil }, gateway.Options{})
		},
		fails: []string{"GatewayResponseCustomised", "GatewayResponseDefault4XXInherited", "GatewayResponseDefault5XXInherited"},
	},
	{
		name: "DEFAULT_4XX/5XX not inherited",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				delete(api.GatewayResponses, "DEFAULT_4XX")
				delete(api.GatewayResponses, "DEFAULT_5XX")
			}, gateway.Options{})
		},
		fails: []string{"GatewayResponseDefault4XXInherited", "GatewayResponseDefault5XXInherited"},
	},
	{
		// (500 passes NON-STRICT: TestUnreachableAnswered500IsNonStrict.)
		name: "unreachable backend answered 502",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if strings.HasSuffix(r.URL.Path, "/unreachable") {
					rec.Code = http.StatusBadGateway
				}
			})
		},
		fails: []string{"UnreachableBackendIntegrationFailure"},
	},
	{
		name: "no request id headers",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				for k := range rec.Header() {
					if strings.EqualFold(k, "x-amzn-RequestId") || strings.EqualFold(k, "x-amz-apigw-id") {
						delete(rec.Header(), k)
					}
				}
			})
		},
		fails: []string{"RequestIDHeadersOnEveryResponse", "RequestIDClientUUIDHonoured", "RequestIDNonUUIDReplaced", "RequestIDInContext"},
	},
	{
		name: "the same request id on every response",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			fixed := uuid.NewString()
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Set("x-amzn-RequestId", fixed)
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"RequestIDHeadersOnEveryResponse", "RequestIDClientUUIDHonoured"},
	},
	{
		name: "client request id echoed even when not a UUID",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if v := r.Header.Get("x-amzn-RequestId"); v != "" {
					rec.Header()["x-amzn-RequestId"] = []string{v}
				}
			})
		},
		fails: []string{"RequestIDNonUUIDReplaced"},
	},
	{
		name: "client trace id replaced",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Del("X-Amzn-Trace-Id")
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"TraceIDForwardedToBackend", "TraceIDClientHeaderReturned", "TraceIDRootOnlyGetsParent"},
	},
	{
		name: "trace id on every response",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if headerValue(rec.Header(), "X-Amzn-Trace-Id") == "" {
					rec.Header().Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
				}
			})
		},
		fails: []string{"TraceIDNotOnMockResponse"},
	},
	{
		name: "a Root-only trace header returned as sent",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if client := r.Header.Get("X-Amzn-Trace-Id"); client != "" && !strings.Contains(client, "Parent=") {
					rec.Header()["X-Amzn-Trace-Id"] = []string{client}
				}
			})
		},
		fails: []string{"TraceIDRootOnlyGetsParent"},
	},
}

func init() { deviations = append(deviations, errorDeviations...) }
