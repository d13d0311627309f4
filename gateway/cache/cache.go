package cache

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

// Strategies for an unauthorized Cache-Control: max-age=0 (spec §5).
const (
	FailWith403                  = "FAIL_WITH_403"
	SucceedWithResponseHeader    = "SUCCEED_WITH_RESPONSE_HEADER"
	SucceedWithoutResponseHeader = "SUCCEED_WITHOUT_RESPONSE_HEADER"
	// DefaultTTL is cacheTtlInSeconds when unset (spec §5).
	DefaultTTL = 300 * time.Second
)

// WarningHeader is added under SUCCEED_WITH_RESPONSE_HEADER. AWS's name and
// value are UNCONFIRMED (spec §14); this follows HTTP's Warning header.
const (
	WarningHeader = "Warning"
	warningValue  = `199 - "Cache-Control: max-age=0 ignored: the caller is not authorized to invalidate the cache"`
)

// Capacity returns a cluster size's capacity in bytes.
func Capacity(size string) (int64, error) {
	if !slices.Contains(restapi.CacheClusterSizes, size) {
		return 0, fmt.Errorf("cacheClusterSize %q is not one of %v", size, restapi.CacheClusterSizes)
	}
	gb, _ := strconv.ParseFloat(size, 64)
	return int64(gb * (1 << 30)), nil
}

// Settings is how one method caches on one stage.
type Settings struct {
	TTL         time.Duration
	Encrypted   bool
	RequireAuth bool
	Strategy    string
	Namespace   string
	KeyParams   []string // sorted cacheKeyParameters
	Resource    string   // for metrics
}

// SettingsFor resolves a method's caching on a stage (spec §5): only GET is
// cached unless the method's own methodSettings entry enables caching; the
// TTL defaults to 300 s and 0 disables caching. ok is false when the
// method does not cache.
func SettingsFor(st *restapi.Stage, res *restapi.Resource, verb string, m *restapi.Method) (Settings, bool) {
	if !st.CacheClusterEnabled {
		return Settings{}, false
	}
	ms, own, _ := st.MethodSettingFor(res.Path, verb)
	enabled := verb == http.MethodGet
	if ms.CachingEnabled != nil && (own || verb == http.MethodGet) {
		enabled = *ms.CachingEnabled
	}
	ttl := DefaultTTL
	if ms.CacheTTLInSeconds != nil {
		ttl = time.Duration(*ms.CacheTTLInSeconds) * time.Second
	}
	if !enabled || ttl == 0 {
		return Settings{}, false
	}
	s := Settings{TTL: ttl, Encrypted: ms.CacheDataEncrypted, RequireAuth: true, Strategy: SucceedWithResponseHeader,
		Namespace: m.Integration.CacheNamespace, Resource: res.Path}
	if s.Namespace == "" {
		s.Namespace = res.Path // AWS defaults the namespace to the resource
	}
	if ms.RequireAuthorizationForCacheControl != nil {
		s.RequireAuth = *ms.RequireAuthorizationForCacheControl
	}
	if ms.UnauthorizedCacheControlHeaderStrategy != "" {
		s.Strategy = ms.UnauthorizedCacheControlHeaderStrategy
	}
	s.KeyParams = slices.Sorted(slices.Values(m.Integration.CacheKeyParameters))
	return s, true
}

type methodKey struct {
	stage  string
	method *restapi.Method
}

// Cache is the pipeline stage.
type Cache struct {
	clock        clockwork.Clock
	verifier     *sigv4.Verifier
	invalidators map[string]bool // access key ids allowed execute-api:InvalidateCache
	responder    *gatewayresponse.Responder
	next         http.Handler

	mu       sync.RWMutex
	stores   map[string]*Store // by stage
	sizes    map[string]string
	settings map[methodKey]Settings

	hits, misses *prometheus.CounterVec
}

// Options of the cache stage.
type Options struct {
	Clock    clockwork.Clock
	Verifier *sigv4.Verifier
	// Invalidators are the access key ids whose SigV4-signed requests may
	// invalidate entries (execute-api:InvalidateCache).
	Invalidators []string
	Registry     prometheus.Registerer
}

// New builds the cache stage for every stage with cacheClusterEnabled.
func New(api *restapi.API, stages []restapi.Stage, o Options, responder *gatewayresponse.Responder, next http.Handler) (*Cache, error) {
	c := &Cache{clock: o.Clock, verifier: o.Verifier, invalidators: map[string]bool{}, responder: responder, next: next,
		stores: map[string]*Store{}, sizes: map[string]string{}, settings: map[methodKey]Settings{},
		hits:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apigateway_cache_hit_count", Help: "Requests served from the API cache (CacheHitCount)."}, []string{"stage", "resource", "method"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apigateway_cache_miss_count", Help: "Requests served from the backend while caching is on (CacheMissCount)."}, []string{"stage", "resource", "method"}),
	}
	for _, id := range o.Invalidators {
		c.invalidators[id] = true
	}
	if o.Registry != nil {
		if err := o.Registry.Register(c.hits); err != nil {
			return nil, err
		}
		if err := o.Registry.Register(c.misses); err != nil {
			return nil, err
		}
	}
	for i := range stages {
		st := &stages[i]
		if !st.CacheClusterEnabled {
			continue
		}
		size := st.CacheClusterSize
		if size == "" {
			size = "0.5"
		}
		capacity, err := Capacity(size)
		if err != nil {
			return nil, err
		}
		if c.stores[st.StageName], err = NewStore(capacity); err != nil {
			return nil, err
		}
		c.sizes[st.StageName] = size
		for _, res := range api.Resources {
			for verb, m := range res.Methods {
				if s, ok := SettingsFor(st, res, verb, m); ok {
					c.settings[methodKey{st.StageName, m}] = s
				}
			}
		}
	}
	return c, nil
}

