// Package scenarios holds gatecheck's load scenarios, built on Vegeta's
// library (open-model, constant arrival rate). Every attack is bounded in
// rate and duration and goes to loopback unless the profile opts in.
package scenarios

import (
	"fmt"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/profile"
)

// Hard bounds on any attack, whatever a profile or flag asks for.
const (
	MaxRate     = 20000
	MaxDuration = 10 * time.Minute
)

// Bounds checks an attack's rate, duration and destination before it starts.
func Bounds(target string, rate int, duration time.Duration, allowNonLoopback bool) error {
	if rate <= 0 || rate > MaxRate {
		return fmt.Errorf("rate %d/s is outside 1–%d", rate, MaxRate)
	}
	if duration <= 0 || duration > MaxDuration {
		return fmt.Errorf("duration %v is outside (0, %v]", duration, MaxDuration)
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("target %q is not a URL", target)
	}
	if !allowNonLoopback && !profile.IsLoopback(u.Hostname()) {
		return fmt.Errorf("target %q is not on loopback; load goes off this machine only with allowNonLoopback", target)
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
