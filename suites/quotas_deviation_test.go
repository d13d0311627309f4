package suites_test

// Deliberately wrong throttling, usage plans and API keys.
// Each is failed by the checks it names (TestChecksFailAgainstDeviations).

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

var quotaDeviations = []deviation{
	{
		name: "never throttles",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				for i := range sf.Stages {
					sf.Stages[i].MethodSettings = nil
				}
			}, gateway.Options{})
		},
		fails:  []string{"ThrottleBurstThenRefill", "ThrottledResponseTooManyRequests", "MethodThrottleOverridesStage", "ThrottleUnderLoad"},
		serial: true,
	},
	{
		name: "throttles at double the rate and burst",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				rate, burst := 20.0, 10
				sf.Stages[0].MethodSettings["throttled/GET"] = restapi.MethodSetting{ThrottlingRateLimit: &rate, ThrottlingBurstLimit: &burst}
				loadRate := 400.0 // double the load route's 200/s, same burst
				loadBurst := 50
				sf.Stages[0].MethodSettings["throttled-load/GET"] = restapi.MethodSetting{ThrottlingRateLimit: &loadRate, ThrottlingBurstLimit: &loadBurst}
			}, gateway.Options{})
		},
		fails:  []string{"ThrottleBurstThenRefill", "ThrottleUnderLoad"},
		serial: true,
	},
	{
		name: `"*/*" ignored`,
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) { delete(sf.Stages[1].MethodSettings, "*/*") }, gateway.Options{})
		},
		fails: []string{"MethodThrottleOverridesStage"},
	},
	{
		name: `a method's own entry loses to "*/*"`,
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) { delete(sf.Stages[1].MethodSettings, "throttled/GET") }, gateway.Options{})
		},
		fails: []string{"MethodThrottleOverridesStage"},
	},
	{
		name: "burst smaller than configured",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				rate, burst := 10.0, 2
				sf.Stages[0].MethodSettings["throttled/GET"] = restapi.MethodSetting{ThrottlingRateLimit: &rate, ThrottlingBurstLimit: &burst}
			}, gateway.Options{})
		},
		fails: []string{"ThrottleBurstThenRefill"},
	},
	{
		name: "throttles with 503 instead of 429",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusTooManyRequests {
					rec.Code = http.StatusServiceUnavailable
				}
			})
		},
		fails:  []string{"ThrottleBurstThenRefill", "ThrottledResponseTooManyRequests", "MethodThrottleOverridesStage", "QuotaBoundary", "QuotaPerKeyIsolation", "UsagePlanMethodThrottle", "ThrottleUnderLoad"},
		serial: true,
	},
	{
		name: "quota exhaustion answered with the throttle body",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if headerValue(rec.Header(), "x-amzn-ErrorType") == "LimitExceededException" {
					rec.Body.Reset()
					rec.Body.WriteString(`{"message":"Too Many Requests"}`)
					for k := range rec.Header() {
						if strings.EqualFold(k, "x-amzn-ErrorType") {
							rec.Header()[k] = []string{"TooManyRequestsException"}
						}
					}
				}
			})
		},
		fails: []string{"QuotaBoundary"},
	},
	{
		name: "one quota shared by every key",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			var mu sync.Mutex
			exhausted := false
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if !strings.HasSuffix(r.URL.Path, "/keyed") {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if headerValue(rec.Header(), "x-amzn-ErrorType") == "LimitExceededException" {
					exhausted = true
				} else if exhausted {
					rec.Code = http.StatusTooManyRequests
					rec.Body.Reset()
					rec.Body.WriteString(`{"message":"Limit Exceeded"}`)
				}
			})
		},
		fails: []string{"QuotaPerKeyIsolation"},
	},
	{
		name: "plan per-method throttle ignored",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) { sf.UsagePlans[0].APIStages[0].Throttle = nil }, gateway.Options{})
		},
		fails: []string{"UsagePlanMethodThrottle"},
	},
	{
		name: "usage never reaches the management API",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			managed := gatewayWith(t, nil, gateway.Options{}) // its management API sees no traffic
			serving := gatewayWith(t, nil, gateway.Options{})
			return &splitGateway{Gateway: managed, serve: serving}
		},
		fails: []string{"UsageReported"},
	},
	{
		name: "x-api-key dropped before the key check",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Del("x-api-key")
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"APIKeyValid", "QuotaBoundary"},
	},
	{
		name: "x-api-key checked on methods that do not require it",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("x-api-key") != "" && strings.HasSuffix(r.URL.Path, "/inspect") {
					gatewayError(w, http.StatusForbidden, "Forbidden")
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"APIKeyIgnoredWithoutRequirement"},
	},
	{
		name: "any API key accepted",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/keyed") {
					r.Header.Set("x-api-key", "gatecheckValidKey0000000003")
				}
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"APIKeyMissing", "APIKeyUnknown", "APIKeyDisabled", "APIKeyNotInPlanForStage"},
	},
}

func init() { deviations = append(deviations, quotaDeviations...) }
