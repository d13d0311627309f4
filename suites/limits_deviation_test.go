package suites_test

// Deliberately wrong integration timeouts and payload limits.
// Each is failed by the checks it names (TestChecksFailAgainstDeviations).

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

var limitDeviations = []deviation{
	{
		name: "timeout answered 502 instead of 504",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusGatewayTimeout {
					rec.Code = http.StatusBadGateway
				}
			})
		},
		fails: []string{"IntegrationTimeoutExceeded", "IntegrationTimeoutBackendStillInvoked", "UnreachableBackendIntegrationFailure"},
	},
	{
		name: "integration timeout far shorter than configured",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				for _, res := range api.Resources {
					for _, m := range res.Methods {
						short := 100
						m.Integration.TimeoutInMillis = &short
					}
				}
			}, gateway.Options{})
		},
		fails: []string{"IntegrationTimeoutNotExceeded", "IntegrationTimeoutExceeded"},
	},
	{
		name: "timeout answered 504 immediately",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isDelay(r) && delayOf(r) > time.Second {
					gatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out")
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"IntegrationTimeoutExceeded"},
	},
	{
		name: "timeout answered 504 when the backend finishes",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isDelay(r) && delayOf(r) > time.Second {
					select {
					case <-time.After(delayOf(r)):
					case <-r.Context().Done():
					}
					gatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out")
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"IntegrationTimeoutExceeded"},
	},
	{
		name: "timeout without invoking the backend",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if isDelay(r) && delayOf(r) > time.Second {
					time.Sleep(time.Second)
					gatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out")
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"IntegrationTimeoutBackendStillInvoked"},
	},
	{
		name: "accepts 10 MB + 1 byte",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, nil, gateway.Options{MaxPayloadBytes: 10<<20 + 1})
		},
		fails: []string{"PayloadOverLimitRejected", "PayloadChunkedOverLimitRejected"},
	},
	{
		// (A gateway that refuses a body of exactly 10 MB with 413 passes
		// NON-STRICT: TestExactLimitRefusedIsNonStrict.)
		name: "loses the last byte of a body at the limit",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/inspect") {
					b, _ := io.ReadAll(r.Body)
					if len(b) > 0 {
						b = b[:len(b)-1]
					}
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
					r.TransferEncoding = nil
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"PayloadAtLimitAccepted", "PayloadChunkedAtLimitAccepted"},
	},
	{
		name: "refuses a body at the limit with 400",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			limited := gatewayWith(t, nil, gateway.Options{MaxPayloadBytes: 10<<20 - 1})
			return recorded(limited, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusRequestEntityTooLarge {
					rec.Code = http.StatusBadRequest
				}
			})
		},
		fails: []string{"PayloadAtLimitAccepted", "PayloadChunkedAtLimitAccepted"},
	},
	{
		name: "checks Content-Length only, not chunked bodies",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			lenient := gatewayWith(t, nil, gateway.Options{MaxPayloadBytes: 64 << 20})
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.ContentLength > 10<<20 {
					gatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long")
					return
				}
				lenient.ServeHTTP(w, r)
			})
		},
		fails: []string{"PayloadChunkedOverLimitRejected"},
	},
	{
		name: "answers 413 after invoking the backend",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			fixture := getEnv(t).embedded.FixtureURL
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if len(body) > 10<<20 {
					req, _ := http.NewRequest(http.MethodPost, fixture+"/inspect", bytes.NewReader(body[:10]))
					req.Header.Set(backend.HeaderScope, r.Header.Get(backend.HeaderScope))
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
					gatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long")
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"PayloadOverLimitRejected", "PayloadChunkedOverLimitRejected"},
	},
}

func init() { deviations = append(deviations, limitDeviations...) }
