package suites

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/cachehit"
)

// Features: the stage cache (spec §5) and its client invalidation.
const (
	FeatureCache             = "cache"
	FeatureCacheInvalidation = "cache-invalidation"
)

// CacheConfig is what a profile claims for cache.
type CacheConfig struct {
	// Stage is the stage with the cache cluster; the cached routes are
	// called there, each with a fresh `gc` query string, which is a cache
	// key parameter on every cached route.
	Stage           string `yaml:"stage"`
	ShortTTLSeconds int    `yaml:"shortTtlSeconds"` // routes.cached-short's cacheTtlInSeconds
	// TTLSlack is the cache's timing tolerance: an entry served later than
	// TTL+TTLSlack fails CacheMissAfterTTL; one gone before TTL−TTLSlack is
	// graded NON-STRICT (the cache is best-effort, spec §5).
	TTLSlack time.Duration `yaml:"ttlSlack"`
	// WarningHeader is the header SUCCEED_WITH_RESPONSE_HEADER adds; empty:
	// not looked for. Its absence is only NON-STRICT: AWS's name is
	// UNCONFIRMED (spec §14).
	WarningHeader string `yaml:"warningHeader"`
	ClusterSize   string `yaml:"clusterSize"` // the stage's cacheClusterSize
	ResizeTo      string `yaml:"resizeTo"`    // another size, for the resize check
	// TTLSeconds is routes.cached's cacheTtlInSeconds (default 300).
	TTLSeconds int `yaml:"ttlSeconds"`
	// The hit-ratio scenario: LoadKeys distinct keys at LoadRate for
	// LoadDuration, once uniformly and once Zipf-distributed.
	LoadKeys     int           `yaml:"loadKeys"`
	LoadRate     int           `yaml:"loadRate"`
	LoadDuration time.Duration `yaml:"loadDuration"`
}

func (c *CacheConfig) Validate() []string {
	var p []string
	if c.Stage == "" {
		p = append(p, "stage is required: the stage with the cache cluster")
	}
	if c.ShortTTLSeconds < 1 || c.ShortTTLSeconds > 3600 {
		p = append(p, "shortTtlSeconds must be 1–3600 (routes.cached-short's TTL)")
	}
	if c.ClusterSize == "" || c.ResizeTo == "" || c.ClusterSize == c.ResizeTo {
		p = append(p, "clusterSize and resizeTo must be two different cacheClusterSize values")
	}
	if c.TTLSeconds < 1 || c.TTLSeconds > 3600 {
		p = append(p, "ttlSeconds must be 1–3600 (routes.cached's TTL)")
	}
	if c.LoadKeys < 1 || c.LoadRate < 1 {
		p = append(p, "loadKeys and loadRate must be positive")
	}
	if msg := validateLoadDuration("loadDuration", c.LoadDuration, 500*time.Millisecond); msg != "" {
		p = append(p, msg)
	}
	return p
}

// ValidateBounds checks the hit-ratio scenario's rate against b.
func (c *CacheConfig) ValidateBounds(b profile.Bounds) []string {
	return nonEmpty([]string{overRate("loadRate", c.LoadRate, "CacheHitRatioUnderLoad", b)})
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureCache, Description: "stage cache (spec §5)", NewConfig: func() any {
		return &CacheConfig{TTLSlack: 2 * time.Second, TTLSeconds: 300, LoadKeys: 50, LoadRate: 200, LoadDuration: 2 * time.Second}
	}})
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureCacheInvalidation, Description: "Cache-Control: max-age=0 invalidation (spec §5)"})
}

func cacheConfig(t *conformance.T) *CacheConfig {
	c, ok := profile.Config[*CacheConfig](t.Target.Profile, FeatureCache)
	if !ok {
		t.Skipf("needs the cache feature's configuration (features.cache) to find the cached stage")
	}
	return c
}

// cached is the URL of a cached route on the cache stage, keyed by gc.
func cached(t *conformance.T, role, gc string, query ...string) string {
	path, _ := t.Target.Profile.Route(role)
	q := url.Values{"gc": {gc}}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	return t.Target.StageURL(cacheConfig(t).Stage, path) + "?" + q.Encode()
}

