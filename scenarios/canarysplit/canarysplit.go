// Package canarysplit is the canary-under-load scenario: a constant-rate
// attack on a stage with a canary, promoted halfway through. Before the
// promotion the canary share must pass an exact binomial test and every
// request must succeed; after it the stage must switch to the promoted
// version. The split's verdict counts only when the requests before the
// promotion are enough for the stated power (planned as the CanarySplit
// check plans its n): with fewer, a split within the acceptance region is
// invalid, not passed (a split outside it still fails: alpha bounds that). Spec §6 says neither that the switch is immediate nor that it
// is error-free, so the stage gets Options.Grace to switch, and requests
// still not promoted after it, or errors across the switch, only grade the
// run NON-STRICT (the phase passes with a NonStrictPrefix reason). A stage
// that never switches fails.
//
// Each phase has its own status codes and latency. The raw results are
// one Vegeta file for the run, each result's attack named after its phase
// (BeforePhase or AfterPhase): `vegeta report` on it gives the whole run;
// filter by attack for one phase.
package canarysplit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
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
	Delta         float64 // the deviation the split test must detect (default 0.05)
	Power         float64 // the chance it must have to detect it (default 0.99)
	CanaryVersion string  // the version every request has after the promotion
	Rate          int
	Duration      time.Duration
	Windows       int // windows before the promotion, each reported with a Wilson interval (default 4)
	// Grace is how long after the promotion returns the stage may still
	// answer unpromoted (the profile's waits.settle: AWS applies UpdateStage
	// within seconds, not atomically).
	Grace time.Duration
	// Promote performs the promotion; it is called once, halfway.
	Promote          func(ctx context.Context) error
	AllowNonLoopback bool
	MaxRate          int
	Raw              io.Writer // every result in Vegeta's encoding, attack named after its phase
}

