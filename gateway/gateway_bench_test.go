package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/runner"
)

// Performance targets live here, not in timed tests. `make bench` runs
// these and prints the proxied path as ratios to calling the fixture
// directly.

// reference is the reference gateway with its own API and stage file, every
// throttle lifted: the benchmarks measure the pipeline, not the limits.
func reference(b *testing.B, backendAddr string, transport http.RoundTripper) *gateway.Gateway {
	b.Helper()
	api, sf, err := runner.LoadReference()
	if err != nil {
		b.Fatal(err)
	}
	sf.SetVariable("backend", backendAddr)
	unlimitedRate, unlimitedBurst := 1e12, 1<<40
	sf.Account.Throttle = &restapi.Throttle{RateLimit: unlimitedRate, BurstLimit: unlimitedBurst}
	for i := range sf.Stages {
		for k, ms := range sf.Stages[i].MethodSettings {
			ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit = &unlimitedRate, &unlimitedBurst
			sf.Stages[i].MethodSettings[k] = ms
		}
	}
	gw, err := gateway.New(api, sf, gateway.Options{Transport: transport, LambdaEndpoint: "http://" + backendAddr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	return gw
}

// inProcess is a RoundTripper that serves requests with a handler directly,
// so a benchmark measures the gateway's own work without the network.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func serveInMemory(b *testing.B, h http.Handler, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkPipelineMock: the whole pipeline with a mock integration; no backend.
func BenchmarkPipelineMock(b *testing.B) {
	gw := reference(b, "127.0.0.1:9", nil)
	serveInMemory(b, gw, "/test/mock")
}

// BenchmarkFixtureInMemory: the fixture handler alone, the baseline for
// BenchmarkPipelineProxyInMemory.
func BenchmarkFixtureInMemory(b *testing.B) {
	serveInMemory(b, backend.New(backend.Options{}), "/inspect")
}

// BenchmarkPipelineProxyInMemory: the proxied path with the backend called
// in memory: the gateway's own cost per request is this minus
// BenchmarkFixtureInMemory.
func BenchmarkPipelineProxyInMemory(b *testing.B) {
	gw := reference(b, "fixture.invalid", inProcess{backend.New(backend.Options{})})
	serveInMemory(b, gw, "/test/inspect")
}

func loopback(b *testing.B, parallel bool, url func(fixture string) string, setup func(fixtureAddr string) http.Handler) {
	fixture := httptest.NewServer(backend.New(backend.Options{}))
	defer fixture.Close()
	target := fixture.URL
	if setup != nil {
		srv := httptest.NewServer(setup(strings.TrimPrefix(fixture.URL, "http://")))
		defer srv.Close()
		target = srv.URL
	}
	u := url(target)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
	defer client.CloseIdleConnections()
	get := func() {
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get()
			}
		})
	} else {
		for i := 0; i < b.N; i++ {
			get()
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkDirectLoopback: client → fixture over loopback HTTP.
func BenchmarkDirectLoopback(b *testing.B) {
	loopback(b, false, func(u string) string { return u + "/inspect" }, nil)
}

// BenchmarkProxiedLoopback: client → gateway → fixture over loopback HTTP.
func BenchmarkProxiedLoopback(b *testing.B) {
	loopback(b, false, func(u string) string { return u + "/test/inspect" }, func(addr string) http.Handler { return reference(b, addr, nil) })
}

func BenchmarkDirectLoopbackParallel(b *testing.B) {
	loopback(b, true, func(u string) string { return u + "/inspect" }, nil)
}

func BenchmarkProxiedLoopbackParallel(b *testing.B) {
	loopback(b, true, func(u string) string { return u + "/test/inspect" }, func(addr string) http.Handler { return reference(b, addr, nil) })
}

// BenchmarkCacheHitInMemory: the whole pipeline answering from the stage
// cache (spec §5); compare with BenchmarkPipelineProxyInMemory for what a
// hit saves over calling the backend.
func BenchmarkCacheHitInMemory(b *testing.B) {
	var calls atomic.Int64
	fixture := backend.New(backend.Options{})
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fixture.ServeHTTP(w, r)
	})
	gw := reference(b, "fixture.invalid", inProcess{counting})
	serveInMemory(b, gw, "/cached/cached?gc=bench")
	b.StopTimer()
	if n := calls.Load(); n != 1 {
		b.Fatalf("backend called %d times over %d requests, want once: every request after the first must be a cache hit", n, b.N)
	}
}
