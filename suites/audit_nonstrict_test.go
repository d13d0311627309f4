package suites_test

// Values with no AWS source behind them pass NON-STRICT, never fail (the
// issue 11 audit): each test gives the check a gateway that differs only in
// such a value and wants a NON-STRICT pass naming it.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/fixtures/backend"
)

// TooManyRequestsException comes from LocalStack's parity table only, and
// no source says whether a throttled response carries Retry-After
// (UsagePlanMethodThrottle grades the error type through the same
// throttledErrorType).
func TestThrottledErrorTypeAndRetryAfterAreNonStrict(t *testing.T) {
	rewrite := func(r *http.Request, rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusTooManyRequests {
			rec.Header().Set("x-amzn-ErrorType", "ThrottlingException")
			rec.Header().Set("Retry-After", "1")
		}
	}
	nonStrictAgainst(t, "ThrottledResponseTooManyRequests", "UNCONFIRMED", rewrite)
	nonStrictAgainst(t, "ThrottledResponseTooManyRequests", "Retry-After", rewrite)
	nonStrictAgainst(t, "ThrottledResponseTooManyRequests", "OBS only", func(r *http.Request, rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusTooManyRequests {
			rec.Body.Reset()
			rec.Body.WriteString(`{"message":"Rate exceeded"}`)
		}
	})
}

// That AWS adds no X-Forwarded-For of its own for a non-proxy backend is
// inferred, not recorded: one added by the gateway is NON-STRICT (the
// client's reaching the backend still fails the check).
func TestGatewayForwardedForIsNonStrict(t *testing.T) {
	nonStrictAgainst(t, "IntegrationRequestHeadersNonProxy", "X-Forwarded-For", func(r *http.Request, rec *httptest.ResponseRecorder) {
		if !strings.HasSuffix(r.URL.Path, "/parity/http-request") {
			return
		}
		var doc backend.Document
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Errorf("the backend's document: %v", err)
			return
		}
		doc.Request.Headers["X-Forwarded-For"] = []string{"203.0.113.9"}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Error(err)
			return
		}
		rec.Body.Reset()
		rec.Body.Write(b)
	})
}
