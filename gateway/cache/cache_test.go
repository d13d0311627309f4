package cache_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatecheck/gatecheck/gateway/cache"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

func ptr[T any](v T) *T { return &v }

// --- SettingsFor ----------------------------------------------------------

func TestSettingsFor(t *testing.T) {
	items := &restapi.Resource{Path: "/items"}
	method := func(ns string, keys ...string) *restapi.Method {
		return &restapi.Method{Integration: restapi.Integration{CacheNamespace: ns, CacheKeyParameters: keys}}
	}
	plain := method("")
	stage := func(settings map[string]restapi.MethodSetting) *restapi.Stage {
		return &restapi.Stage{StageName: "s", CacheClusterEnabled: true, MethodSettings: settings}
	}
	defaults := cache.Settings{TTL: cache.DefaultTTL, RequireAuth: true, Strategy: cache.SucceedWithResponseHeader, Namespace: "/items", Resource: "/items", KeyParams: []string{}}
	with := func(f func(*cache.Settings)) cache.Settings {
		s := defaults
		f(&s)
		return s
	}
	tests := []struct {
		name   string
		stage  *restapi.Stage
		verb   string
		method *restapi.Method
		want   cache.Settings
		ok     bool
	}{
		{"cache cluster off", &restapi.Stage{StageName: "s"}, "GET", plain, cache.Settings{}, false},
		{"cache cluster off even with an own entry", &restapi.Stage{StageName: "s", MethodSettings: map[string]restapi.MethodSetting{"items/GET": {CachingEnabled: ptr(true)}}}, "GET", plain, cache.Settings{}, false},
		{"GET on by default", stage(nil), "GET", plain, defaults, true},
		{"POST off by default", stage(nil), "POST", plain, cache.Settings{}, false},
		{"*/* cachingEnabled does not enable POST", stage(map[string]restapi.MethodSetting{"*/*": {CachingEnabled: ptr(true)}}), "POST", plain, cache.Settings{}, false},
		{"own entry enables POST", stage(map[string]restapi.MethodSetting{"items/POST": {CachingEnabled: ptr(true)}}), "POST", plain, defaults, true},
		{"own entry in ~1 form enables POST", stage(map[string]restapi.MethodSetting{"~1items/POST": {CachingEnabled: ptr(true)}}), "POST", plain, defaults, true},
		{"own entry without cachingEnabled leaves POST off", stage(map[string]restapi.MethodSetting{"items/POST": {CacheTTLInSeconds: ptr(60)}}), "POST", plain, cache.Settings{}, false},
		{"own entry disables GET", stage(map[string]restapi.MethodSetting{"items/GET": {CachingEnabled: ptr(false)}}), "GET", plain, cache.Settings{}, false},
		{"*/* disables GET", stage(map[string]restapi.MethodSetting{"*/*": {CachingEnabled: ptr(false)}}), "GET", plain, cache.Settings{}, false},
		{"own entry re-enables GET over */*", stage(map[string]restapi.MethodSetting{"*/*": {CachingEnabled: ptr(false)}, "items/GET": {CachingEnabled: ptr(true)}}), "GET", plain, defaults, true},
		{"another method's entry does not apply", stage(map[string]restapi.MethodSetting{"other/GET": {CachingEnabled: ptr(false)}}), "GET", plain, defaults, true},
		{"own TTL", stage(map[string]restapi.MethodSetting{"items/GET": {CacheTTLInSeconds: ptr(60)}}), "GET", plain, with(func(s *cache.Settings) { s.TTL = time.Minute }), true},
		{"*/* TTL", stage(map[string]restapi.MethodSetting{"*/*": {CacheTTLInSeconds: ptr(120)}}), "GET", plain, with(func(s *cache.Settings) { s.TTL = 2 * time.Minute }), true},
		// An own entry replaces "*/*" whole; AWS records cacheTtlInSeconds
		// 300 when an entry is created (spec §5).
		{"own entry without TTL uses the default, not */*", stage(map[string]restapi.MethodSetting{"*/*": {CacheTTLInSeconds: ptr(120)}, "items/GET": {CachingEnabled: ptr(true)}}), "GET", plain, defaults, true},
		{"own TTL 0 disables", stage(map[string]restapi.MethodSetting{"items/GET": {CachingEnabled: ptr(true), CacheTTLInSeconds: ptr(0)}}), "GET", plain, cache.Settings{}, false},
		{"*/* TTL 0 disables", stage(map[string]restapi.MethodSetting{"*/*": {CachingEnabled: ptr(true), CacheTTLInSeconds: ptr(0)}}), "GET", plain, cache.Settings{}, false},
		{"own TTL 3600", stage(map[string]restapi.MethodSetting{"items/GET": {CacheTTLInSeconds: ptr(3600)}}), "GET", plain, with(func(s *cache.Settings) { s.TTL = time.Hour }), true},
		{"encryption", stage(map[string]restapi.MethodSetting{"items/GET": {CacheDataEncrypted: true}}), "GET", plain, with(func(s *cache.Settings) { s.Encrypted = true }), true},
		{"RequireAuth off", stage(map[string]restapi.MethodSetting{"items/GET": {RequireAuthorizationForCacheControl: ptr(false)}}), "GET", plain, with(func(s *cache.Settings) { s.RequireAuth = false }), true},
		{"RequireAuth explicitly on", stage(map[string]restapi.MethodSetting{"*/*": {RequireAuthorizationForCacheControl: ptr(true)}}), "GET", plain, defaults, true},
		{"strategy from */*", stage(map[string]restapi.MethodSetting{"*/*": {UnauthorizedCacheControlHeaderStrategy: cache.FailWith403}}), "GET", plain, with(func(s *cache.Settings) { s.Strategy = cache.FailWith403 }), true},
		{"strategy from own entry", stage(map[string]restapi.MethodSetting{"items/GET": {UnauthorizedCacheControlHeaderStrategy: cache.SucceedWithoutResponseHeader}}), "GET", plain, with(func(s *cache.Settings) { s.Strategy = cache.SucceedWithoutResponseHeader }), true},
		{"cacheNamespace", stage(nil), "GET", method("shared"), with(func(s *cache.Settings) { s.Namespace = "shared" }), true},
		{"key parameters sorted", stage(nil), "GET", method("", "method.request.querystring.z", "method.request.header.a", "method.request.path.m"),
			with(func(s *cache.Settings) {
				s.KeyParams = []string{"method.request.header.a", "method.request.path.m", "method.request.querystring.z"}
			}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var orig []string
			if tc.method.Integration.CacheKeyParameters != nil {
				orig = slices.Clone(tc.method.Integration.CacheKeyParameters)
			}
			got, ok := cache.SettingsFor(tc.stage, items, tc.verb, tc.method)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (settings %+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			if got.TTL != tc.want.TTL || got.Encrypted != tc.want.Encrypted || got.RequireAuth != tc.want.RequireAuth ||
				got.Strategy != tc.want.Strategy || got.Namespace != tc.want.Namespace || got.Resource != tc.want.Resource ||
				!slices.Equal(got.KeyParams, tc.want.KeyParams) {
				t.Errorf("SettingsFor = %+v\n             want %+v", got, tc.want)
			}
			if orig != nil && !slices.Equal(orig, tc.method.Integration.CacheKeyParameters) {
				t.Error("SettingsFor reordered the API's cacheKeyParameters in place")
			}
		})
	}
}

// --- the cache stage end to end -------------------------------------------

var (
	invalidator = sigv4.Credential{AccessKeyID: "AKIAINVALIDATOR00001", SecretAccessKey: "invalidator-secret", Identity: "invalidator"}
	bystander   = sigv4.Credential{AccessKeyID: "AKIABYSTANDER0000002", SecretAccessKey: "bystander-secret", Identity: "bystander"}
)

// world is a cache stage over a tiny API, with a backend that counts calls
// and answers "call N".
type world struct {
	clock  *clockwork.FakeClock
	reg    *prometheus.Registry
	cache  *cache.Cache
	api    *restapi.API
	stages []restapi.Stage
	calls  atomic.Int64
}

func get(path, ns string, keys ...string) *restapi.Resource {
	return &restapi.Resource{Path: path, Methods: map[string]*restapi.Method{
		http.MethodGet: {HTTPMethod: http.MethodGet, ResourcePath: path, Integration: restapi.Integration{CacheNamespace: ns, CacheKeyParameters: keys}},
	}}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: clockwork.NewFakeClock(), reg: prometheus.NewRegistry()}
	items := get("/items", "", "method.request.querystring.type", "method.request.header.X-Tenant")
	items.Methods[http.MethodPost] = &restapi.Method{HTTPMethod: http.MethodPost, ResourcePath: "/items"}
	orders := &restapi.Resource{Path: "/orders", Methods: map[string]*restapi.Method{http.MethodPost: {HTTPMethod: http.MethodPost, ResourcePath: "/orders"}}}
	w.api = &restapi.API{Name: "cache-test", Resources: []*restapi.Resource{
		items,
		get("/items/{id}", ""), // path parameter not a key: collapses
		get("/users/{id}", "", "method.request.path.id"),    // path parameter is a key
		get("/a", "shared", "method.request.querystring.q"), // /a and /b share entries
		get("/b", "shared", "method.request.querystring.q"),
		get("/open", ""), get("/strict", ""), get("/silent", ""), get("/enc", ""),
		get("/short", ""), get("/gwerr", ""), get("/empty", ""), get("/grow", ""),
		orders,
	}}
	w.stages = []restapi.Stage{
		{StageName: "s", CacheClusterEnabled: true, CacheClusterSize: "0.5", MethodSettings: map[string]restapi.MethodSetting{
			"*/*":         {CacheTTLInSeconds: ptr(60)},
			"open/GET":    {RequireAuthorizationForCacheControl: ptr(false)},
			"strict/GET":  {UnauthorizedCacheControlHeaderStrategy: cache.FailWith403},
			"silent/GET":  {UnauthorizedCacheControlHeaderStrategy: cache.SucceedWithoutResponseHeader},
			"enc/GET":     {CacheDataEncrypted: true},
			"short/GET":   {CacheTTLInSeconds: ptr(1)},
			"orders/POST": {CachingEnabled: ptr(true)},
			"grow/GET":    {RequireAuthorizationForCacheControl: ptr(false)},
		}},
		{StageName: "nocache"},
		{StageName: "defaultsize", CacheClusterEnabled: true},
	}
	next := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := w.calls.Add(1)
		rc := request.From(r.Context())
		switch rc.Resource.Path {
		case "/gwerr": // a gateway error (timeout): not an integration response
			rw.WriteHeader(http.StatusGatewayTimeout)
			fmt.Fprint(rw, `{"message": "Endpoint request timed out"}`)
			return
		case "/empty": // an integration that answers without writing anything
			rc.IntegrationResponded = true
			return
		case "/grow": // answers over MaxEntryBytes after the first call
			rc.IntegrationResponded = true
			if n > 1 {
				_, _ = rw.Write(make([]byte, cache.MaxEntryBytes+1))
				return
			}
		}
		rc.IntegrationResponded = true
		if rc.TraceID != "" {
			rw.Header()[request.HeaderTraceID] = []string{rc.TraceID}
		}
		rw.Header().Set("X-Call", fmt.Sprint(n))
		rw.Header().Set("Content-Type", "text/plain")
		rw.WriteHeader(http.StatusOK)
		fmt.Fprintf(rw, "call %d", n)
	})
	verifier := &sigv4.Verifier{Credentials: []sigv4.Credential{invalidator, bystander}, Clock: w.clock}
	c, err := cache.New(w.api, w.stages, cache.Options{Clock: w.clock, Verifier: verifier, Invalidators: []string{invalidator.AccessKeyID}, Registry: w.reg},
		gatewayresponse.New(w.api), next)
	if err != nil {
		t.Fatal(err)
	}
	w.cache = c
	return w
}

