package suites_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/suites"
)

// One check judges one behaviour. The checks below observe a behaviour
// through an error status (504 at the timeout, 413 over the limit, 403
// for a key, 429 over a quota, 500 or 502 from the gateway); AWS's body
// and x-amzn-ErrorType on that error belong to gateway-responses.

// errorPageChecks are the checks that judge a status and grade the error
// body; their features are not gateway-responses.
var errorPageChecks = []string{
	"IntegrationTimeoutExceeded",
	"APIKeyMissing", "APIKeyUnknown", "APIKeyDisabled", "APIKeyNotInPlanForStage",
	"QuotaBoundary", "QuotaPerKeyIsolation",
	"LambdaProxyUnknownKeyMalformed", "LambdaProxyInvalidJSONMalformed",
	"MappingTemplateFailureIs500", "BinaryConversionFailureIs500", "ForbiddenHeaderMappingFails",
	"RequestBodyValidatedAgainstRefModel",
}

// withoutGatewayResponses is a profile that does not claim the catalog.
func withoutGatewayResponses(p profile.Profile) profile.Profile {
	return p.WithoutFeature(suites.FeatureGatewayResponses)
}

// ownErrorPage replaces every error response's body with an HTML page of
// the gateway's own and drops x-amzn-ErrorType, as nginx, HAProxy or
// Caddy answer: the status is kept.
func ownErrorPage(next http.Handler) http.Handler {
	return recorded(next, func(_ *http.Request, rec *httptest.ResponseRecorder) {
		if rec.Code < 400 {
			return
		}
		rec.Body.Reset()
		rec.Body.WriteString("<html><body><h1>" + http.StatusText(rec.Code) + "</h1><hr>gateway</body></html>")
		rec.Header().Set("Content-Type", "text/html")
		rec.Header().Del("x-amzn-ErrorType")
	})
}

// A gateway that implements the behaviour with its own error page passes
// NON-STRICT when its profile does not claim gateway-responses, naming
// what AWS would send.
func TestOwnErrorPageIsNonStrict(t *testing.T) {
	for _, check := range errorPageChecks {
		t.Run(check, func(t *testing.T) {
			t.Parallel()
			ref := gatewayWith(t, nil, gateway.Options{})
			nonStrictThrough(t, check, "with the gateway's own error response", ownErrorPage(ref), withoutGatewayResponses)
		})
	}
}

// The same page fails when the profile claims gateway-responses: the
// catalog is then part of what the gateway says it does.
func TestOwnErrorPageFailsWhenGatewayResponsesClaimed(t *testing.T) {
	for _, check := range []string{"IntegrationTimeoutExceeded", "APIKeyMissing", "QuotaBoundary", "MappingTemplateFailureIs500"} {
		t.Run(check, func(t *testing.T) {
			t.Parallel()
			ref := gatewayWith(t, nil, gateway.Options{})
			tg := targetFor(t, ownErrorPage(ref), ref)
			var f *conformance.Failure
			if err := run(t, check, tg); !errors.As(err, &f) {
				t.Fatalf("%s: want a failure against an HTML error page when gateway-responses is claimed, got %v", check, err)
			}
		})
	}
}

// A check of the catalog itself stays strict whatever the profile claims
// (it is unsupported without the feature, never NON-STRICT).
func TestGatewayResponsesChecksStayStrict(t *testing.T) {
	ref := gatewayWith(t, nil, gateway.Options{})
	tg := targetFor(t, ownErrorPage(ref), ref)
	var f *conformance.Failure
	if err := run(t, "UnknownPathMissingAuthenticationToken", tg); !errors.As(err, &f) {
		t.Fatalf("want a failure, got %v", err)
	}
}

// bodyOnlyDeviations break only the error body or x-amzn-ErrorType: without
// gateway-responses they are NON-STRICT (TestBodyOnlyDeviationIsNonStrict).
var bodyOnlyDeviations = map[string]bool{"quota exhaustion answered with the throttle body": true}

func TestBodyOnlyDeviationIsNonStrict(t *testing.T) {
	missing := maps.Clone(bodyOnlyDeviations)
	for _, d := range deviations {
		if !bodyOnlyDeviations[d.name] {
			continue
		}
		ref := gatewayWith(t, nil, gateway.Options{})
		for _, check := range d.fails {
			if slices.Contains(errorPageChecks, check) {
				nonStrictThrough(t, check, "the profile does not claim gateway-responses", d.handler(t, ref), withoutGatewayResponses)
			}
		}
		delete(missing, d.name)
	}
	if len(missing) > 0 {
		t.Fatalf("no deviation named %v", missing)
	}
}

// Without gateway-responses the behaviour itself is still judged: every
// deviation that breaks the status or its timing (502 instead of 504, an
// early 504, no 413, a quota that admits too many, ...) still fails the
// error-page checks it fails with the catalog claimed.
func TestBehaviourDeviationsFailWithoutGatewayResponses(t *testing.T) {
	n := 0
	for _, d := range deviations {
		var fails []string
		for _, c := range d.fails {
			if slices.Contains(errorPageChecks, c) || c == "PayloadOverLimitRejected" || c == "PayloadChunkedOverLimitRejected" {
				fails = append(fails, c)
			}
		}
		if len(fails) == 0 || d.serial || bodyOnlyDeviations[d.name] {
			continue
		}
		n++
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			checkDeviation(t, d, fails, withoutGatewayResponses)
		})
	}
	if n < 10 {
		t.Fatalf("only %d deviations exercise the error-page checks", n)
	}
}
