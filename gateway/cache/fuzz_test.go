package cache_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/cache"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// keyBudget bounds what one fuzz input (a fresh cache stage and three
// requests through it) may allocate: keys and entries grow with the
// parameter values, never faster.
var keyBudget = fuzzing.Budget{Fixed: 8 << 20, PerByte: 256}

// stageNameRE is restapi's rule for stage names: LoadStages refuses any
// other, so the cache never sees one (its metrics need valid UTF-8).
var stageNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// paramPlace is where a method request parameter is: query string, header
// or path (its cacheKeyParameters form is method.request.<place>.<name>).
type paramPlace string

var places = []paramPlace{"querystring", "header", "path"}

// param is one request parameter and its value.
type param struct {
	place       paramPlace
	name, value string
}

// samePlace reports whether two parameters are the same one: header
// names are case-insensitive.
func samePlace(a, b param) bool {
	if a.place != b.place {
		return false
	}
	if a.place == "header" {
		return http.CanonicalHeaderKey(a.name) == http.CanonicalHeaderKey(b.name)
	}
	return a.name == b.name
}

// fuzzRequest builds a routed GET whose parameters are ps.
func fuzzRequest(st *restapi.Stage, res *restapi.Resource, ps ...param) *http.Request {
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/r"}, Header: http.Header{}, Host: "fuzz"}
	rc := &request.Context{Stage: st, Resource: res, Method: res.Methods[http.MethodGet], PathParams: map[string]string{}, DeploymentID: "d1"}
	q := url.Values{}
	for _, p := range ps {
		switch p.place {
		case "querystring":
			q.Set(p.name, p.value)
		case "header":
			r.Header.Set(p.name, p.value)
		case "path":
			rc.PathParams[p.name] = p.value
		}
	}
	r.URL.RawQuery = q.Encode()
	return request.With(r, rc)
}

// FuzzCacheKey sends requests through a fresh cache stage whose method
// declares one cache key parameter (any place, any name) on a stage with
// any name, and counts how often the integration is called.
//
// Property: no panic; each input is handled within fuzzing.Deadline and
// allocates at most keyBudget; two requests that differ only in an
// undeclared parameter get the same key (the second is a hit and returns
// the first's body); two that differ in the declared parameter's value get
// different keys (a miss). Inputs where the "undeclared" parameter is the
// declared one (same place and name, headers compared case-insensitively)
// or where either is Cache-Control (an invalidation, not a key) prove
// nothing and are skipped, and so are stage names that LoadStages refuses.
func FuzzCacheKey(f *testing.F) {
	f.Add("cached", uint8(0), "gc", "one", "two", uint8(0), "other", "x", "y")
	f.Add("s", uint8(1), "X-Tenant", "a", "b", uint8(1), "X-Other", "a", "b")
	f.Add("s", uint8(2), "id", "1", "2", uint8(0), "id", "1", "2")
	f.Add("s", uint8(0), "q", "", "\x00", uint8(1), "q", "", "\x00")
	f.Add("s", uint8(1), "x-tenant", "A", "a", uint8(1), "X-TENANTS", "1", "2")
	f.Fuzz(func(t *testing.T, stage string, declPlace uint8, declName, v1, v2 string, otherPlace uint8, otherName, u1, u2 string) {
		decl := param{place: places[int(declPlace)%len(places)], name: declName}
		other := param{place: places[int(otherPlace)%len(places)], name: otherName}
		cacheControl := func(p param) bool {
			return p.place == "header" && http.CanonicalHeaderKey(p.name) == "Cache-Control"
		}
		if samePlace(decl, other) || cacheControl(decl) || cacheControl(other) || !stageNameRE.MatchString(stage) {
			return
		}
		keyParam := "method.request." + string(decl.place) + "." + decl.name
		res := &restapi.Resource{Path: "/r", Methods: map[string]*restapi.Method{http.MethodGet: {
			HTTPMethod: http.MethodGet, ResourcePath: "/r", Integration: restapi.Integration{CacheKeyParameters: []string{keyParam}}}}}
		api := &restapi.API{Name: "fuzz", Resources: []*restapi.Resource{res}}
		stages := []restapi.Stage{{StageName: stage, CacheClusterEnabled: true}}

		calls := 0
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			request.From(r.Context()).IntegrationResponded = true
			_, _ = w.Write([]byte("call " + strconv.Itoa(calls)))
		})
		req := func(dv, ov string) *http.Request {
			d, o := decl, other
			d.value, o.value = dv, ov
			return fuzzRequest(&stages[0], res, d, o)
		}
		var first, hit string
		callsAfter := [3]int{}
		size := len(stage) + len(declName) + len(v1) + len(v2) + len(otherName) + len(u1) + len(u2)
		fuzzing.WithinBudget(t, fuzzing.Deadline, keyBudget, size, "three requests through the cache", func() {
			c, err := cache.New(api, stages, cache.Options{Clock: clockwork.NewFakeClock()}, gatewayresponse.New(api), next)
			if err != nil {
				t.Errorf("cache.New: %v", err)
				return
			}
			serve := func(r *http.Request) string {
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, r)
				return rec.Body.String()
			}
			first = serve(req(v1, u1))
			callsAfter[0] = calls
			hit = serve(req(v1, u2))
			callsAfter[1] = calls
			serve(req(v2, u1))
			callsAfter[2] = calls
		})
		if callsAfter[0] != 1 {
			t.Fatalf("the first request called the integration %d times", callsAfter[0])
		}
		if callsAfter[1] != 1 || hit != first {
			t.Fatalf("%s %q=%q then %q (undeclared) missed the cache: %d calls, body %q then %q",
				other.place, otherName, u1, u2, callsAfter[1], first, hit)
		}
		if v1 != v2 && callsAfter[2] != 2 {
			t.Fatalf("declared %s %q=%q then %q shared a cache entry", decl.place, declName, v1, v2)
		}
	})
}