// req builds a request routed to stage/resource/verb, with optional path
// parameters and header changes (applied before signing).
type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

var maxAge0 = header("Cache-Control", "max-age=0")

func (w *world) req(t *testing.T, stage, verb, resource, target string, params map[string]string, opts ...reqOpt) *http.Request {
	t.Helper()
	r := httptest.NewRequest(verb, "http://api.example.com"+target, nil)
	for _, o := range opts {
		o(r)
	}
	rc := &request.Context{API: w.api, PathParams: params}
	for i := range w.stages {
		if w.stages[i].StageName == stage {
			rc.Stage = &w.stages[i]
		}
	}
	for _, res := range w.api.Resources {
		if res.Path == resource {
			rc.Resource, rc.Method = res, res.Methods[verb]
		}
	}
	if rc.Stage == nil || rc.Method == nil {
		t.Fatalf("no stage %s or method %s %s", stage, verb, resource)
	}
	return request.With(r, rc)
}

func (w *world) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	w.cache.ServeHTTP(rec, r)
	return rec
}

// do serves GET target on resource in stage "s".
func (w *world) do(t *testing.T, resource, target string, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	return w.serve(w.req(t, "s", http.MethodGet, resource, target, nil, opts...))
}

func expectBody(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if rec.Code != status || rec.Body.String() != body {
		t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body, status, body)
	}
}

