// Package overhead is the latency-overhead scenario: the same constant-rate
// attack against the fixture backend directly and through the gateway, in
// alternating rounds so both see the same machine conditions, and the
// latency the gateway adds reported as differences and ratios.
package overhead

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
)

// Attack names in the raw results: a baseline comparison matches attacks
// by name, and the direct side measures the fixture, not the gateway.
const (
	DirectAttack  = "direct"
	GatewayAttack = "gateway"
)

// Options of one overhead run.
type Options struct {
	DirectURL  string        // the fixture route, called directly
	GatewayURL string        // the same route through the gateway
	Rate       int           // requests per second, per side
	Duration   time.Duration // per side, split across Rounds
	Rounds     int           // alternations; default 4
	// Header is sent on every gateway request (the profile's target.headers).
	Header http.Header
	// AllowNonLoopback and MaxRate are the profile's safety bounds.
	AllowNonLoopback bool
	MaxRate          int
	// Raw, when set, receives every result in Vegeta's encoding, direct and
	// gateway attacks named "direct" and "gateway".
	Raw io.Writer
}

// Side is one target's measurements.
type Side struct {
	Requests uint64
	Rate     float64
	P50, P90 time.Duration
	P99, Max time.Duration
	Success  float64
	Codes    map[string]int
	Latency  reports.Latency
	Series   []reports.Second // second by second, from the run's start
}

// Result compares the two sides.
type Result struct {
	Direct, Gateway Side
	Valid           bool   // both sides achieved ≥95 % of the requested rate with no errors
	Invalid         string // why not
	roundDuration   time.Duration
	rounds          int
}

// Run runs the scenario.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Rounds <= 0 {
		o.Rounds = 4
	}
	for _, u := range []string{o.DirectURL, o.GatewayURL} {
		if err := scenarios.Bounds(u, o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
			return nil, err
		}
	}
	var enc vegeta.Encoder
	if o.Raw != nil {
		enc = scenarios.NewRawEncoder(o.Raw)
	}
	direct, gw := &vegeta.Metrics{}, &vegeta.Metrics{}
	// One timeline per side over the whole run, from its first request:
	// with rounds shorter than a second, each second holds part of a
	// round, so its request count is below the rate.
	directT, gwT := scenarios.NewTimeline(time.Time{}), scenarios.NewTimeline(time.Time{})
	res := &Result{Valid: true, rounds: o.Rounds}
	per := o.Duration / time.Duration(o.Rounds)
	for round := 0; round < o.Rounds; round++ {
		for _, side := range []struct {
			name, url string
			header    http.Header
			m         *vegeta.Metrics
			timeline  *scenarios.Timeline
		}{{DirectAttack, o.DirectURL, nil, direct, directT}, {GatewayAttack, o.GatewayURL, o.Header, gw, gwT}} {
			// Each round is judged on its own: merged metrics span the
			// other side's rounds too, so their rate means nothing.
			var round vegeta.Metrics
			if err := attack(ctx, side.name, side.url, side.header, o.Rate, per, []*vegeta.Metrics{side.m, &round}, side.timeline, enc); err != nil {
				return nil, err
			}
			round.Close()
			if !scenarios.AchievedRateOK(&round, o.Rate) && res.Valid {
				res.Valid, res.Invalid = false, fmt.Sprintf("%s side achieved %.0f/s of the %d/s asked: the load generator, not the target, was the limit", side.name, round.Rate, o.Rate)
			}
		}
	}
	direct.Close()
	gw.Close()
	res.Direct, res.Gateway = side(direct, o.Rate), side(gw, o.Rate)
	res.Direct.Latency, res.Gateway.Latency = scenarios.Latency(direct), scenarios.Latency(gw)
	res.Direct.Series, res.Gateway.Series = directT.Series(), gwT.Series()
	res.roundDuration = per
	for _, s := range []struct {
		name string
		m    *vegeta.Metrics
	}{{"direct", direct}, {"gateway", gw}} {
		if s.m.Success < 1 && res.Valid {
			res.Valid, res.Invalid = false, fmt.Sprintf("%s side had errors: %v (status %v)", s.name, s.m.Errors, s.m.StatusCodes)
		}
	}
	return res, nil
}

