// Package scenarios holds gatecheck's load scenarios, built on Vegeta's
// library (open-model, constant arrival rate). Every attack is bounded in
// rate and duration and goes to loopback unless the profile opts in.
package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
)

// Hard bounds on any attack, whatever a profile or flag asks for.
const (
	MaxRate     = profile.MaxRateCeiling
	MaxDuration = 10 * time.Minute
)

// ErrRefused wraps every reason an attack or a burst is refused before it
// starts. It is a configuration error: the profile asked for traffic beyond
// its safety bounds.
var ErrRefused = errors.New("attack refused")

// Bounds checks an attack's rate, duration and destination before it
// starts, against the hard limits and the profile's maxRate (0: none).
func Bounds(target string, rate int, duration time.Duration, allowNonLoopback bool, maxRate int) error {
	if rate <= 0 || rate > MaxRate {
		return fmt.Errorf("%w: rate %d/s is outside 1–%d", ErrRefused, rate, MaxRate)
	}
	if maxRate > 0 && rate > maxRate {
		return fmt.Errorf("%w: rate %d/s is above the profile's maxRate %d", ErrRefused, rate, maxRate)
	}
	if duration <= 0 || duration > MaxDuration {
		return fmt.Errorf("%w: duration %v is outside (0, %v]", ErrRefused, duration, MaxDuration)
	}
	return checkTarget(target, allowNonLoopback)
}

// CheckBurst checks a burst before it is sent: n requests released
// together (or connections opened together) count as n requests within one
// second, so n must be within MaxRate and the profile's maxRate (0: none),
// and the target on loopback unless allowNonLoopback.
func CheckBurst(target string, n int, allowNonLoopback bool, maxRate int) error {
	if n <= 0 || n > MaxRate {
		return fmt.Errorf("%w: a burst of %d requests is outside 1–%d", ErrRefused, n, MaxRate)
	}
	if maxRate > 0 && n > maxRate {
		return fmt.Errorf("%w: a burst of %d requests released together is above the profile's maxRate %d (requests per second)", ErrRefused, n, maxRate)
	}
	return checkTarget(target, allowNonLoopback)
}

// checkTarget refuses a target that is not a URL, or not on loopback
// without the profile's opt-in.
func checkTarget(target string, allowNonLoopback bool) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: target %q is not a URL", ErrRefused, target)
	}
	if !allowNonLoopback && !profile.IsLoopback(u.Hostname()) {
		return fmt.Errorf("%w: target %q is not on loopback; load goes off this machine only with allowNonLoopback", ErrRefused, target)
	}
	return nil
}

// MinAchievedFraction is the share of the requested rate an attack must
// reach for its measurements to mean anything.
const MinAchievedFraction = 0.95

// AchievedRateOK reports whether the attack sent at least
// MinAchievedFraction of the requested rate. When it did not, the load
// generator (not the gateway) was the bottleneck and the run is invalid:
// neither a pass nor a failure.
func AchievedRateOK(m *vegeta.Metrics, requested int) bool {
	return m.Rate >= float64(requested)*MinAchievedFraction
}

// AddPhase appends a phase to a scenario and folds its verdict in: any
// failed phase fails the scenario; otherwise any invalid phase makes it
// invalid. The reason names the first phase that decided.
func AddPhase(sc *reports.Scenario, ph *reports.Phase) {
	sc.Phases = append(sc.Phases, *ph)
	switch {
	case ph.Verdict == reports.Invalid && sc.Verdict == reports.Passed:
		sc.Verdict, sc.Reason = reports.Invalid, ph.Name+": "+ph.Reason
	case ph.Verdict == reports.Failed && sc.Verdict != reports.Failed:
		sc.Verdict, sc.Reason = reports.Failed, ph.Name+": "+ph.Reason
	}
}