func (w *world) expectCalls(t *testing.T, n int64) {
	t.Helper()
	if got := w.calls.Load(); got != n {
		t.Fatalf("backend called %d times, want %d", got, n)
	}
}

// signed signs the request with SigV4 for execute-api at the fake clock's time.
func (w *world) signed(t *testing.T, cred sigv4.Credential) reqOpt {
	return func(r *http.Request) {
		sum := sha256.Sum256(nil)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey},
			r, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", w.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestCacheHitWithinTTLMissAfter(t *testing.T) {
	w := newWorld(t)
	rec := w.do(t, "/items", "/items")
	expectBody(t, rec, 200, "call 1")
	if rec.Header().Get("X-Call") != "1" || rec.Header().Get("Content-Type") != "text/plain" || rec.Header().Get("Content-Length") != "6" {
		t.Fatalf("miss headers = %v", rec.Header())
	}
	w.clock.Advance(59 * time.Second)
	rec = w.do(t, "/items", "/items")
	expectBody(t, rec, 200, "call 1")
	if rec.Header().Get("X-Call") != "1" || rec.Header().Get("Content-Type") != "text/plain" || rec.Header().Get("Content-Length") != "6" {
		t.Fatalf("hit headers = %v, want the cached response's", rec.Header())
	}
	w.expectCalls(t, 1)

	w.clock.Advance(time.Second) // TTL (60 s) reached: expired
	expectBody(t, w.do(t, "/items", "/items"), 200, "call 2")
	expectBody(t, w.do(t, "/items", "/items"), 200, "call 2")
	w.expectCalls(t, 2)

	// A 1 s TTL from the method's own entry.
	expectBody(t, w.do(t, "/short", "/short"), 200, "call 3")
	expectBody(t, w.do(t, "/short", "/short"), 200, "call 3")
	w.clock.Advance(2 * time.Second)
	expectBody(t, w.do(t, "/short", "/short"), 200, "call 4")
}