func (c *Cache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := request.From(r.Context())
	if rc.Stage == nil {
		c.next.ServeHTTP(w, r)
		return
	}
	if rc.IsCanary && !rc.Stage.CanarySettings.UseStageCache {
		c.next.ServeHTTP(w, r) // the canary uses the stage cache only with useStageCache (spec §6)
		return
	}
	s, ok := c.settings[methodKey{rc.Stage.StageName, rc.Method}]
	c.mu.RLock()
	store := c.stores[rc.Stage.StageName]
	c.mu.RUnlock()
	if !ok || store == nil {
		c.next.ServeHTTP(w, r)
		return
	}
	key := s.key(rc.Stage.StageName, r, rc)
	labels := []string{rc.Stage.StageName, s.Resource, r.Method}
	if invalidates(r.Header) {
		switch {
		case !s.RequireAuth || c.authorized(r):
			c.fetch(w, r, store, key, s, labels) // replace the entry
			return
		case s.Strategy == FailWith403:
			c.responder.Write(w, r, gatewayresponse.AccessDenied, "")
			return
		case s.Strategy == SucceedWithResponseHeader:
			w.Header().Set(WarningHeader, warningValue)
		}
	}
	now := c.clock.Now()
	if e, err := store.Get(key, now); err == nil && e != nil {
		c.hits.WithLabelValues(labels...).Inc()
		writeEntry(w, e, rc.TraceID)
		return
	}
	c.fetch(w, r, store, key, s, labels)
}

// fetch calls the integration, caches what it answered and writes it.
func (c *Cache) fetch(w http.ResponseWriter, r *http.Request, store *Store, key string, s Settings, labels []string) {
	c.misses.WithLabelValues(labels...).Inc()
	rec := &recorder{header: http.Header{}}
	c.next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK // the handler wrote nothing: net/http's implicit 200
	}
	// Only integration responses are cached, never gateway errors (timeouts,
	// throttling). Whether AWS caches non-2xx integration responses is
	// UNCONFIRMED (spec §5); community reports say it does, and so do we.
	if request.From(r.Context()).IntegrationResponded {
		store.Put(key, &Entry{Status: rec.status, Header: rec.header.Clone(), Body: bytes.Clone(rec.body.Bytes()), Expires: c.clock.Now().Add(s.TTL)}, s.Encrypted)
	}
	writeEntry(w, &Entry{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, "")
}

func (c *Cache) authorized(r *http.Request) bool {
	if c.verifier == nil {
		return false
	}
	// The payload stage has read the body; sign-check the bytes it kept.
	if body := request.From(r.Context()).Body; body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	id, err := c.verifier.Verify(r, "execute-api")
	return err == nil && c.invalidators[id.AccessKeyID]
}

// invalidates reports a Cache-Control: max-age=0 directive.
func invalidates(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(d), " ", ""), "max-age=0") {
				return true
			}
		}
	}
	return false
}

// key is the stage, the namespace, the HTTP method and only the declared
// cache key parameters: everything else (other headers, query strings,
// undeclared path parameters) is ignored for lookup, as on API Gateway.
func (s Settings) key(stage string, r *http.Request, rc *request.Context) string {
	var b strings.Builder
	b.WriteString(stage)
	b.WriteByte(0)
	b.WriteString(s.Namespace)
	b.WriteByte(0)
	b.WriteString(r.Method)
	b.WriteByte(0)
	b.WriteString(rc.DeploymentID) // canary and base share entries only on the same deployment
	if len(s.KeyParams) > 0 {
		env := &mapping.Env{Request: r, Ctx: rc}
		for _, p := range s.KeyParams {
			v, _ := env.Resolve(p)
			// Length-prefixed, so no value (even one holding NUL bytes) can
			// make two different parameter lists produce the same key.
			b.WriteByte(0)
			b.WriteString(p)
			b.WriteByte('=')
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		}
	}
	return b.String()
}

// writeEntry writes a response. A cached one that carried an
// X-Amzn-Trace-Id carries this request's (traceID), not that of the request
// that filled the entry; whether AWS sends one on a cache hit at all is
// UNCONFIRMED.
func writeEntry(w http.ResponseWriter, e *Entry, traceID string) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	if _, ok := h[request.HeaderTraceID]; ok && traceID != "" {
		h[request.HeaderTraceID] = []string{traceID}
	}
	h.Set("Content-Length", strconv.Itoa(len(e.Body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.Body)
}

// Flush empties a stage's cache (FlushStageCache); false if the stage has none.
func (c *Cache) Flush(stage string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if s := c.stores[stage]; s != nil {
		s.Flush()
		return true
	}
	return false
}

// Size returns a stage's cacheClusterSize, or "" if caching is off.
func (c *Cache) Size(stage string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sizes[stage]
}

// Resize changes a stage's cluster size, which empties it (spec §5).
func (c *Cache) Resize(stage, size string) error {
	capacity, err := Capacity(size)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stores[stage]
	if s == nil {
		return fmt.Errorf("stage %s has no cache cluster", stage)
	}
	s.Resize(capacity)
	c.sizes[stage] = size
	return nil
}

// recorder buffers what the integration writes.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