// Latency summarises a Vegeta result set for the report, in seconds.
func Latency(m *vegeta.Metrics) reports.Latency {
	return reports.Latency{Count: int(m.Requests), P50: m.Latencies.P50.Seconds(), P90: m.Latencies.P90.Seconds(), P99: m.Latencies.P99.Seconds(), Max: m.Latencies.Max.Seconds()}
}

// RefillTime is how long an idle token bucket takes to fill to its burst
// (burst/rate), plus a margin for timer resolution.
func RefillTime(rate float64, burst int) time.Duration {
	return time.Duration(float64(burst)/rate*float64(time.Second)) + 100*time.Millisecond
}

// NewAttacker returns an attacker suited to loopback benchmarking on a small
// machine: a fixed worker pool that still grows when responses queue, so
// latency includes queueing instead of hiding it (no coordinated omission).
func NewAttacker() *vegeta.Attacker {
	return vegeta.NewAttacker(
		vegeta.Workers(32),
		vegeta.MaxWorkers(1024),
		vegeta.Connections(256),
		vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second),
		vegeta.Redirects(vegeta.NoFollow),
	)
}

// NewAttackerVia is NewAttacker sending through wrap(transport), for a
// scenario that must see each request with its response (Vegeta's results
// do not carry the request).
func NewAttackerVia(wrap func(http.RoundTripper) http.RoundTripper) *vegeta.Attacker {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return vegeta.NewAttacker(
		vegeta.Workers(32),
		vegeta.MaxWorkers(1024),
		vegeta.Client(&http.Client{
			Transport:     wrap(tr),
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}),
	)
}

// Attack runs a constant-rate attack with NewAttacker until it ends or ctx
// does, handing each result to each; an error from each stops the attack
// and is returned (ctx's error when ctx ended it).
func Attack(ctx context.Context, tr vegeta.Targeter, rate int, d time.Duration, name string, each func(*vegeta.Result) error) error {
	return AttackWith(ctx, NewAttacker(), tr, rate, d, name, each)
}

// AttackWith is Attack with a given attacker. While it runs, the phase
// observer (SetPhaseObserver) gets its progress, named name.
func AttackWith(ctx context.Context, a *vegeta.Attacker, tr vegeta.Targeter, rate int, d time.Duration, name string, each func(*vegeta.Result) error) error {
	counter, unwatch := watchPhase(name, rate, d)
	defer unwatch()
	results := a.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, name)
	stop := func(err error) error {
		a.Stop()
		for range results {
		}
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return stop(ctx.Err())
		case r, ok := <-results:
			if !ok {
				return nil
			}
			if counter != nil {
				counter.add(r.Code)
			}
			if err := each(r); err != nil {
				return stop(err)
			}
		}
	}
}

// NewRawEncoder is the encoder for a scenario's raw results (Vegeta's
// encoding, which `vegeta report` reads): every result's URL, error,
// response body and response headers go through redact.String first, so
// the raw files are as safe to share as the reports (a URL's password, a
// session token echoed in an error body).
func NewRawEncoder(w io.Writer) vegeta.Encoder {
	enc := vegeta.NewEncoder(w)
	return func(r *vegeta.Result) error {
		clean := *r
		clean.URL, clean.Error, clean.Body = redact.String(r.URL), redact.String(r.Error), redact.Bytes(r.Body)
		clean.Headers = redactedHeaders(r.Headers)
		return enc.Encode(&clean)
	}
}

// redactedHeaders returns h, or a copy with its secret values redacted
// (every value of a header named like a secret, secrets inside the
// others): no copy when nothing is secret, as for almost every result.
func redactedHeaders(h http.Header) http.Header {
	var out http.Header
	for k, vs := range h {
		secret := redact.SecretName(k)
		for i, v := range vs {
			clean := redact.Marker
			if !secret {
				clean = redact.String(v)
			}
			if clean == v {
				continue
			}
			if out == nil {
				out = h.Clone()
			}
			out[k][i] = clean
		}
	}
	if out == nil {
		return h
	}
	return out
}