// A cache hit carries the trace id of the request it answers, not that of
// the request that filled the entry.
func TestCacheHitTraceID(t *testing.T) {
	w := newWorld(t)
	traced := func(id string) *http.Request {
		r := w.req(t, "s", http.MethodGet, "/items", "/items", nil)
		request.From(r.Context()).TraceID = id
		return r
	}
	if got := w.serve(traced("Root=1-first")).Header()[request.HeaderTraceID]; !slices.Equal(got, []string{"Root=1-first"}) {
		t.Fatalf("miss: trace %q", got)
	}
	rec := w.serve(traced("Root=1-second"))
	expectBody(t, rec, 200, "call 1")
	if got := rec.Header()[request.HeaderTraceID]; !slices.Equal(got, []string{"Root=1-second"}) {
		t.Errorf("hit: trace %q, want this request's", got)
	}
}

func TestCacheKeyParameters(t *testing.T) {
	w := newWorld(t)
	expectBody(t, w.do(t, "/items", "/items?type=admin&department=A"), 200, "call 1")
	// Undeclared query strings and headers do not join the key.
	expectBody(t, w.do(t, "/items", "/items?type=admin&department=B"), 200, "call 1")
	expectBody(t, w.do(t, "/items", "/items?department=C&type=admin", header("X-Other", "x")), 200, "call 1")
	// Declared ones do.
	expectBody(t, w.do(t, "/items", "/items?type=user&department=A"), 200, "call 2")
	expectBody(t, w.do(t, "/items", "/items?type=admin", header("X-Tenant", "t1")), 200, "call 3")
	expectBody(t, w.do(t, "/items", "/items?type=admin", header("X-Tenant", "t1")), 200, "call 3")
	expectBody(t, w.do(t, "/items", "/items?type=user&department=Z"), 200, "call 2")
	w.expectCalls(t, 3)

	// A path parameter that is not a key collapses to one entry (spec §5).
	serveID := func(resource, id string) *httptest.ResponseRecorder {
		return w.serve(w.req(t, "s", http.MethodGet, resource, strings.Replace(resource, "{id}", id, 1), map[string]string{"id": id}))
	}
	expectBody(t, serveID("/items/{id}", "1"), 200, "call 4")
	expectBody(t, serveID("/items/{id}", "2"), 200, "call 4")
	// One that is a key does not.
	expectBody(t, serveID("/users/{id}", "1"), 200, "call 5")
	expectBody(t, serveID("/users/{id}", "2"), 200, "call 6")
	expectBody(t, serveID("/users/{id}", "1"), 200, "call 5")
	w.expectCalls(t, 6)
}

