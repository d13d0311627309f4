package canarysplit_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/canarysplit"
)

// stage is a fake stage with a 10 % canary that a promotion switches to v2.
type stage struct {
	promoted atomic.Bool
	down     atomic.Int64 // unix nanos until which it answers 502 (a bad promotion)
	ignore   bool         // the promotion has no effect
}

func (s *stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if time.Now().UnixNano() < s.down.Load() {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	d := map[string]string{"version": "v1", "canary": "false"}
	switch {
	case s.promoted.Load() && !s.ignore:
		d["version"] = "v2"
	case rand.Float64() < 0.10:
		d["version"], d["canary"] = "v2", "true"
	}
	_ = json.NewEncoder(w).Encode(d)
}

func run(t *testing.T, s *stage, promote func()) *reports.Scenario {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc, err := canarysplit.Run(context.Background(), canarysplit.Options{
		// A modest rate, so the load generator keeps up even on a busy CI machine.
		URL: srv.URL + "/canary/mock", Percent: 10, Alpha: 1e-6, CanaryVersion: "v2", Rate: 50, Duration: 2 * time.Second,
		Promote: func(context.Context) error { promote(); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestSeamlessPromotionPasses(t *testing.T) {
	s := &stage{}
	sc := run(t, s, func() { s.promoted.Store(true) })
	if sc.Verdict != reports.Passed || len(sc.Phases) != 2 {
		t.Fatalf("%s: %s %+v", sc.Verdict, sc.Reason, sc.Phases)
	}
	if sc.Phases[0].Values["requests"] < 40 || sc.Phases[1].Values["notPromoted"] != 0 {
		t.Fatalf("phases: %+v", sc.Phases)
	}
}

func TestErrorsDuringPromotionFail(t *testing.T) {
	s := &stage{}
	sc := run(t, s, func() {
		s.down.Store(time.Now().Add(200 * time.Millisecond).UnixNano())
		s.promoted.Store(true)
	})
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "non-200") {
		t.Fatalf("502s across the switch must fail: %s %s", sc.Verdict, sc.Reason)
	}
}

func TestPromotionWithoutEffectFails(t *testing.T) {
	s := &stage{ignore: true}
	sc := run(t, s, func() { s.promoted.Store(true) })
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "not promoted") {
		t.Fatalf("requests after the promotion must be promoted: %s %s", sc.Verdict, sc.Reason)
	}
}