// invocationID is the fixture's invocation id on a response: a repeated id
// is a cache hit.
func invocationID(t *conformance.T, r *conformance.Response) string {
	t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
	id := r.Header.Get(backend.HeaderInvocationID)
	t.Expect(id).NotTo(BeEmpty(), "no %s header: %s", backend.HeaderInvocationID, r)
	return id
}

func getID(t *conformance.T, url string, h http.Header) string { return invocationID(t, t.Get(url, h)) }

// primed caches a fresh entry on role and proves it is cached (a second
// GET repeats the invocation id), returning the id.
func primed(t *conformance.T, role, gc string) string {
	id := getID(t, cached(t, role, gc), nil)
	t.Expect(getID(t, cached(t, role, gc), nil)).To(Equal(id), "precondition: %s caches its response", role)
	return id
}

func maxAge0(signed bool) conformance.Request {
	return conformance.Request{Header: header("Cache-Control", "max-age=0"), Sign: signed}
}

func cacheChecks() []conformance.Check {
	need := func(roles ...string) []string {
		n := []string{conformance.NeedFixtureCounters}
		for _, r := range roles {
			n = append(n, conformance.NeedRoute(r))
		}
		return n
	}
	return []conformance.Check{
		{
			Name: "CacheHitWithinTTL", Feature: FeatureCache, Section: "§5",
			Description: "A second GET within the TTL is served from the cache: the same invocation id, and the backend is invoked once",
			Needs:       need("cached"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				h := conformance.ScopeHeader(gc)
				id := getID(t, cached(t, "cached", gc), h)
				t.Expect(getID(t, cached(t, "cached", gc), h)).To(Equal(id), "the second GET is a hit")
				t.Expect(t.Invocations(gc)).To(Equal(int64(1)))
			},
		},
		{
			Name: "CacheMissAfterTTL", Feature: FeatureCache, Section: "§5",
			Description: "A cached entry is not served much after its TTL: past cacheTtlInSeconds + ttlSlack the backend is called again. An entry gone before TTL − ttlSlack is NON-STRICT, not a failure: the cache is documented as best-effort (spec §5), so early eviction is allowed",
			Needs:       need("cached-short"),
			Test: func(t *conformance.T) {
				cfg := cacheConfig(t)
				ttl := time.Duration(cfg.ShortTTLSeconds) * time.Second
				gc := conformance.NewScope()
				start := time.Now() // before the entry exists, so a conforming expiry is never measured early
				id := primed(t, "cached-short", gc)
				var changedAfter time.Duration
				t.Eventually(func(g Gomega) {
					r, err := t.Target.Get(t.Ctx, cached(t, "cached-short", gc), nil)
					g.Expect(err).NotTo(HaveOccurred())
					changedAfter = time.Since(start)
					g.Expect(r.Header.Get(backend.HeaderInvocationID)).NotTo(Equal(id))
				}).WithTimeout(ttl+cfg.TTLSlack).WithPolling(ttl/20).Should(Succeed(), "the entry expires after %v", ttl)
				if changedAfter < ttl-cfg.TTLSlack {
					// "API Gateway caches responses ... best-effort" (spec §5, DOC): an
					// entry may go before its TTL, e.g. under memory pressure.
					t.NonStrict("the entry was gone after %v, before its %v TTL (less ttlSlack %v); the cache is best-effort (spec §5)", changedAfter.Round(time.Millisecond), ttl, cfg.TTLSlack)
				}
			},
		},
		{
			Name: "CacheKeyParametersOnly", Feature: FeatureCache, Section: "§5",
			Description: "Only the declared cacheKeyParameters key an entry: another value of an undeclared query string is a hit, another value of a declared one a miss",
			Needs:       need("cached-keyed"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				a1 := getID(t, cached(t, "cached-keyed", gc, "type", "admin", "department", "A"), nil)
				t.Expect(getID(t, cached(t, "cached-keyed", gc, "type", "admin", "department", "B"), nil)).To(Equal(a1), "department is not a key: same entry")
				t.Expect(getID(t, cached(t, "cached-keyed", gc, "type", "user", "department", "A"), nil)).NotTo(Equal(a1), "type is a key: another entry")
			},
		},
		{
			Name: "CacheUndeclaredPathParameterIgnored", Feature: FeatureCache, Section: "§5, §13.5",
			Description: "A path parameter that is not a cache key parameter is ignored for lookup: /items/1 and /items/2 return the same cached body",
			Needs:       need("cached-items"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				path, _ := t.Target.Profile.Route("cached-items")
				url := func(id string) string {
					return t.Target.StageURL(cacheConfig(t).Stage, strings.Replace(path, "{id}", id, 1)) + "?gc=" + gc
				}
				first := getID(t, url("1"), nil)
				t.Expect(getID(t, url("2"), nil)).To(Equal(first), "the undeclared {id} does not key the entry")
			},
		},
		{
			Name: "CacheGETOnlyByDefault", Feature: FeatureCache, Section: "§5",
			Description: "With the stage cache on, GET is cached and POST is not, without a method setting of its own",
			Needs:       need("cached"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				primed(t, "cached", gc)
				p1 := invocationID(t, t.Do(conformance.Request{Method: http.MethodPost, URL: cached(t, "cached", gc)}))
				p2 := invocationID(t, t.Do(conformance.Request{Method: http.MethodPost, URL: cached(t, "cached", gc)}))
				t.Expect(p2).NotTo(Equal(p1), "POST is not cached")
			},
		},
		{
			Name: "CacheTTLZeroDisables", Feature: FeatureCache, Section: "§5",
			Description: "cacheTtlInSeconds 0 disables caching for the method",
			Needs:       need("cached-ttl0"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				t.Expect(getID(t, cached(t, "cached-ttl0", gc), nil)).NotTo(Equal(getID(t, cached(t, "cached-ttl0", gc), nil)))
			},
		},
		{
			Name: "CacheOversizeNotCached", Feature: FeatureCache, Section: "§5, §12",
			Description: "A response body of 1,048,577 bytes, over the documented 1,048,576-byte cacheable maximum however the size is counted, is served whole but not cached, while the stage caches small responses. A body of exactly 1,048,576 bytes not being cached is NON-STRICT: whether the limit is inclusive, and whether headers or encryption count, is not documented",
			Needs:       need("cached", "cached-limit", "cached-large"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				// Not caching an oversize response only means something on a
				// stage that caches at all.
				primed(t, "cached", gc)
				limit := t.Get(cached(t, "cached-limit", gc), nil)
				t.Expect(limit.Body).To(HaveLen(1<<20), "precondition: routes.cached-limit answers exactly 1,048,576 bytes")
				if again := getID(t, cached(t, "cached-limit", gc), nil); again != invocationID(t, limit) {
					// Spec §5/§12 (DOC) give the maximum, not whether it is
					// inclusive; the stored item may also carry headers and
					// encryption overhead ("encryption can enlarge the stored item").
					t.NonStrict("a body of exactly 1,048,576 bytes was not cached; whether AWS's 1,048,576-byte cache limit is inclusive is not documented")
				}
				large := t.Get(cached(t, "cached-large", gc), nil)
				t.Expect(large.Body).To(HaveLen(1<<20+1), "the large response is served whole")
				t.Expect(getID(t, cached(t, "cached-large", gc), nil)).NotTo(Equal(invocationID(t, large)), "1,048,577 bytes is not cached")
			},
		},
		{
			Name: "CacheEncryptedEntriesServed", Feature: FeatureCache, Section: "§5",
			Description: "A method with cacheDataEncrypted caches and serves its entries like any other",
			Needs:       need("cached-encrypted"),
			Test:        func(t *conformance.T) { primed(t, "cached-encrypted", conformance.NewScope()) },
		},
		{
			Name: "CacheHitRatioUnderLoad", Feature: FeatureCache, Section: "§5",
			Description: "Under constant load over K cache keys (uniform and Zipf), each key reaches the backend once per TTL window: the hit ratio meets what K, the TTL and the duration allow, and the backend's count agrees",
			Needs:       need("cached"),
			Scenario:    true,
			Test:        cacheHitRatioUnderLoad,
		},
		{
			Name: "CacheFlush", Feature: FeatureCache, Section: "§5",
			Description: "FlushStageCache answers 202 and empties the stage cache: the next GET reaches the backend",
			Needs:       append(need("cached"), conformance.NeedManagement),
			Test: func(t *conformance.T) {
				cfg := cacheConfig(t)
				gc := conformance.NewScope()
				id := primed(t, "cached", gc)
				_, err := management(t).FlushStageCache(t.Ctx, &apigateway.FlushStageCacheInput{RestApiId: aws.String(t.Target.Profile.Target.RestAPIID), StageName: aws.String(cfg.Stage)})
				t.Expect(err).NotTo(HaveOccurred(), "FlushStageCache")
				t.Eventually(func(g Gomega) {
					r, err := t.Target.Get(t.Ctx, cached(t, "cached", gc), nil)
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(r.Header.Get(backend.HeaderInvocationID)).NotTo(Equal(id))
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "the flushed entry is gone")
			},
		},
		{
			Name: "CacheResizeFlushes", Feature: FeatureCache, Section: "§5",
			Description: "Changing cacheClusterSize (UpdateStage) replaces the cluster, so every entry is gone",
			Needs:       append(need("cached"), conformance.NeedManagement),
			Test: func(t *conformance.T) {
				cfg := cacheConfig(t)
				gc := conformance.NewScope()
				id := primed(t, "cached", gc)
				resize := func(size string) {
					_, err := management(t).UpdateStage(t.Ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(t.Target.Profile.Target.RestAPIID), StageName: aws.String(cfg.Stage),
						PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/cacheClusterSize"), Value: aws.String(size)}}})
					t.Expect(err).NotTo(HaveOccurred(), "UpdateStage cacheClusterSize %s", size)
				}
				resize(cfg.ResizeTo)
				defer resize(cfg.ClusterSize)
				t.Eventually(func(g Gomega) {
					r, err := t.Target.Get(t.Ctx, cached(t, "cached", gc), nil)
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(r.Header.Get(backend.HeaderInvocationID)).NotTo(Equal(id))
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "the resized cluster is empty")
			},
		},
		{
			Name: "CacheMetricsMatchBackend", Feature: FeatureCache, Section: "§5, §11",
			Description: "CacheMissCount and CacheHitCount for the method move with what the backend saw: one miss per backend invocation, one hit per cached answer",
			Needs:       append(need("cached"), conformance.NeedMetrics),
			Test: func(t *conformance.T) {
				cfg := cacheConfig(t)
				path, _ := t.Target.Profile.Route("cached")
				hits0, misses0 := cacheMetrics(t, cfg.Stage, path)
				gc := conformance.NewScope()
				h := conformance.ScopeHeader(gc)
				for i := 0; i < 3; i++ {
					getID(t, cached(t, "cached", gc), h)
				}
				hits, misses := cacheMetrics(t, cfg.Stage, path)
				t.Expect(misses-misses0).To(Equal(float64(t.Invocations(gc))), "one miss per backend invocation")
				t.Expect(hits-hits0).To(Equal(float64(2)), "two answers from the cache")
			},
		},
	}
}

// cacheHitRatioUnderLoad runs the Vegeta cache scenario.
func cacheHitRatioUnderLoad(t *conformance.T) {
	cfg := cacheConfig(t)
	path, _ := t.Target.Profile.Route("cached")
	judge(t, runScenario(t, "CacheHitRatioUnderLoad", FeatureCache, func(raw io.Writer) (*reports.Scenario, error) {
		return cachehit.Run(t.Ctx, cachehit.Options{
			URL: t.Target.StageURL(cfg.Stage, path), Keys: cfg.LoadKeys, Rate: cfg.LoadRate, Duration: cfg.LoadDuration,
			TTL: time.Duration(cfg.TTLSeconds) * time.Second, Seed: 1, Invocations: t.Target.Invocations,
			AllowNonLoopback: t.Target.Profile.Target.AllowNonLoopback, MaxRate: t.Target.Profile.Target.MaxRate, Raw: raw,
		})
	}))
}

// cacheMetrics reads the reference gateway's CacheHitCount and
// CacheMissCount for GET on a resource.
func cacheMetrics(t *conformance.T, stage, resource string) (hits, misses float64) {
	resp := t.Get(t.Target.Profile.Target.MetricsURL, nil)
	t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
	parser := expfmt.NewTextParser(model.UTF8Validation) // the zero TextParser panics on any name (common v0.66+)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(resp.Body)))
	t.Expect(err).NotTo(HaveOccurred(), "metrics are not Prometheus text")
	read := func(name string) float64 {
		f := families[name]
		if f == nil {
			return 0
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["stage"] == stage && labels["resource"] == resource && labels["method"] == http.MethodGet {
				return m.GetCounter().GetValue()
			}
		}
		return 0
	}
	return read("apigateway_cache_hit_count"), read("apigateway_cache_miss_count")
}

func invalidationChecks() []conformance.Check {
	need := func(role string) []string {
		return []string{conformance.NeedFixtureCounters, conformance.NeedRoute(role)}
	}
	with := func(r conformance.Request, url string) conformance.Request { r.URL = url; return r }
	return []conformance.Check{
		{
			Name: "CacheInvalidationAuthorized", Feature: FeatureCacheInvalidation, Section: "§5",
			Description: "Cache-Control: max-age=0 from a caller allowed execute-api:InvalidateCache (SigV4-signed) fetches from the backend and replaces the entry",
			Needs:       append(need("cached"), conformance.NeedManagement),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				old := primed(t, "cached", gc)
				fresh := invocationID(t, t.Do(with(maxAge0(true), cached(t, "cached", gc))))
				t.Expect(fresh).NotTo(Equal(old), "the authorized request reaches the backend")
				t.Expect(getID(t, cached(t, "cached", gc), nil)).To(Equal(fresh), "and replaces the entry")
			},
		},
		{
			Name: "CacheInvalidationUnauthorizedIgnoredWithHeader", Feature: FeatureCacheInvalidation, Section: "§5, §13.6",
			Description: "By default (SUCCEED_WITH_RESPONSE_HEADER) an unauthorized max-age=0 is ignored: the cached response is served. The warning header is looked for only when the profile names it, and its absence is NON-STRICT, not a failure: AWS's header name and value are UNCONFIRMED (spec §14)",
			Needs:       need("cached"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				old := primed(t, "cached", gc)
				r := t.Do(with(maxAge0(false), cached(t, "cached", gc)))
				t.Expect(invocationID(t, r)).To(Equal(old), "an unauthorized invalidation is ignored")
				if name := cacheConfig(t).WarningHeader; name != "" && r.Header.Get(name) == "" {
					t.NonStrict("no %s header on the ignored invalidation (the header the profile names; AWS's name and value are UNCONFIRMED, spec §14)", name)
				}
			},
		},
		{
			Name: "CacheInvalidationUnauthorizedFails", Feature: FeatureCacheInvalidation, Section: "§5",
			Description: "With FAIL_WITH_403, an unauthorized max-age=0 gets 403 and the entry stays (the body is UNCONFIRMED and not checked)",
			Needs:       need("cached-strict"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				old := primed(t, "cached-strict", gc)
				r := t.Do(with(maxAge0(false), cached(t, "cached-strict", gc)))
				t.Expect(r.Status).To(Equal(http.StatusForbidden), "%s", r)
				t.Expect(getID(t, cached(t, "cached-strict", gc), nil)).To(Equal(old))
			},
		},
		{
			Name: "CacheInvalidationUnauthorizedSilent", Feature: FeatureCacheInvalidation, Section: "§5",
			Description: "With SUCCEED_WITHOUT_RESPONSE_HEADER, an unauthorized max-age=0 is silently ignored",
			Needs:       need("cached-silent"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				old := primed(t, "cached-silent", gc)
				r := t.Do(with(maxAge0(false), cached(t, "cached-silent", gc)))
				t.Expect(invocationID(t, r)).To(Equal(old))
				if name := cacheConfig(t).WarningHeader; name != "" {
					t.Expect(r.Header.Get(name)).To(BeEmpty(), "no %s header: %s", name, r)
				}
			},
		},
		{
			Name: "CacheInvalidationWithoutAuthorization", Feature: FeatureCacheInvalidation, Section: "§5",
			Description: "Without requireAuthorizationForCacheControl any caller's max-age=0 refreshes the entry",
			Needs:       need("cached-open"),
			Test: func(t *conformance.T) {
				gc := conformance.NewScope()
				old := primed(t, "cached-open", gc)
				fresh := invocationID(t, t.Do(with(maxAge0(false), cached(t, "cached-open", gc))))
				t.Expect(fresh).NotTo(Equal(old))
				t.Expect(getID(t, cached(t, "cached-open", gc), nil)).To(Equal(fresh))
			},
		},
	}
}

var _ = conformance.Register(conformance.Area{Name: "cache", Title: "Response caching", Checks: append(cacheChecks(), invalidationChecks()...)})