func TestCacheSharedNamespace(t *testing.T) {
	w := newWorld(t)
	expectBody(t, w.do(t, "/a", "/a?q=1"), 200, "call 1")
	expectBody(t, w.do(t, "/b", "/b?q=1"), 200, "call 1") // same namespace and key
	expectBody(t, w.do(t, "/b", "/b?q=2"), 200, "call 2")
	expectBody(t, w.do(t, "/a", "/a?q=2"), 200, "call 2")
	// Resources with their own (default) namespaces do not share.
	expectBody(t, w.do(t, "/items", "/items"), 200, "call 3")
	expectBody(t, w.do(t, "/open", "/open"), 200, "call 4")
	w.expectCalls(t, 4)
}

func TestCacheOnlyWhereEnabled(t *testing.T) {
	w := newWorld(t)
	// POST is not cached without its own entry.
	expectBody(t, w.serve(w.req(t, "s", http.MethodPost, "/items", "/items", nil)), 200, "call 1")
	expectBody(t, w.serve(w.req(t, "s", http.MethodPost, "/items", "/items", nil)), 200, "call 2")
	// With one, it is, separately from GET.
	expectBody(t, w.serve(w.req(t, "s", http.MethodPost, "/orders", "/orders", nil)), 200, "call 3")
	expectBody(t, w.serve(w.req(t, "s", http.MethodPost, "/orders", "/orders", nil)), 200, "call 3")
	// A stage without a cache cluster passes every request through.
	expectBody(t, w.serve(w.req(t, "nocache", http.MethodGet, "/items", "/items", nil)), 200, "call 4")
	expectBody(t, w.serve(w.req(t, "nocache", http.MethodGet, "/items", "/items", nil)), 200, "call 5")
	// Stages have separate caches.
	expectBody(t, w.do(t, "/items", "/items"), 200, "call 6")
	expectBody(t, w.serve(w.req(t, "defaultsize", http.MethodGet, "/items", "/items", nil)), 200, "call 7")
	expectBody(t, w.serve(w.req(t, "defaultsize", http.MethodGet, "/items", "/items", nil)), 200, "call 7")
	// An unrouted request (no stage) passes through.
	rec := httptest.NewRecorder()
	w.cache.ServeHTTP(rec, request.With(httptest.NewRequest(http.MethodGet, "/x", nil), &request.Context{Resource: w.api.Resources[0]}))
	expectBody(t, rec, 200, "call 8")
	w.expectCalls(t, 8)
}

func TestCacheGatewayErrorsNotCached(t *testing.T) {
	w := newWorld(t)
	for i := range 3 {
		rec := w.do(t, "/gwerr", "/gwerr")
		if rec.Code != http.StatusGatewayTimeout {
			t.Fatalf("status %d", rec.Code)
		}
		w.expectCalls(t, int64(i+1))
	}
}

