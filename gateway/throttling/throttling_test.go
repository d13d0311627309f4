package throttling_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/throttling"
)

func allowN(b *throttling.Bucket, n int) int {
	ok := 0
	for i := 0; i < n; i++ {
		if b.Allow() {
			ok++
		}
	}
	return ok
}

func TestBucketBurstThenRefill(t *testing.T) {
	clock := clockwork.NewFakeClock()
	b := throttling.NewBucket(restapi.Throttle{RateLimit: 10, BurstLimit: 5}, clock)
	if got := allowN(b, 20); got != 5 {
		t.Fatalf("a full bucket admits its burst: got %d, want 5", got)
	}
	clock.Advance(99 * time.Millisecond)
	if b.Allow() {
		t.Fatal("no token before 1/rate has passed")
	}
	clock.Advance(time.Millisecond)
	if !b.Allow() || b.Allow() {
		t.Fatal("exactly one token after 1/rate")
	}
	clock.Advance(10 * time.Second) // long idle: refills to the burst, no more
	if got := allowN(b, 20); got != 5 {
		t.Fatalf("after a long idle the bucket holds its burst: got %d, want 5", got)
	}
}

func TestBucketSustainedRate(t *testing.T) {
	clock := clockwork.NewFakeClock()
	b := throttling.NewBucket(restapi.Throttle{RateLimit: 100, BurstLimit: 20}, clock)
	accepted := 0
	// 10 s of requests at 5x the rate, in 2 ms steps: burst + rate x duration.
	for step := 0; step < 5000; step++ {
		if b.Allow() {
			accepted++
		}
		clock.Advance(2 * time.Millisecond)
	}
	if want := 20 + 100*10; accepted < want-1 || accepted > want {
		t.Fatalf("accepted %d, want %d (burst + rate x 10 s)", accepted, want)
	}
}

func TestBucketZeroLimitsRejectAll(t *testing.T) {
	clock := clockwork.NewFakeClock()
	for _, th := range []restapi.Throttle{{RateLimit: 0, BurstLimit: 5}, {RateLimit: 5, BurstLimit: 0}} {
		if b := throttling.NewBucket(th, clock); b.Allow() {
			t.Errorf("%+v admitted a request", th)
		}
	}
}

func TestBucketFractionalRate(t *testing.T) {
	clock := clockwork.NewFakeClock()
	b := throttling.NewBucket(restapi.Throttle{RateLimit: 0.5, BurstLimit: 1}, clock)
	if !b.Allow() || b.Allow() {
		t.Fatal("burst 1")
	}
	clock.Advance(1999 * time.Millisecond)
	if b.Allow() {
		t.Fatal("0.5 rps: no token before 2 s")
	}
	clock.Advance(time.Millisecond)
	if !b.Allow() {
		t.Fatal("0.5 rps: a token at 2 s")
	}
}

