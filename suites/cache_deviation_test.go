package suites_test

// Deliberately wrong response caches and invalidation.
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

var cacheDeviations = []deviation{
	{
		name: "never caches",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) { stageNamed(sf, "cached").CacheClusterEnabled = false }, gateway.Options{})
		},
		fails: []string{"CacheHitWithinTTL", "CacheMissAfterTTL", "CacheKeyParametersOnly", "CacheUndeclaredPathParameterIgnored", "CacheGETOnlyByDefault",
			"CacheOversizeNotCached", "CacheEncryptedEntriesServed", "CacheFlush", "CacheResizeFlushes", "CacheMetricsMatchBackend",
			"CacheInvalidationAuthorized", "CacheInvalidationUnauthorizedIgnoredWithHeader", "CacheInvalidationUnauthorizedFails", "CacheInvalidationUnauthorizedSilent", "CacheInvalidationWithoutAuthorization",
			"CacheHitRatioUnderLoad"},
		serial: true,
	},
	{
		name: "cache keyed on a request header that changes every request",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) { keyParams(api, "/cached", "method.request.header.X-Vegeta-Seq") }, gateway.Options{})
		},
		fails:  []string{"CacheHitRatioUnderLoad"},
		serial: true,
	},
	{
		name: "caches POST without its own method setting",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				setMethod(sf, "cached/POST", func(ms *restapi.MethodSetting) { ms.CachingEnabled = ptr(true) })
			}, gateway.Options{})
		},
		fails: []string{"CacheGETOnlyByDefault"},
	},
	{
		name: "ignores the TTL",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				setMethod(sf, "cached-short/GET", func(ms *restapi.MethodSetting) { ms.CacheTTLInSeconds = ptr(3600) })
			}, gateway.Options{})
		},
		fails: []string{"CacheMissAfterTTL"},
	},
	{
		name: "caches with a TTL of 0",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				setMethod(sf, "cached-ttl0/GET", func(ms *restapi.MethodSetting) { ms.CacheTTLInSeconds = ptr(300) })
			}, gateway.Options{})
		},
		fails: []string{"CacheTTLZeroDisables"},
	},
	{
		name: "keys on undeclared parameters",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				keyParams(api, "/cached-keyed", "method.request.querystring.department")
				keyParams(api, "/cached-items/{id}", "method.request.path.id")
			}, gateway.Options{})
		},
		fails: []string{"CacheKeyParametersOnly", "CacheUndeclaredPathParameterIgnored"},
	},
	{
		name: "ignores declared key parameters",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				for _, res := range api.Resources {
					if res.Path == "/cached-keyed" {
						res.Methods["GET"].Integration.CacheKeyParameters = []string{"method.request.querystring.gc"}
					}
				}
			}, gateway.Options{})
		},
		fails: []string{"CacheKeyParametersOnly"},
	},
	{
		name: "caches responses over 1 MiB",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			var mu sync.Mutex
			seen := map[string]*httptest.ResponseRecorder{}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.URL.Path, "/cached-large") {
					ref.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				rec := seen[r.URL.String()]
				if rec == nil {
					rec = httptest.NewRecorder()
					ref.ServeHTTP(rec, r)
					seen[r.URL.String()] = rec
				}
				mu.Unlock()
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			})
		},
		fails: []string{"CacheOversizeNotCached"},
	},
	{
		name: "encrypted entries are not cached",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				setMethod(sf, "cached-encrypted/GET", func(ms *restapi.MethodSetting) { ms.CacheTTLInSeconds = ptr(0) })
			}, gateway.Options{})
		},
		fails: []string{"CacheEncryptedEntriesServed"},
	},
	{
		name: "flush, resize and metrics belong to another cache",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return &splitGateway{Gateway: gatewayWith(t, nil, gateway.Options{}), serve: ref}
		},
		fails: []string{"CacheFlush", "CacheResizeFlushes", "CacheMetricsMatchBackend"},
	},
	{
		name: "Cache-Control: max-age=0 ignored",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Header.Del("Cache-Control")
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"CacheInvalidationAuthorized", "CacheInvalidationWithoutAuthorization"},
	},
	{
		name: "anyone may invalidate",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWithStages(t, nil, func(sf *restapi.StageFile) {
				for _, key := range []string{"*/*", "cached-strict/GET", "cached-silent/GET"} {
					setMethod(sf, key, func(ms *restapi.MethodSetting) { ms.RequireAuthorizationForCacheControl = ptr(false) })
				}
			}, gateway.Options{})
		},
		fails: []string{"CacheInvalidationUnauthorizedIgnoredWithHeader", "CacheInvalidationUnauthorizedFails", "CacheInvalidationUnauthorizedSilent"},
	},
	{
		name: "warning header sent by SUCCEED_WITHOUT_RESPONSE_HEADER",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if r.Header.Get("Cache-Control") != "" {
					rec.Header().Set("Warning", `199 - "ignored"`)
				}
			})
		},
		fails: []string{"CacheInvalidationUnauthorizedSilent"},
	},
}

func init() { deviations = append(deviations, cacheDeviations...) }