func TestCacheIntegrationWritingNothing(t *testing.T) {
	w := newWorld(t)
	// net/http answers 200 for a handler that writes nothing; so must a
	// miss and the hit that follows.
	expectBody(t, w.do(t, "/empty", "/empty"), 200, "")
	expectBody(t, w.do(t, "/empty", "/empty"), 200, "")
	w.expectCalls(t, 1)
}

func TestCacheEncryptedEndToEnd(t *testing.T) {
	w := newWorld(t)
	expectBody(t, w.do(t, "/enc", "/enc"), 200, "call 1")
	rec := w.do(t, "/enc", "/enc")
	expectBody(t, rec, 200, "call 1")
	if rec.Header().Get("X-Call") != "1" {
		t.Errorf("hit headers = %v", rec.Header())
	}
	w.expectCalls(t, 1)
}

func TestCacheControlWithoutRequiredAuthorization(t *testing.T) {
	w := newWorld(t)
	expectBody(t, w.do(t, "/open", "/open"), 200, "call 1")
	expectBody(t, w.do(t, "/open", "/open"), 200, "call 1")
	// Anyone may invalidate: refetch and replace the entry.
	rec := w.do(t, "/open", "/open", maxAge0)
	expectBody(t, rec, 200, "call 2")
	if rec.Header().Get(cache.WarningHeader) != "" {
		t.Error("Warning header on an allowed invalidation")
	}
	expectBody(t, w.do(t, "/open", "/open"), 200, "call 2")
	// The directive is found among others, case- and space-insensitively.
	expectBody(t, w.do(t, "/open", "/open", header("Cache-Control", "no-store, MAX-AGE = 0")), 200, "call 3")
	expectBody(t, w.do(t, "/open", "/open"), 200, "call 3")
	// Other directives do not invalidate.
	expectBody(t, w.do(t, "/open", "/open", header("Cache-Control", "max-age=10")), 200, "call 3")
	expectBody(t, w.do(t, "/open", "/open", header("Cache-Control", "no-cache")), 200, "call 3")
	w.expectCalls(t, 3)
}

func TestCacheControlRefetchTooLargeToCache(t *testing.T) {
	w := newWorld(t)
	expectBody(t, w.do(t, "/grow", "/grow"), 200, "call 1")
	// The refetched response cannot be cached (over 1 MB) ...
	if rec := w.do(t, "/grow", "/grow", maxAge0); rec.Body.Len() != cache.MaxEntryBytes+1 {
		t.Fatalf("refetch returned %d bytes", rec.Body.Len())
	}
	// ... but the entry it replaces is gone: never serve the pre-invalidation response.
	if rec := w.do(t, "/grow", "/grow"); rec.Body.Len() != cache.MaxEntryBytes+1 {
		t.Fatalf("after invalidation got %q, want a fresh (uncached) response", rec.Body.String()[:min(rec.Body.Len(), 20)])
	}
	w.expectCalls(t, 3)
}

func TestCacheConcurrentHits(t *testing.T) {
	w := newWorld(t)
	for _, res := range []string{"/items", "/enc"} {
		w.do(t, res, res)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				res := []string{"/items", "/enc"}[(g+i)%2]
				rec := w.do(t, res, res)
				rec.Header().Add("X-Call", "mutated by a later stage") // must not reach the cached entry
				if rec.Code != 200 || (rec.Body.String() != "call 1" && rec.Body.String() != "call 2") {
					t.Errorf("got %d %q", rec.Code, rec.Body)
					return
				}
			}
		})
	}
	wg.Wait()
	w.expectCalls(t, 2)
	if rec := w.do(t, "/items", "/items"); len(rec.Header().Values("X-Call")) != 1 {
		t.Errorf("cached headers were changed through a response: %v", rec.Header())
	}
}

