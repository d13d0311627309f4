package cachehit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/cachehit"
)

// counts are backend calls per counting scope, like the fixture's.
type counts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *counts) add(scope string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[scope]++
}

func (c *counts) get(_ context.Context, scope string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[scope], nil
}

// server answers with a fresh invocation id per backend call; when caching,
// it repeats the id for a URL it has seen (a cache with an infinite TTL).
func server(t *testing.T, caching bool) (string, *counts) {
	var mu sync.Mutex
	ids := map[string]string{}
	calls := &counts{n: map[string]int64{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		id, ok := ids[r.URL.RawQuery]
		if !ok || !caching {
			id = uuid.NewString()
			ids[r.URL.RawQuery] = id
			calls.add(r.Header.Get(backend.HeaderScope))
		}
		mu.Unlock()
		w.Header().Set(backend.HeaderInvocationID, id)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

func opts(url string, calls *counts) cachehit.Options {
	return cachehit.Options{URL: url, Keys: 20, Rate: 200, Duration: time.Second, TTL: time.Minute, Seed: 7, Invocations: calls.get}
}

func TestCachingServerPasses(t *testing.T) {
	url, calls := server(t, true)
	sc, err := cachehit.Run(context.Background(), opts(url, calls))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Verdict != reports.Passed || len(sc.Phases) != 2 {
		t.Fatalf("%s: %s %+v", sc.Verdict, sc.Reason, sc.Phases)
	}
	u := sc.Phases[0]
	if u.Values["misses"] != u.Values["distinctKeys"] || u.Values["hitRatio"] < 0.85 || u.Latency["hit"].Count == 0 {
		t.Fatalf("uniform phase: %+v", u.Values)
	}
}

func TestNonCachingServerFails(t *testing.T) {
	url, calls := server(t, false)
	sc, err := cachehit.Run(context.Background(), opts(url, calls))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Verdict != reports.Failed {
		t.Fatalf("a server that never caches must fail: %s %+v", sc.Verdict, sc.Phases)
	}
}

func TestBackendCountMustAgree(t *testing.T) {
	url, calls := server(t, true)
	o := opts(url, calls)
	o.Distributions = []string{cachehit.Uniform}
	o.Invocations = func(ctx context.Context, scope string) (int64, error) {
		n, err := calls.get(ctx, scope)
		return n + 5, err
	}
	sc, err := cachehit.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Verdict != reports.Failed {
		t.Fatalf("a backend count above the misses must fail: %s %s", sc.Verdict, sc.Reason)
	}
}
