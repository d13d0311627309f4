package throttle_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/throttling"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/throttle"
)

// server answers 200 while its bucket admits, else status.
func server(t *testing.T, limit restapi.Throttle, status int) string {
	b := throttling.NewBucket(limit, clockwork.NewRealClock())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.Allow() {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func opts(url string) throttle.Options {
	return throttle.Options{URL: url, RateLimit: 50, BurstLimit: 10, Multiples: []float64{0.5, 4}, Duration: time.Second, Tolerance: 0.05}
}

func TestTokenBucketPasses(t *testing.T) {
	var raw bytes.Buffer
	o := opts(server(t, restapi.Throttle{RateLimit: 50, BurstLimit: 10}, 429))
	o.Raw = &raw
	sc, err := throttle.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Verdict != reports.Passed || len(sc.Phases) != 2 {
		t.Fatalf("verdict %s: %s %+v", sc.Verdict, sc.Reason, sc.Phases)
	}
	over := sc.Phases[1]
	if over.Values["throttled"] == 0 || over.Values["firstThrottledAfterSeconds"] <= 0 || over.Latency["rejected"].Count == 0 {
		t.Fatalf("the 4x phase should record throttling: %+v", over)
	}
	// Second by second, each phase holds every request and status code.
	for _, ph := range sc.Phases {
		requests, codes := 0, map[string]int{}
		for _, s := range ph.Series {
			requests += s.Requests
			for c, k := range s.StatusCodes {
				codes[c] += k
			}
		}
		if uint64(requests) != ph.Requests || !maps.Equal(codes, ph.StatusCodes) || len(ph.Series) == 0 {
			t.Fatalf("phase %s: its series holds %d requests %v in %d seconds; the phase %d %v", ph.Name, requests, codes, len(ph.Series), ph.Requests, ph.StatusCodes)
		}
	}
	dec := vegeta.NewDecoder(&raw)
	n := 0
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	if uint64(n) != sc.Phases[0].Requests+sc.Phases[1].Requests {
		t.Fatalf("raw results: %d, phases sent %d", n, sc.Phases[0].Requests+sc.Phases[1].Requests)
	}
}

func TestDeviationsFail(t *testing.T) {
	cases := map[string]string{
		"never throttles":             server(t, restapi.Throttle{RateLimit: 1e6, BurstLimit: 1e6}, 429),
		"throttles at twice the rate": server(t, restapi.Throttle{RateLimit: 100, BurstLimit: 10}, 429),
		"throttles with 503":          server(t, restapi.Throttle{RateLimit: 50, BurstLimit: 10}, 503),
		"throttles below the limit":   server(t, restapi.Throttle{RateLimit: 10, BurstLimit: 2}, 429),
	}
	for name, url := range cases {
		t.Run(name, func(t *testing.T) {
			sc, err := throttle.Run(context.Background(), opts(url))
			if err != nil {
				t.Fatal(err)
			}
			if sc.Verdict != reports.Failed {
				t.Fatalf("verdict %s, want failed: %+v", sc.Verdict, sc.Phases)
			}
			t.Logf("failed as it should: %s", sc.Reason)
		})
	}
}

func TestDeclaredStatusIsCountedAsThrottled(t *testing.T) {
	o := opts(server(t, restapi.Throttle{RateLimit: 50, BurstLimit: 10}, 503))
	o.ThrottledStatus = 503
	sc, err := throttle.Run(context.Background(), o)
	if err != nil || sc.Verdict != reports.Passed {
		t.Fatalf("a profile declaring 503: %v %s %s", err, sc.Verdict, sc.Reason)
	}
}

func TestBoundsRefused(t *testing.T) {
	o := opts("http://192.0.2.10/x")
	if _, err := throttle.Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("non-loopback target: %v", err)
	}
	o = opts("http://127.0.0.1:1/x")
	o.MaxRate = 100
	if _, err := throttle.Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "maxRate") {
		t.Fatalf("over maxRate: %v", err)
	}
}