func TestCacheControlUnauthorized(t *testing.T) {
	unsigned := func(*http.Request) {}
	for _, caller := range []struct {
		name string
		sign func(w *world, t *testing.T) reqOpt
	}{
		{"unsigned", func(*world, *testing.T) reqOpt { return unsigned }},
		{"known credential without InvalidateCache", func(w *world, t *testing.T) reqOpt { return w.signed(t, bystander) }},
		{"invalidator key with a wrong secret", func(w *world, t *testing.T) reqOpt {
			return w.signed(t, sigv4.Credential{AccessKeyID: invalidator.AccessKeyID, SecretAccessKey: "wrong"})
		}},
		{"unknown key", func(w *world, t *testing.T) reqOpt {
			return w.signed(t, sigv4.Credential{AccessKeyID: "AKIAUNKNOWN000000003", SecretAccessKey: "x"})
		}},
	} {
		t.Run(caller.name, func(t *testing.T) {
			t.Run("FAIL_WITH_403", func(t *testing.T) {
				w := newWorld(t)
				expectBody(t, w.do(t, "/strict", "/strict"), 200, "call 1")
				rec := w.do(t, "/strict", "/strict", maxAge0, caller.sign(w, t))
				if rec.Code != http.StatusForbidden || !slices.Equal(rec.Header()[request.HeaderErrorType], []string{"AccessDeniedException"}) {
					t.Fatalf("got %d %v %q, want 403 AccessDeniedException", rec.Code, rec.Header(), rec.Body)
				}
				expectBody(t, w.do(t, "/strict", "/strict"), 200, "call 1") // entry kept
				w.expectCalls(t, 1)
			})
			t.Run("SUCCEED_WITH_RESPONSE_HEADER", func(t *testing.T) {
				w := newWorld(t)
				expectBody(t, w.do(t, "/items", "/items"), 200, "call 1")
				rec := w.do(t, "/items", "/items", maxAge0, caller.sign(w, t))
				expectBody(t, rec, 200, "call 1")
				if rec.Header().Get(cache.WarningHeader) == "" {
					t.Errorf("no %s header; headers %v", cache.WarningHeader, rec.Header())
				}
				expectBody(t, w.do(t, "/items", "/items"), 200, "call 1")
				if rec := w.do(t, "/items", "/items"); rec.Header().Get(cache.WarningHeader) != "" {
					t.Error("Warning header on a plain hit")
				}
				w.expectCalls(t, 1)
			})
			t.Run("SUCCEED_WITHOUT_RESPONSE_HEADER", func(t *testing.T) {
				w := newWorld(t)
				expectBody(t, w.do(t, "/silent", "/silent"), 200, "call 1")
				rec := w.do(t, "/silent", "/silent", maxAge0, caller.sign(w, t))
				expectBody(t, rec, 200, "call 1")
				if v := rec.Header().Get(cache.WarningHeader); v != "" {
					t.Errorf("%s: %q, want none", cache.WarningHeader, v)
				}
				w.expectCalls(t, 1)
			})
		})
	}
}

func TestCacheControlAuthorizedInvalidator(t *testing.T) {
	for _, resource := range []string{"/strict", "/items", "/silent"} {
		t.Run(resource, func(t *testing.T) {
			w := newWorld(t)
			expectBody(t, w.do(t, resource, resource), 200, "call 1")
			w.clock.Advance(10 * time.Second)
			rec := w.do(t, resource, resource, maxAge0, w.signed(t, invalidator))
			expectBody(t, rec, 200, "call 2")
			if rec.Header().Get(cache.WarningHeader) != "" {
				t.Error("Warning header on an authorized invalidation")
			}
			// The entry was replaced, with a fresh TTL from the refetch.
			expectBody(t, w.do(t, resource, resource), 200, "call 2")
			w.clock.Advance(59 * time.Second)
			expectBody(t, w.do(t, resource, resource), 200, "call 2")
			w.expectCalls(t, 2)
		})
	}
	t.Run("signature too old", func(t *testing.T) {
		w := newWorld(t)
		expectBody(t, w.do(t, "/strict", "/strict"), 200, "call 1")
		r := w.req(t, "s", http.MethodGet, "/strict", "/strict", nil, maxAge0, w.signed(t, invalidator))
		w.clock.Advance(16 * time.Minute) // beyond the 15 minute skew; the entry is fresh again below
		if rec := w.serve(r); rec.Code != http.StatusForbidden {
			t.Fatalf("status %d, want 403 for an expired signature", rec.Code)
		}
	})
}