// Phase names, also the attack names in the raw results.
const (
	BeforePhase = "before promotion" // answered before the promotion started
	AfterPhase  = "after promotion"  // the rest: in flight during it, or sent after it
)

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
	if o.Power <= 0 {
		o.Power = 0.99
	}
	if err := scenarios.Bounds(o.URL, o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, err
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

	// Classify: answered before the promotion started (the split and the
	// steady state), or sent after it returned (the switch); requests in
	// flight during the promotion count only as errors across the switch.
	var c counts
	window := promoteStart.Sub(start) / time.Duration(o.Windows)
	wk, wn := make([]int, o.Windows), make([]int, o.Windows)
	switchBy := promoteDone.Add(o.Grace)
	// The tail: the last quarter of the run after the promotion, if the
	// grace has ended by then. A stage still failing or stale there has not
	// settled, whatever the switch's speed: that fails.
	end := start.Add(o.Duration)
	tailFrom := end.Add(-end.Sub(promoteDone) / 4)
	if tailFrom.Before(switchBy) {
		tailFrom = switchBy
	}
	var beforeM, afterM vegeta.Metrics
	beforeT, afterT := scenarios.NewTimeline(time.Time{}), scenarios.NewTimeline(promoteStart)
	for _, r := range results {
		before := r.Timestamp.Add(r.Latency).Before(promoteStart)
		if before {
			r.Attack = BeforePhase
			beforeM.Add(r)
			beforeT.Add(r)
		} else {
			r.Attack = AfterPhase
			afterM.Add(r)
			afterT.Add(r)
		}
		inTail := r.Timestamp.After(tailFrom)
		if r.Timestamp.After(switchBy) {
			c.afterGrace++
		}
		if inTail {
			c.tail++
		}
		var d rendered
		switch {
		case r.Code == 0:
			c.errs.add(before)
			if inTail {
				c.tailBad++
			}
			continue
		case r.Code != http.StatusOK || json.Unmarshal(r.Body, &d) != nil:
			c.non200.add(before)
			if inTail {
				c.tailBad++
			}
			continue
		}
		canary := d.Canary == "true"
		switch {
		case before:
			c.n++
			i := min(int(r.Timestamp.Sub(start)/window), o.Windows-1)
			wn[i]++
			if canary {
				c.k++
				wk[i]++
			}
		case r.Timestamp.After(promoteDone): // sent after the promotion returned
			promoted := !canary && d.Version == o.CanaryVersion
			switch {
			case !r.Timestamp.After(switchBy):
				if !promoted {
					c.switching++
				}
			case promoted:
				c.promotedLate++
			default:
				c.notPromoted++
				if inTail {
					c.tailBad++
				}
			}
		}
	}
	beforeM.Close()
	afterM.Close()
	if o.Raw != nil {
		enc := scenarios.NewRawEncoder(o.Raw)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return nil, fmt.Errorf("writing the raw results: %w", err)
			}
		}
	}
	before := judgeSplit(o, c, wk, wn, &beforeM)
	before.Series = beforeT.Series()
	afterPh := phase(AfterPhase, o.Rate, &afterM)
	afterPh.Series = afterT.Series()
	afterPh.Values = map[string]float64{"notPromotedWithinGrace": float64(c.switching), "notPromoted": float64(c.notPromoted), "promoted": float64(c.promotedLate),
		"errorsAcross": float64(c.errs.across), "non200Across": float64(c.non200.across),
		"promotionSeconds": promoteDone.Sub(promoteStart).Seconds(), "graceSeconds": o.Grace.Seconds(), "tail": float64(c.tail), "tailBad": float64(c.tailBad)}
	var graded []string
	if c.errs.across > 0 || c.non200.across > 0 {
		graded = append(graded, fmt.Sprintf("%d connection errors and %d non-200 responses across the promotion (%v); spec §6 does not say the switch is error-free", c.errs.across, c.non200.across, afterM.Errors))
	}
	if c.notPromoted > 0 {
		graded = append(graded, fmt.Sprintf("%d of %d requests sent more than %v after the promotion returned were not promoted; spec §6 does not say how fast the switch is", c.notPromoted, c.notPromoted+c.promotedLate, o.Grace))
	}
	switch {
	case !scenarios.AchievedRateOK(&all, o.Rate):
		afterPh.Verdict, afterPh.Reason = reports.Invalid, fmt.Sprintf("sent %.0f/s of the %d/s asked: the load generator was the limit", all.Rate, o.Rate)
	case c.afterGrace > 0 && c.promotedLate == 0:
		afterPh.Verdict, afterPh.Reason = reports.Failed, fmt.Sprintf("none of the %d requests sent more than %v after the promotion returned was answered promoted: the stage never switched", c.afterGrace, o.Grace)
	case c.tailBad > 0:
		afterPh.Verdict, afterPh.Reason = reports.Failed, fmt.Sprintf("%d of the %d requests in the run's last %v were errors, non-200 or not promoted: the stage had not settled after the promotion and its grace (%v)", c.tailBad, c.tail, end.Sub(tailFrom).Round(time.Millisecond), o.Grace)
	case len(graded) > 0:
		afterPh.Reason = NonStrictPrefix + strings.Join(graded, "; ")
	}
	if c.afterGrace == 0 && afterPh.Verdict == reports.Passed {
		// A pass here would say the stage switched; the run never saw it.
		note := fmt.Sprintf("the switch is not judged here: no request was sent after the promotion returned and its grace (%v) ended; lengthen the run or shorten the grace", o.Grace)
		afterPh.Reason = strings.TrimPrefix(afterPh.Reason+"; "+note, "; ")
	}
	sc := &reports.Scenario{Verdict: reports.Passed}
	scenarios.AddPhase(sc, &before)
	scenarios.AddPhase(sc, &afterPh)
	return sc, nil
}

// phase is a phase's measurements from its own results.
func phase(name string, rate int, m *vegeta.Metrics) reports.Phase {
	return reports.Phase{Name: name, RequestedRate: float64(rate), AchievedRate: m.Rate, DurationSeconds: m.Duration.Seconds(), Requests: m.Requests,
		StatusCodes: m.StatusCodes, Latency: map[string]reports.Latency{"all": scenarios.Latency(m)}, Verdict: reports.Passed}
}

