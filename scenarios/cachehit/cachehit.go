// Package cachehit is the cache hit-ratio scenario: a constant-rate attack
// on a cached route over K distinct cache keys, chosen uniformly or by a
// Zipf law. A response is a hit when its invocation id was already seen for
// its key. The backend must not be invoked more than once per key per TTL
// window (plus a small allowance for concurrent first requests, which API
// Gateway does not coalesce), and the fixture's own counter must agree with
// the misses seen on the wire.
package cachehit

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
	"github.com/gatecheck/gatecheck/stats"
)

// Distributions of keys.
const (
	Uniform = "uniform"
	Zipf    = "zipf"
)

// Options of one run.
type Options struct {
	// URL is the cached route; the scenario appends ?gc=<key>, gc being a
	// cache key parameter of the route.
	URL           string
	Keys          int
	Rate          int
	Duration      time.Duration // per distribution
	TTL           time.Duration // the route's cacheTtlInSeconds
	Distributions []string      // default uniform, zipf
	Seed          uint64
	// Invocations returns how many requests of a scope reached the backend
	// (the fixture's counter); nil skips the consistency check.
	Invocations      func(ctx context.Context, scope string) (int64, error)
	AllowNonLoopback bool
	MaxRate          int
	Raw              io.Writer
}

// Run runs a phase per distribution.
func Run(ctx context.Context, o Options) (*reports.Scenario, error) {
	if len(o.Distributions) == 0 {
		o.Distributions = []string{Uniform, Zipf}
	}
	if o.Keys < 1 || o.TTL <= 0 {
		return nil, fmt.Errorf("cache scenario: keys must be ≥ 1 and the TTL positive")
	}
	if err := scenarios.Bounds(o.URL, o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, err
	}
	var enc vegeta.Encoder
	if o.Raw != nil {
		enc = scenarios.NewRawEncoder(o.Raw)
	}
	sc := &reports.Scenario{Verdict: reports.Passed}
	for i, dist := range o.Distributions {
		ph, err := phase(ctx, o, dist, o.Seed+uint64(i), enc)
		if err != nil {
			return nil, err
		}
		scenarios.AddPhase(sc, ph)
	}
	return sc, nil
}

// targeter picks a key per request from a seeded generator (Vegeta calls
// targeters from several goroutines, hence the lock).
func targeter(base, run string, keys int, dist string, seed uint64) (vegeta.Targeter, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var next func() int
	switch dist {
	case Uniform:
		next = func() int { return rng.IntN(keys) }
	case Zipf:
		z := rand.NewZipf(rng, 1.1, 1, uint64(keys-1))
		next = func() int { return int(z.Uint64()) }
	default:
		return nil, fmt.Errorf("unknown key distribution %q", dist)
	}
	var mu sync.Mutex
	hdr := http.Header{backend.HeaderScope: []string{run}}
	return func(t *vegeta.Target) error {
		mu.Lock()
		k := next()
		mu.Unlock()
		t.Method, t.URL, t.Header = http.MethodGet, base+"?gc="+run+"-"+strconv.Itoa(k), hdr
		return nil
	}, nil
}

func phase(ctx context.Context, o Options, dist string, seed uint64, enc vegeta.Encoder) (*reports.Phase, error) {
	run := fmt.Sprintf("cachehit-%s-%d-%d", dist, seed, time.Now().UnixNano())
	tr, err := targeter(o.URL, run, o.Keys, dist, seed)
	if err != nil {
		return nil, err
	}
	var all, hits, misses vegeta.Metrics
	seen := map[string]map[string]bool{} // key URL -> invocation ids
	transportErrors, other := 0, 0
	timeline := scenarios.NewTimeline(time.Time{})
	// The attack is named after its phase, in the raw results too.
	err = scenarios.Attack(ctx, tr, o.Rate, o.Duration, dist, func(r *vegeta.Result) error {
		all.Add(r)
		timeline.Add(r)
		if enc != nil {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		id := r.Headers.Get(backend.HeaderInvocationID)
		switch {
		case r.Code == 0:
			transportErrors++
		case r.Code != http.StatusOK || id == "":
			other++
		default:
			ids := seen[r.URL]
			if ids == nil {
				ids = map[string]bool{}
				seen[r.URL] = ids
			}
			if ids[id] {
				hits.Add(r)
			} else {
				ids[id] = true
				misses.Add(r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all.Close()
	hits.Close()
	misses.Close()
	distinct := len(seen)
	windows := math.Ceil(all.Duration.Seconds() / o.TTL.Seconds())
	if windows < 1 {
		windows = 1
	}
	allowance := math.Ceil(0.05*float64(distinct)) + 1 // concurrent first requests for one key
	maxMisses := float64(distinct)*windows + allowance
	ph := &reports.Phase{
		Name: dist, RequestedRate: float64(o.Rate), AchievedRate: all.Rate, DurationSeconds: all.Duration.Seconds(),
		Requests: all.Requests, StatusCodes: all.StatusCodes, Verdict: reports.Passed, Series: timeline.Series(),
		Latency: map[string]reports.Latency{"hit": scenarios.Latency(&hits), "miss": scenarios.Latency(&misses)},
		Values: map[string]float64{
			"keys": float64(o.Keys), "distinctKeys": float64(distinct), "hits": float64(hits.Requests), "misses": float64(misses.Requests),
			"maxExpectedMisses": maxMisses, "hitRatio": ratio(hits.Requests, all.Requests),
			"expectedHitRatio": math.Max(0, 1-float64(distinct)*windows/float64(all.Requests)),
		},
	}
	// The hit ratio with its 95 % Wilson interval, for the report.
	hlo, hhi := stats.Wilson(int(hits.Requests), int(all.Requests), stats.ZForAlpha(0.05))
	ph.Values["hitRatioLo95"], ph.Values["hitRatioHi95"] = hlo, hhi
	var invoked int64 = -1
	if o.Invocations != nil {
		if invoked, err = o.Invocations(ctx, run); err != nil {
			return nil, err
		}
		ph.Values["backendInvocations"] = float64(invoked)
	}
	switch {
	case !scenarios.AchievedRateOK(&all, o.Rate):
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("sent %.0f/s of the %d/s asked: the load generator was the limit", all.Rate, o.Rate)
	case transportErrors > 0:
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("%d requests got no response (%v)", transportErrors, all.Errors)
	case other > 0:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d responses were not 200 with an invocation id: %v", other, all.StatusCodes)
	case float64(misses.Requests) > maxMisses:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d misses for %d keys over %.0f TTL window(s): at most %.0f expected (hit ratio %.3f, expected ≥ %.3f)",
			misses.Requests, distinct, windows, maxMisses, ph.Values["hitRatio"], ph.Values["expectedHitRatio"])
	case invoked >= 0 && invoked != int64(misses.Requests):
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("the backend counted %d invocations but %d responses were misses", invoked, misses.Requests)
	}
	return ph, nil
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
