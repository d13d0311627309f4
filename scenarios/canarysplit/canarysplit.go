// Package canarysplit is the canary-under-load scenario: a constant-rate
// attack on a stage with a canary, promoted halfway through. Before the
// promotion the canary share must pass an exact binomial test; once the
// promotion has returned every response must be promoted; throughout,
// there must be no 5xx and no connection error (the switch is seamless).
package canarysplit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
	"github.com/gatecheck/gatecheck/stats"
)

// Options of one run.
type Options struct {
	URL           string  // a route rendering {"version":…,"canary":"$context.isCanaryRequest"}
	Percent       float64 // the canary's percentTraffic before the promotion
	Alpha         float64 // false-failure probability of the split test
	Delta         float64 // the deviation whose detection power is reported (default 0.05)
	CanaryVersion string  // the version every request has after the promotion
	Rate          int
	Duration      time.Duration
	Windows       int // windows before the promotion, each reported with a Wilson interval (default 4)
	// Promote performs the promotion; it is called once, halfway.
	Promote          func(ctx context.Context) error
	AllowNonLoopback bool
	MaxRate          int
	Raw              io.Writer
}

type rendered struct {
	Version string `json:"version"`
	Canary  string `json:"canary"`
}

// Run attacks, promotes halfway and judges.
func Run(ctx context.Context, o Options) (*reports.Scenario, error) {
	if o.Windows <= 0 {
		o.Windows = 4
	}
	if o.Delta <= 0 {
		o.Delta = 0.05
	}
	if err := scenarios.Bounds(o.URL, o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, err
	}
	var enc vegeta.Encoder
	if o.Raw != nil {
		enc = scenarios.NewRawEncoder(o.Raw)
	}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: o.URL})
	start := time.Now()
	var (
		mu                        sync.Mutex
		promoteStart, promoteDone time.Time
		promoteErr                error
		wg                        sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-time.After(o.Duration / 2):
		case <-ctx.Done():
			return
		}
		mu.Lock()
		promoteStart = time.Now()
		mu.Unlock()
		err := o.Promote(ctx)
		mu.Lock()
		promoteDone, promoteErr = time.Now(), err
		mu.Unlock()
	}()
	var all vegeta.Metrics
	var results []*vegeta.Result
	attackErr := scenarios.Attack(ctx, tr, o.Rate, o.Duration, "canary", func(r *vegeta.Result) error {
		all.Add(r)
		results = append(results, r)
		if enc != nil {
			return enc.Encode(r)
		}
		return nil
	})
	wg.Wait()
	all.Close()
	if attackErr != nil {
		return nil, attackErr
	}
	if promoteErr != nil {
		return nil, fmt.Errorf("promotion: %w", promoteErr)
	}

	// Classify: before the promotion started, after it returned, or during.
	var errs, non200, k, n, afterBad, after int
	window := promoteStart.Sub(start) / time.Duration(o.Windows)
	wk, wn := make([]int, o.Windows), make([]int, o.Windows)
	for _, r := range results {
		switch {
		case r.Code == 0:
			errs++
			continue
		case r.Code != http.StatusOK:
			non200++
			continue
		}
		var d rendered
		if json.Unmarshal(r.Body, &d) != nil {
			non200++
			continue
		}
		canary := d.Canary == "true"
		switch {
		case r.Timestamp.Add(r.Latency).Before(promoteStart): // answered before the promotion began
			n++
			i := min(int(r.Timestamp.Sub(start)/window), o.Windows-1)
			wn[i]++
			if canary {
				k++
				wk[i]++
			}
		case r.Timestamp.After(promoteDone): // sent after the promotion returned
			after++
			if canary || d.Version != o.CanaryVersion {
				afterBad++
			}
		}
	}
	p0 := o.Percent / 100
	lo, hi := stats.Acceptance(max(n, 1), p0, o.Alpha)
	z := stats.ZForAlpha(o.Alpha)
	before := reports.Phase{Name: "before promotion", RequestedRate: float64(o.Rate), AchievedRate: all.Rate, Requests: uint64(n), Verdict: reports.Passed,
		Values: map[string]float64{"canary": float64(k), "requests": float64(n), "canaryFraction": ratio(k, n), "acceptLo": float64(lo), "acceptHi": float64(hi),
			// The split under load is judged at alpha on however many
			// requests the run produced; its power says how much that
			// verdict is worth (the CanarySplit check plans its n).
			"powerLow": stats.Power(max(n, 1), p0, max(p0-o.Delta, 0), o.Alpha), "powerHigh": stats.Power(max(n, 1), p0, min(p0+o.Delta, 1), o.Alpha)}}
	for i := range wn {
		wlo, whi := stats.Wilson(wk[i], wn[i], z)
		before.Values["window"+strconv.Itoa(i+1)+"Fraction"] = ratio(wk[i], wn[i])
		before.Values["window"+strconv.Itoa(i+1)+"Lo"], before.Values["window"+strconv.Itoa(i+1)+"Hi"] = wlo, whi
	}
	afterPh := reports.Phase{Name: "after promotion", RequestedRate: float64(o.Rate), AchievedRate: all.Rate, Requests: uint64(after), Verdict: reports.Passed,
		StatusCodes: all.StatusCodes, Values: map[string]float64{"notPromoted": float64(afterBad), "errors": float64(errs), "non200": float64(non200),
			"promotionSeconds": promoteDone.Sub(promoteStart).Seconds()}}
	switch {
	case !scenarios.AchievedRateOK(&all, o.Rate):
		afterPh.Verdict, afterPh.Reason = reports.Invalid, fmt.Sprintf("sent %.0f/s of the %d/s asked: the load generator was the limit", all.Rate, o.Rate)
	case errs > 0 || non200 > 0:
		afterPh.Verdict, afterPh.Reason = reports.Failed, fmt.Sprintf("%d connection errors and %d non-200 responses across the promotion (%v)", errs, non200, all.Errors)
	case afterBad > 0:
		afterPh.Verdict, afterPh.Reason = reports.Failed, fmt.Sprintf("%d of %d requests sent after the promotion returned were not promoted", afterBad, after)
	}
	if k < lo || k > hi {
		before.Verdict, before.Reason = reports.Failed, fmt.Sprintf("%d of %d canary requests: outside [%d, %d] for %g%% (exact binomial test, alpha %g)", k, n, lo, hi, o.Percent, o.Alpha)
	}
	sc := &reports.Scenario{Verdict: reports.Passed}
	scenarios.AddPhase(sc, &before)
	scenarios.AddPhase(sc, &afterPh)
	return sc, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