// judgeSplit is the phase before the promotion: steady (every request
// answered 200) and split as declared. The exact binomial test at alpha
// decides a split outside its acceptance region (failed) whatever n; a
// split inside it passes only when n gave the test the stated power
// against Percent ± Delta, planned as the CanarySplit check plans its n,
// and is invalid otherwise: "no deviation seen" means nothing without it.
func judgeSplit(o Options, c counts, wk, wn []int, m *vegeta.Metrics) reports.Phase {
	k, n := c.k, c.n
	p0 := o.Percent / 100
	lo, hi := stats.Acceptance(max(n, 1), p0, o.Alpha)
	planned := stats.SampleSize(p0, o.Delta, o.Alpha, o.Power)
	powerLow, powerHigh := stats.Power(max(n, 1), p0, max(p0-o.Delta, 0), o.Alpha), stats.Power(max(n, 1), p0, min(p0+o.Delta, 1), o.Alpha)
	ph := phase(BeforePhase, o.Rate, m)
	ph.Values = map[string]float64{"canary": float64(k), "requests": float64(n), "canaryFraction": ratio(k, n), "acceptLo": float64(lo), "acceptHi": float64(hi),
		"plannedRequests": float64(planned), "power": o.Power, "powerLow": powerLow, "powerHigh": powerHigh, "percent": o.Percent,
		"errorsBefore": float64(c.errs.before), "non200Before": float64(c.non200.before)}
	z := stats.ZForAlpha(o.Alpha)
	for i := range wn {
		wlo, whi := stats.Wilson(wk[i], wn[i], z)
		ph.Values["window"+strconv.Itoa(i+1)+"Fraction"] = ratio(wk[i], wn[i])
		ph.Values["window"+strconv.Itoa(i+1)+"Lo"], ph.Values["window"+strconv.Itoa(i+1)+"Hi"] = wlo, whi
	}
	switch {
	case c.errs.before > 0 || c.non200.before > 0:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d connection errors and %d non-200 responses before the promotion (%v)", c.errs.before, c.non200.before, m.Errors)
	case k < lo || k > hi:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d of %d canary requests: outside [%d, %d] for %g%% (exact binomial test, alpha %g)", k, n, lo, hi, o.Percent, o.Alpha)
	case min(powerLow, powerHigh) < o.Power:
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("split not judged: %d of %d canary requests is within [%d, %d], but %d requests before the promotion give the test power %.2g against %g%% ± %g (alpha %g), not %g; about %d are needed: raise the rate or the duration so rate × duration / 2 exceeds it",
			k, n, lo, hi, n, min(powerLow, powerHigh), o.Percent, o.Delta*100, o.Alpha, o.Power, planned)
	}
	return ph
}

// NonStrictPrefix starts the reason of a phase that passed with an
// outcome AWS does not document either way.
const NonStrictPrefix = "NON-STRICT: "

// NonStrict is the reasons of sc's phases that passed NON-STRICT.
func NonStrict(sc *reports.Scenario) []string {
	var r []string
	for _, ph := range sc.Phases {
		if reason, ok := strings.CutPrefix(ph.Reason, NonStrictPrefix); ok && ph.Verdict == reports.Passed {
			r = append(r, reason)
		}
	}
	return r
}

// counts of one run's responses.
type counts struct {
	k, n                                 int // canary requests among n answered before the promotion
	switching, promotedLate, notPromoted int // sent after the promotion returned: unpromoted within the grace, promoted or not after it
	afterGrace                           int // sent after the grace, whatever the answer
	tail, tailBad                        int // sent in the run's last quarter after the grace; of those, errors and stale answers
	errs, non200                         split
}

// split counts a kind of failure before the promotion and across it.
type split struct{ before, across int }

func (s *split) add(before bool) {
	if before {
		s.before++
	} else {
		s.across++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