// counter returns a counter's value for the labels, or -1 if absent.
func counter(t *testing.T, reg *prometheus.Registry, name, stage, resource, method string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["stage"] == stage && labels["resource"] == resource && labels["method"] == method {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func TestCacheMetrics(t *testing.T) {
	w := newWorld(t)
	const hits, misses = "apigateway_cache_hit_count", "apigateway_cache_miss_count"
	for range 3 {
		w.do(t, "/items", "/items?type=a")
	}
	w.do(t, "/items", "/items?type=b")
	w.serve(w.req(t, "defaultsize", http.MethodGet, "/items", "/items", nil))
	w.do(t, "/open", "/open", maxAge0) // an invalidation is a miss
	w.serve(w.req(t, "nocache", http.MethodGet, "/items", "/items", nil))
	w.serve(w.req(t, "s", http.MethodPost, "/items", "/items", nil))

	for _, c := range []struct {
		name, stage, resource, method string
		want                          float64
	}{
		{hits, "s", "/items", "GET", 2},
		{misses, "s", "/items", "GET", 2},
		{misses, "defaultsize", "/items", "GET", 1},
		{hits, "defaultsize", "/items", "GET", -1},
		{misses, "s", "/open", "GET", 1},
		{misses, "nocache", "/items", "GET", -1}, // caching off: neither
		{misses, "s", "/items", "POST", -1},
	} {
		if got := counter(t, w.reg, c.name, c.stage, c.resource, c.method); got != c.want {
			t.Errorf("%s{stage=%s,resource=%s,method=%s} = %v, want %v", c.name, c.stage, c.resource, c.method, got, c.want)
		}
	}
	// Registering a second cache on the same registry is an error, not a panic.
	if _, err := cache.New(w.api, w.stages, cache.Options{Clock: w.clock, Registry: w.reg}, nil, http.NotFoundHandler()); err == nil {
		t.Error("a second cache registered the same metrics")
	}
}

func TestCacheFlushResizeSize(t *testing.T) {
	w := newWorld(t)
	fill := func() {
		t.Helper()
		w.do(t, "/items", "/items")
		w.do(t, "/open", "/open")
	}
	fill()
	w.expectCalls(t, 2)
	fill()
	w.expectCalls(t, 2)

	if !w.cache.Flush("s") {
		t.Fatal("Flush(s) = false")
	}
	fill()
	w.expectCalls(t, 4)
	if w.cache.Flush("nocache") || w.cache.Flush("missing") {
		t.Error("Flush of a stage without a cache reported true")
	}

	if got := w.cache.Size("s"); got != "0.5" {
		t.Errorf("Size(s) = %q", got)
	}
	if got := w.cache.Size("defaultsize"); got != "0.5" {
		t.Errorf("Size(defaultsize) = %q, want the 0.5 default", got)
	}
	if got := w.cache.Size("nocache"); got != "" {
		t.Errorf("Size(nocache) = %q, want empty", got)
	}
	if err := w.cache.Resize("s", "1.6"); err != nil {
		t.Fatal(err)
	}
	if got := w.cache.Size("s"); got != "1.6" {
		t.Errorf("after Resize, Size(s) = %q", got)
	}
	fill()
	w.expectCalls(t, 6) // resizing emptied the cache
	fill()
	w.expectCalls(t, 6)

	for _, bad := range []struct{ stage, size string }{{"s", "2"}, {"s", ""}, {"nocache", "0.5"}, {"missing", "0.5"}} {
		if err := w.cache.Resize(bad.stage, bad.size); err == nil {
			t.Errorf("Resize(%q, %q) succeeded", bad.stage, bad.size)
		}
	}
	if got := w.cache.Size("s"); got != "1.6" {
		t.Errorf("a failed Resize changed Size(s) to %q", got)
	}
	fill()
	w.expectCalls(t, 6) // and did not flush
	if got := w.cache.Size("nocache"); got != "" {
		t.Errorf("a failed Resize gave nocache a size %q", got)
	}
}

func TestNewRejectsBadClusterSize(t *testing.T) {
	api := &restapi.API{Resources: []*restapi.Resource{get("/items", "")}}
	stages := []restapi.Stage{{StageName: "s", CacheClusterEnabled: true, CacheClusterSize: "3"}}
	if _, err := cache.New(api, stages, cache.Options{Clock: clockwork.NewFakeClock()}, nil, http.NotFoundHandler()); err == nil {
		t.Error("New accepted cacheClusterSize 3")
	}
}