func attack(ctx context.Context, name, url string, header http.Header, rate int, d time.Duration, into []*vegeta.Metrics, timeline *scenarios.Timeline, enc vegeta.Encoder) error {
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url, Header: header})
	return scenarios.Attack(ctx, tr, rate, d, name, func(r *vegeta.Result) error {
		timeline.Add(r)
		for _, m := range into {
			m.Add(r)
		}
		if enc != nil {
			return enc.Encode(r)
		}
		return nil
	})
}

// side summarises merged metrics; Rate is the requested rate, which every
// round was checked to achieve.
func side(m *vegeta.Metrics, rate int) Side {
	return Side{Requests: m.Requests, Rate: float64(rate), P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max, Success: m.Success, Codes: m.StatusCodes}
}

// Print writes the comparison table.
func (r *Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LATENCY\tDIRECT\tGATEWAY\tADDED\tRATIO")
	row := func(name string, d, g time.Duration) {
		ratio := 0.0
		if d > 0 {
			ratio = float64(g) / float64(d)
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%.2fx\n", name, d.Round(time.Microsecond), g.Round(time.Microsecond), (g - d).Round(time.Microsecond), ratio)
	}
	row("p50", r.Direct.P50, r.Gateway.P50)
	row("p90", r.Direct.P90, r.Gateway.P90)
	row("p99", r.Direct.P99, r.Gateway.P99)
	fmt.Fprintf(tw, "rate\t%.0f/s\t%.0f/s\t\t\n", r.Direct.Rate, r.Gateway.Rate)
	fmt.Fprintf(tw, "requests\t%d\t%d\t\t\n", r.Direct.Requests, r.Gateway.Requests)
	tw.Flush()
	if !r.Valid {
		fmt.Fprintf(w, "verdict: INVALID — %s\n", r.Invalid)
	}
}

// Added is the latency the gateway adds at each reported quantile.
func (r *Result) Added() (p50, p90, p99 time.Duration) {
	return r.Gateway.P50 - r.Direct.P50, r.Gateway.P90 - r.Direct.P90, r.Gateway.P99 - r.Direct.P99
}

// Scenario is the run as a report scenario: one phase per side (each the
// merge of its rounds), the added latency in the gateway phase's values
// (seconds), passed when valid. Thresholds on the added latency are the
// caller's to apply.
func (r *Result) Scenario() *reports.Scenario {
	sc := &reports.Scenario{Verdict: reports.Passed}
	p50, p90, p99 := r.Added()
	for _, s := range []struct {
		name string
		side Side
	}{{DirectAttack, r.Direct}, {GatewayAttack, r.Gateway}} {
		ph := &reports.Phase{
			Name: s.name, RequestedRate: s.side.Rate,
			DurationSeconds: (time.Duration(r.rounds) * r.roundDuration).Seconds(),
			Requests:        s.side.Requests, StatusCodes: s.side.Codes,
			Latency: map[string]reports.Latency{"all": s.side.Latency},
			Series:  s.side.Series,
			Verdict: reports.Passed,
		}
		if s.name == GatewayAttack {
			ph.Values = map[string]float64{
				"p50AddedSeconds": p50.Seconds(), "p90AddedSeconds": p90.Seconds(), "p99AddedSeconds": p99.Seconds(),
				"rounds": float64(r.rounds), "roundSeconds": r.roundDuration.Seconds(),
			}
		}
		if !r.Valid {
			ph.Verdict, ph.Reason = reports.Invalid, r.Invalid
		}
		if ph.DurationSeconds > 0 {
			ph.AchievedRate = float64(ph.Requests) / ph.DurationSeconds
		}
		scenarios.AddPhase(sc, ph)
	}
	if !r.Valid {
		sc.Reason = r.Invalid // AddPhase would prefix the first phase's name, whichever side fell short
	}
	return sc
}
