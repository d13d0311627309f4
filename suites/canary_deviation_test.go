package suites_test

// Deliberately wrong stages and canary releases.
// Each is failed by the checks it names (TestChecksFailAgainstDeviations).

import (
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway"
)

var canaryDeviations = []deviation{
	{
		// 20 %, not 15 %: the split check's power against 15 % is 0.99, so a
		// 15 % deviation would escape it in 1 % of runs and make this test flaky.
		name: "canary share 20 % instead of 10 %",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/canary/", func(d map[string]string) {
				if d["canary"] == "false" && rand.Float64() < 0.1111 { // 10 % + 90 % × 11.11 % = 20 %
					makeCanary(d)
				}
			})
		},
		fails: []string{"CanarySplit", "CanaryZeroPercent"},
	},
	{
		name: "a few base requests at 100 % and canary variables not inherited",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/canary/", func(d map[string]string) {
				if d["canary"] == "true" {
					d["color"] = ""
					if rand.Float64() < 0.05 {
						d["canary"], d["version"], d["extra"] = "false", "v1", ""
					}
				}
			})
		},
		fails: []string{"CanaryFullPercent"},
	},
	{
		name: "canary routing sticky per connection",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/canary/", func(d map[string]string) {
				if d["canary"] == "true" {
					d["canary"], d["version"], d["extra"] = "false", "v1", "" // every connection sticks to the base
				}
			})
		},
		fails: []string{"CanaryNoStickiness", "CanarySplit", "CanaryFullPercent"},
	},
	{
		name: "canary routing alternates",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			var n atomic.Int64
			return mockRewrite(ref, "/canary/", func(d map[string]string) {
				if n.Add(1)%2 == 0 {
					makeCanary(d)
				} else {
					d["canary"], d["version"], d["extra"] = "false", "v1", ""
				}
			})
		},
		fails: []string{"CanaryNoStickiness"},
	},
	{
		name: "promotion changes another gateway",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return &splitGateway{Gateway: gatewayWith(t, nil, gateway.Options{}), serve: ref}
		},
		fails:  []string{"CanaryPromotion", "CanaryFullPercent", "CanaryUnderLoad"},
		serial: true,
	},
	{
		// Errors across the switch alone are NON-STRICT (spec §6 does not say
		// it is error-free; TestOutageAcrossPromotionIsNonStrict): here the
		// stage never comes back, so it never switches.
		name: "a promotion takes the data plane down",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return afterPromotion(t, time.Duration(math.MaxInt64), badGateway)
		},
		fails:  []string{"CanaryUnderLoad"},
		serial: true,
	},
	{
		name: "canary requests report the base deployment",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/promote/", func(d map[string]string) {
				if d["canary"] == "true" {
					d["deployment"] = "not-the-canary-deployment"
				}
			})
		},
		fails: []string{"CanaryPromotion"},
	},
	{
		name: "a promoted stage still served by its old deployment",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/promote/", func(d map[string]string) {
				if d["canary"] == "false" {
					d["deployment"] = "d1"
				}
			})
		},
		fails: []string{"CanaryPromotion"},
	},
	{
		name: "a front cache that ignores canaries",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			var mu sync.Mutex
			entries := map[string]*httptest.ResponseRecorder{}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/cached/cached") {
					ref.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				rec, ok := entries[r.URL.String()]
				if !ok {
					rec = httptest.NewRecorder()
					ref.ServeHTTP(rec, r)
					entries[r.URL.String()] = rec
				}
				mu.Unlock()
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			})
		},
		fails: []string{"CanaryStageCache"},
	},
	{
		name: "promotion accepted without a canary",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			gw := gatewayWith(t, nil, gateway.Options{})
			mgmt := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/stages/test") {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{"stageName":"test"}`)
					return
				}
				gw.Management().ServeHTTP(w, r)
			})
			return &withManagement{Handler: gw, mgmt: mgmt}
		},
		fails: []string{"CanaryPromotionWithoutCanaryFails"},
	},
	{
		name: "every stage serves the first stage's variables",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/other/", func(d map[string]string) { d["color"] = "blue" })
		},
		fails: []string{"StageVariablesPerStage"},
	},
	{
		name: "undefined stage variables rendered literally",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return mockRewrite(ref, "/", func(d map[string]string) { d["undefined"] = "$stageVariables.gatecheckUndefined" })
		},
		fails: []string{"UndefinedStageVariableEmpty"},
	},
	{
		name: "unknown stages served as the default stage",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.URL.Path = strings.Replace(r.URL.Path, "/gatecheck-nostage/", "/test/", 1)
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"UnknownStageIsNotServed"},
	},
}

func init() { deviations = append(deviations, canaryDeviations...) }
