// Package throttle is the throttling-under-load scenario: constant-rate
// attacks on a throttled route at multiples of its rate limit, judged
// against the token-bucket bound. Verdicts read status-code counts, since
// Vegeta counts a 429 as an error.
package throttle

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
	"github.com/gatecheck/gatecheck/stats"
)

// Options of one run.
type Options struct {
	URL             string
	Header          http.Header
	RateLimit       float64 // the route's configured limit, requests/s
	BurstLimit      int
	Multiples       []float64     // attack rates as multiples of RateLimit; default 0.5, 2, 5
	Duration        time.Duration // per phase
	ThrottledStatus int           // 429, or the status the profile declares
	// Tolerance is the fraction allowed around the expected accepted count
	// (at least 2 requests either way).
	Tolerance        float64
	AllowNonLoopback bool
	MaxRate          int
	// Raw receives every result in Vegeta's encoding, each phase as an
	// attack named after it.
	Raw io.Writer
}

// Run runs every phase. The result's Verdict is Passed, Failed or Invalid.
func Run(ctx context.Context, o Options) (*reports.Scenario, error) {
	if len(o.Multiples) == 0 {
		o.Multiples = []float64{0.5, 2, 5}
	}
	if o.ThrottledStatus == 0 {
		o.ThrottledStatus = http.StatusTooManyRequests
	}
	for _, m := range o.Multiples {
		rate := int(math.Ceil(m * o.RateLimit))
		if err := scenarios.Bounds(o.URL, rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
			return nil, fmt.Errorf("phase %gx: %w", m, err)
		}
	}
	var enc vegeta.Encoder
	if o.Raw != nil {
		enc = scenarios.NewRawEncoder(o.Raw)
	}
	sc := &reports.Scenario{Verdict: reports.Passed}
	for _, m := range o.Multiples {
		// Start every phase with a full bucket.
		select {
		case <-time.After(scenarios.RefillTime(o.RateLimit, o.BurstLimit)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		ph, err := phase(ctx, o, m, enc)
		if err != nil {
			return nil, err
		}
		scenarios.AddPhase(sc, ph)
	}
	return sc, nil
}

func phase(ctx context.Context, o Options, multiple float64, enc vegeta.Encoder) (*reports.Phase, error) {
	rate := int(math.Ceil(multiple * o.RateLimit))
	name := strconv.FormatFloat(multiple, 'g', -1, 64) + "x"
	atk := scenarios.NewAttacker()
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: o.URL, Header: o.Header})
	var all, accepted, rejected vegeta.Metrics
	var firstThrottled time.Time
	var start time.Time
	throttledCount, acceptedCount, other, transportErrors := 0, 0, 0, 0
	timeline := scenarios.NewTimeline(time.Time{})
	// AttackWith reports the phase's progress; it stops the attack on ctx.
	err := scenarios.AttackWith(ctx, atk, tr, rate, o.Duration, name, func(r *vegeta.Result) error {
		timeline.Add(r)
		if start.IsZero() || r.Timestamp.Before(start) {
			start = r.Timestamp
		}
		all.Add(r)
		switch {
		case int(r.Code) == http.StatusOK:
			acceptedCount++
			accepted.Add(r)
		case r.Code == 0: // no response: the client side failed (timeout, sockets)
			transportErrors++
		case int(r.Code) == http.StatusTooManyRequests || int(r.Code) == o.ThrottledStatus:
			throttledCount++
			rejected.Add(r)
			if firstThrottled.IsZero() || r.Timestamp.Before(firstThrottled) {
				firstThrottled = r.Timestamp
			}
		default:
			other++
		}
		if enc != nil {
			return enc.Encode(r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all.Close()
	accepted.Close()
	rejected.Close()
	span := all.Duration // first to last request sent
	expected := math.Min(float64(all.Requests), float64(o.BurstLimit)+o.RateLimit*span.Seconds())
	slack := math.Max(2, o.Tolerance*expected)
	ph := &reports.Phase{
		Name: name, RequestedRate: float64(rate), AchievedRate: all.Rate, DurationSeconds: span.Seconds(),
		Requests: all.Requests, StatusCodes: all.StatusCodes, Verdict: reports.Passed, Series: timeline.Series(),
		Latency: map[string]reports.Latency{"accepted": scenarios.Latency(&accepted), "rejected": scenarios.Latency(&rejected)},
		Values: map[string]float64{
			"accepted": float64(acceptedCount), "throttled": float64(throttledCount), "other": float64(other), "transportErrors": float64(transportErrors),
			"expectedAccepted": math.Round(expected), "tolerance": math.Round(slack),
		},
	}
	// The accepted rate with its 95 % Wilson interval on the accepted share.
	if all.Requests > 0 && span > 0 {
		lo, hi := stats.Wilson(acceptedCount, int(all.Requests), stats.ZForAlpha(0.05))
		ph.Values["acceptedRate"] = float64(acceptedCount) / span.Seconds()
		ph.Values["acceptedRateLo95"], ph.Values["acceptedRateHi95"] = lo*float64(all.Requests)/span.Seconds(), hi*float64(all.Requests)/span.Seconds()
	}
	if !firstThrottled.IsZero() {
		ph.Values["firstThrottledAfterSeconds"] = firstThrottled.Sub(start).Seconds()
	}
	switch {
	case !scenarios.AchievedRateOK(&all, rate):
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("sent %.0f/s of the %d/s asked: the load generator was the limit", all.Rate, rate)
	case transportErrors > 0:
		// Without a response the bucket's decision is unknown: no verdict.
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("%d requests got no response (%v)", transportErrors, all.Errors)
	case other > 0:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d responses were neither accepted nor throttled: %v", other, all.StatusCodes)
	case multiple < 1 && throttledCount > 0:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d requests throttled below the rate limit", throttledCount)
	case math.Abs(float64(acceptedCount)-expected) > slack:
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("accepted %d, token bucket allows %.0f (burst %d + %.4g/s × %v) ± %.0f", acceptedCount, expected, o.BurstLimit, o.RateLimit, span.Round(time.Millisecond), slack)
	}
	return ph, nil
}