func TestBucketConcurrentNeverOveradmits(t *testing.T) {
	clock := clockwork.NewFakeClock()
	b := throttling.NewBucket(restapi.Throttle{RateLimit: 1, BurstLimit: 100}, clock)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if b.Allow() {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 100 {
		t.Fatalf("admitted %d concurrently, want exactly the burst of 100", admitted.Load())
	}
}

func ptr[T any](v T) *T { return &v }

func TestMethodThrottle(t *testing.T) {
	st := &restapi.Stage{MethodSettings: map[string]restapi.MethodSetting{
		"*/*":           {ThrottlingRateLimit: ptr(100.0), ThrottlingBurstLimit: ptr(50)},
		"throttled/GET": {ThrottlingRateLimit: ptr(10.0), ThrottlingBurstLimit: ptr(5)},
		"~1a~1b/POST":   {ThrottlingRateLimit: ptr(1.0)},
		"nolimits/GET":  {MetricsEnabled: true},
	}}
	cases := []struct {
		path, verb string
		want       restapi.Throttle
		ok         bool
	}{
		{"/throttled", "GET", restapi.Throttle{RateLimit: 10, BurstLimit: 5}, true},
		{"/other", "GET", restapi.Throttle{RateLimit: 100, BurstLimit: 50}, true},
		{"/a/b", "POST", restapi.Throttle{RateLimit: 1, BurstLimit: 5000}, true}, // partial: AWS default for the rest
		{"/nolimits", "GET", restapi.Throttle{RateLimit: 10000, BurstLimit: 5000}, true},
	}
	for _, c := range cases {
		got, ok := throttling.MethodThrottle(st, c.path, c.verb)
		if ok != c.ok || got != c.want {
			t.Errorf("%s %s: got %+v %v, want %+v", c.verb, c.path, got, ok, c.want)
		}
	}
	if _, ok := throttling.MethodThrottle(&restapi.Stage{}, "/x", "GET"); ok {
		t.Error("no methodSettings: no stage throttle")
	}
	if _, ok := throttling.MethodThrottle(&restapi.Stage{MethodSettings: map[string]restapi.MethodSetting{"*/*": {MetricsEnabled: true}}}, "/x", "GET"); ok {
		t.Error(`"*/*" without throttle values: no stage throttle`)
	}
}

func TestStageThrottlesPerMethod(t *testing.T) {
	clock := clockwork.NewFakeClock()
	get, post := &restapi.Method{HTTPMethod: "GET", ResourcePath: "/x"}, &restapi.Method{HTTPMethod: "POST", ResourcePath: "/x"}
	api := &restapi.API{Resources: []*restapi.Resource{{Path: "/x", Methods: map[string]*restapi.Method{"GET": get, "POST": post}}}}
	stages := []restapi.Stage{{StageName: "test", MethodSettings: map[string]restapi.MethodSetting{"*/*": {ThrottlingRateLimit: ptr(1.0), ThrottlingBurstLimit: ptr(2)}}}}
	var reached int
	s := throttling.NewMethodLimiter(api, stages, clock, gatewayresponse.New(api), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached++ }))
	serve := func(m *restapi.Method) int {
		req := httptest.NewRequest(m.HTTPMethod, "/test/x", nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, request.With(req, &request.Context{Stage: &stages[0], Method: m}))
		return rec.Code
	}
	codes := []int{serve(get), serve(get), serve(get), serve(post), serve(post), serve(post)}
	want := []int{200, 200, 429, 200, 200, 429}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("codes = %v, want %v (each method has its own bucket)", codes, want)
		}
	}
	if reached != 4 {
		t.Fatalf("next reached %d times, want 4: a throttled request must not go on", reached)
	}
}

func TestAccountThrottle(t *testing.T) {
	clock := clockwork.NewFakeClock()
	a := &throttling.AccountLimiter{Bucket: throttling.NewBucket(restapi.Throttle{RateLimit: 1, BurstLimit: 1}, clock), Responder: gatewayresponse.New(nil), Next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	rec2 := httptest.NewRecorder()
	a.ServeHTTP(rec2, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec2.Code != 429 || rec2.Body.String() != `{"message":"Too Many Requests"}` {
		t.Fatalf("codes %d %d body %s", rec.Code, rec2.Code, rec2.Body)
	}
}

// The throttle stage alone: ns/op and allocs/op (target: 0 allocs).
func BenchmarkBucketAllow(b *testing.B) {
	bucket := throttling.NewBucket(restapi.Throttle{RateLimit: 1e12, BurstLimit: 1 << 30}, clockwork.NewRealClock())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bucket.Allow()
	}
}

// One shared bucket under b.RunParallel: the CAS contention of a single
// account-wide limit, the worst case.
func BenchmarkBucketAllowParallelShared(b *testing.B) {
	bucket := throttling.NewBucket(restapi.Throttle{RateLimit: 1e12, BurstLimit: 1 << 30}, clockwork.NewRealClock())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bucket.Allow()
		}
	})
}

// A bucket per goroutine (per key or per method): no shared state, so the
// cost must not grow with cores.
func BenchmarkBucketAllowParallelPerKey(b *testing.B) {
	clock := clockwork.NewRealClock()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		bucket := throttling.NewBucket(restapi.Throttle{RateLimit: 1e12, BurstLimit: 1 << 30}, clock)
		for pb.Next() {
			bucket.Allow()
		}
	})
}

func TestBucketExtremeLimitsDoNotOverflow(t *testing.T) {
	clock := clockwork.NewFakeClock()
	for _, th := range []restapi.Throttle{{RateLimit: 1e-7, BurstLimit: 5000}, {RateLimit: 10, BurstLimit: 1 << 62}, {RateLimit: 1e-12, BurstLimit: 1}, {RateLimit: 1e15, BurstLimit: 1}} {
		if b := throttling.NewBucket(th, clock); !b.Allow() {
			t.Errorf("%+v: a fresh bucket with a burst must admit a request", th)
		}
	}
}
