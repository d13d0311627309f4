package canarysplit_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/canarysplit"
)

// stage is a fake stage with a 10 % canary that a promotion switches to v2.
type stage struct {
	promotedAt atomic.Int64 // unix nanos from which it answers promoted; 0: not promoted
	downUntil  atomic.Int64 // unix nanos until which it answers 502
	ignore     bool         // the promotion has no effect
	share      float64      // the canary's share before the promotion (default 0.10)
	// After the promotion: the share of requests answered 502, or still
	// answered by the old deployment, for good.
	flaky, stale float64
}

func (s *stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	if now < s.downUntil.Load() {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	d := map[string]string{"version": "v1", "canary": "false"}
	at := s.promotedAt.Load()
	switch {
	case at != 0 && now >= at && s.flaky > 0 && rand.Float64() < s.flaky:
		w.WriteHeader(http.StatusBadGateway)
		return
	case at != 0 && now >= at && !s.ignore && (s.stale == 0 || rand.Float64() >= s.stale):
		d["version"] = "v2"
	case rand.Float64() < cmp.Or(s.share, 0.10):
		d["version"], d["canary"] = "v2", "true"
	}
	_ = json.NewEncoder(w).Encode(d)
}

// promoteAfter promotes s, taking effect delay after the call.
func (s *stage) promoteAfter(delay time.Duration) func() {
	return func() { s.promotedAt.Store(time.Now().Add(delay).UnixNano()) }
}

// run runs the scenario at a modest rate, so the load generator keeps up
// even on a busy CI machine: about 200 requests before the promotion; every
// n >= 139 gives the split test power 0.99 against 10 % ± 30 %, the Delta
// and Power it is run with.
func run(t *testing.T, s *stage, grace time.Duration, promote func()) *reports.Scenario {
	return runWith(t, s, canarysplit.Options{Rate: 200, Delta: 0.3, Power: 0.99, Grace: grace}, promote)
}

func runWith(t *testing.T, s *stage, o canarysplit.Options, promote func()) *reports.Scenario {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	o.URL, o.Percent, o.Alpha, o.CanaryVersion, o.Duration = srv.URL+"/canary/mock", 10, 1e-6, "v2", 2*time.Second
	o.Promote = func(context.Context) error { promote(); return nil }
	sc, err := canarysplit.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// passedNonStrict wants a passed run graded NON-STRICT for a reason naming want.
func passedNonStrict(t *testing.T, sc *reports.Scenario, want string) {
	t.Helper()
	ns := canarysplit.NonStrict(sc)
	if sc.Verdict != reports.Passed || len(ns) != 1 || !strings.Contains(ns[0], want) {
		t.Fatalf("want a NON-STRICT pass naming %q: %s %s %+v", want, sc.Verdict, sc.Reason, sc.Phases)
	}
}

func TestSeamlessPromotionPasses(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 0, s.promoteAfter(0))
	if sc.Verdict != reports.Passed || len(sc.Phases) != 2 || len(canarysplit.NonStrict(sc)) != 0 {
		t.Fatalf("%s: %s %+v", sc.Verdict, sc.Reason, sc.Phases)
	}
	if sc.Phases[0].Values["requests"] < 150 || sc.Phases[1].Values["notPromoted"] != 0 || sc.Phases[1].Values["promoted"] < 150 {
		t.Fatalf("phases: %+v", sc.Phases)
	}
	// Each phase has its own requests, status codes and latency.
	var total uint64
	for _, ph := range sc.Phases {
		lat := ph.Latency["all"]
		if ph.Requests == 0 || ph.StatusCodes["200"] != int(ph.Requests) || lat.Count != int(ph.Requests) || lat.P50 <= 0 || lat.P99 < lat.P50 || lat.Max < lat.P99 || ph.AchievedRate <= 0 {
			t.Fatalf("phase %q: %d requests, status %v, latency %+v, %.0f/s", ph.Name, ph.Requests, ph.StatusCodes, lat, ph.AchievedRate)
		}
		total += ph.Requests
		inSeries := 0
		for _, s := range ph.Series {
			inSeries += s.Requests
		}
		if inSeries != int(ph.Requests) {
			t.Fatalf("phase %q: its per-second series holds %d of its %d requests", ph.Name, inSeries, ph.Requests)
		}
	}
	if total < 380 || total > 401 {
		t.Fatalf("the phases hold %d requests; the run sent about 400", total)
	}
}

// Too few requests before the promotion for the stated power: a split
// within the acceptance region is invalid, with the reason, not passed.
func TestUnderpoweredSplitIsInvalid(t *testing.T) {
	s := &stage{}
	sc := runWith(t, s, canarysplit.Options{Rate: 50}, s.promoteAfter(0)) // default delta 0.05, power 0.99
	ph := sc.Phases[0]
	if sc.Verdict != reports.Invalid || ph.Verdict != reports.Invalid || !strings.Contains(ph.Reason, "about 2186 are needed") || ph.Values["plannedRequests"] != 2186 {
		t.Fatalf("want an invalid split naming the planned 2186 requests: %s %s %+v", sc.Verdict, sc.Reason, ph)
	}
	if sc.Phases[1].Verdict != reports.Passed {
		t.Fatalf("the promotion is still judged: %+v", sc.Phases[1])
	}
}

// A split far off still fails with few requests: alpha bounds that verdict
// whatever the power. At 90 % instead of 10 %, about 50 requests before
// the promotion give some 45 canary requests against an acceptance region
// ending at 17: the chance of 17 or fewer is below 1e-15.
func TestUnderpoweredSplitFarOffFails(t *testing.T) {
	s := &stage{share: 0.9}
	sc := runWith(t, s, canarysplit.Options{Rate: 50}, s.promoteAfter(0))
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "outside") {
		t.Fatalf("a 90%% split must fail: %s %s", sc.Verdict, sc.Reason)
	}
}

// The raw results hold every result once, its attack named after its phase.
func TestRawResultsArePhaseNamed(t *testing.T) {
	s := &stage{}
	var raw bytes.Buffer
	sc := runWith(t, s, canarysplit.Options{Rate: 200, Delta: 0.3, Raw: &raw}, s.promoteAfter(0))
	perPhase := map[string]uint64{}
	dec := vegeta.NewDecoder(&raw)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		perPhase[r.Attack]++
	}
	for _, ph := range sc.Phases {
		if perPhase[ph.Name] != ph.Requests || ph.Requests == 0 {
			t.Fatalf("raw results per attack %v; phase %q has %d requests", perPhase, ph.Name, ph.Requests)
		}
	}
	if len(perPhase) != 2 {
		t.Fatalf("raw results per attack: %v", perPhase)
	}
}

// Spec §6 does not say the switch is error-free: errors across it pass
// NON-STRICT, with their counts.
func TestErrorsAcrossPromotionAreNonStrict(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 0, func() {
		s.downUntil.Store(time.Now().Add(200 * time.Millisecond).UnixNano())
		s.promoteAfter(0)()
	})
	passedNonStrict(t, sc, "non-200 responses across the promotion")
	if sc.Phases[1].Values["non200Across"] == 0 {
		t.Fatalf("the 502s are counted: %+v", sc.Phases[1].Values)
	}
}

// Before the promotion the stage is steady: an error there fails.
func TestErrorsBeforePromotionFail(t *testing.T) {
	s := &stage{}
	s.downUntil.Store(time.Now().Add(200 * time.Millisecond).UnixNano())
	sc := run(t, s, 0, s.promoteAfter(0))
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "before the promotion") {
		t.Fatalf("502s before the promotion must fail: %s %s", sc.Verdict, sc.Reason)
	}
}

func TestPromotionWithoutEffectFails(t *testing.T) {
	s := &stage{ignore: true}
	sc := run(t, s, 0, s.promoteAfter(0))
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "never switched") {
		t.Fatalf("a stage that never switches must fail: %s %s", sc.Verdict, sc.Reason)
	}
}

// A stage answering 502 from the promotion on never switches: it fails.
func TestOutageAfterPromotionFails(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 0, func() {
		s.downUntil.Store(math.MaxInt64)
		s.promoteAfter(0)()
	})
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "never switched") {
		t.Fatalf("a stage down after the promotion must fail: %s %s", sc.Verdict, sc.Reason)
	}
}

// A switch within the grace (waits.settle) is a clean pass.
func TestLateSwitchWithinGracePasses(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 600*time.Millisecond, s.promoteAfter(300*time.Millisecond))
	if sc.Verdict != reports.Passed || len(canarysplit.NonStrict(sc)) != 0 {
		t.Fatalf("a switch within the grace passes: %s %s %+v", sc.Verdict, sc.Reason, sc.Phases)
	}
	if v := sc.Phases[1].Values; v["notPromotedWithinGrace"] == 0 || v["notPromoted"] != 0 {
		t.Fatalf("the late requests are counted within the grace: %+v", v)
	}
}

// A switch later than the grace passes NON-STRICT, with the count.
func TestLateSwitchBeyondGraceIsNonStrict(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 0, s.promoteAfter(300*time.Millisecond))
	passedNonStrict(t, sc, "were not promoted")
	if sc.Phases[1].Values["notPromoted"] == 0 {
		t.Fatalf("the late requests are counted: %+v", sc.Phases[1].Values)
	}
}

// A stage that keeps failing or keeps serving the old deployment after the
// promotion has not settled: the run's last quarter fails it, however the
// switch began. At 200 req/s the last quarter of the second second holds
// about 50 requests; with 90 % of answers bad, all of them good has
// probability 0.1^50, so the test does not flake.
func TestUnsettledAfterPromotionFails(t *testing.T) {
	for name, s := range map[string]*stage{"90% errors": {flaky: 0.9}, "90% stale": {stale: 0.9}} {
		t.Run(name, func(t *testing.T) {
			sc := run(t, s, 0, s.promoteAfter(0))
			// Rarely (0.9^200) no request at all is answered promoted: that
			// fails as "never switched".
			if sc.Verdict != reports.Failed || !(strings.Contains(sc.Reason, "had not settled") || strings.Contains(sc.Reason, "never switched")) {
				t.Fatalf("an unsettled stage must fail: %s %s %+v", sc.Verdict, sc.Reason, sc.Phases)
			}
		})
	}
}

// A grace that outlasts the run leaves the switch unseen: the phase says
// so instead of passing silently (the check then waits for the switch).
func TestGraceBeyondTheRunIsSaid(t *testing.T) {
	s := &stage{}
	sc := run(t, s, 5*time.Second, s.promoteAfter(0))
	after := sc.Phases[1]
	if after.Verdict != reports.Passed || !strings.Contains(after.Reason, "the switch is not judged here") || after.Values["promoted"] != 0 {
		t.Fatalf("after promotion: %s %q %v", after.Verdict, after.Reason, after.Values)
	}
}
