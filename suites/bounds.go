package suites

// The traffic a check sends is sized by the values a profile claims. Those
// values are checked twice against the profile's safety bounds: when the
// profile loads (each feature's Validate and ValidateBounds, below and in
// the feature's file), and again just before the traffic is sent
// (boundBurst here, scenarios.Bounds in the load scenarios), so that no
// code path exceeds target.maxRate or leaves loopback without the opt-in
// even when a profile bypassed validation. A refusal at run time stops the
// check as a configuration error.

import (
	"fmt"
	"math"
	"time"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/scenarios"
)

// Sane ceilings on claimed values, far above any API Gateway limit (AWS's
// account default is 10,000 requests/s with a burst of 5,000) and low
// enough that the arithmetic on them cannot overflow.
const (
	maxClaimedRate  = 1_000_000 // rateLimit, requests per second
	maxClaimedBurst = 1_000_000 // burstLimit
	maxSlack        = 1000      // extra requests tolerated beyond a bound
)

// validateLimit checks a claimed token bucket on its own: both values
// positive, finite and below the ceilings, and an empty bucket refilling
// within scenarios.MaxDuration (the checks wait for the refill).
func validateLimit(field string, l Limit) []string {
	var p []string
	if !(l.RateLimit > 0 && l.RateLimit <= maxClaimedRate) {
		p = append(p, fmt.Sprintf("%s.rateLimit: %g must be above 0 and at most %d requests per second (the rate configured on the gateway; AWS's account default is 10000)", field, l.RateLimit, maxClaimedRate))
	}
	if l.BurstLimit < 1 || l.BurstLimit > maxClaimedBurst {
		p = append(p, fmt.Sprintf("%s.burstLimit: %d must be 1–%d (the burst configured on the gateway; AWS's account default is 5000)", field, l.BurstLimit, maxClaimedBurst))
	}
	if len(p) == 0 && float64(l.BurstLimit)/l.RateLimit > scenarios.MaxDuration.Seconds() {
		p = append(p, fmt.Sprintf("%s: the bucket takes burstLimit/rateLimit = %.0fs to refill, which the checks wait for; it must refill within %v (fix: raise rateLimit or lower burstLimit)",
			field, float64(l.BurstLimit)/l.RateLimit, scenarios.MaxDuration))
	}
	return p
}

// sane reports whether validateLimit accepts l; bounds checks skip values
// already reported.
func (l Limit) sane() bool { return len(validateLimit("", l)) == 0 }

// validateLoadDuration checks a load scenario's duration against the hard
// bound every attack is held to.
func validateLoadDuration(field string, d, least time.Duration) string {
	if d < least || d > scenarios.MaxDuration {
		return fmt.Sprintf("%s: %v must be between %v and %v", field, d, least, scenarios.MaxDuration)
	}
	return ""
}

// overMaxRate returns a problem when traffic of n requests within one
// second (an attack's rate, or a burst) exceeds b.MaxRate, else "". what
// says which check sends it and how n follows from the field; fix is how
// to change the field to fit, or "" when no value of the field fits.
func overMaxRate(field string, n int, what, fix string, b profile.Bounds) string {
	if n <= b.MaxRate {
		return ""
	}
	if n <= scenarios.MaxRate {
		if fix != "" {
			fix += ", or "
		}
		fix += fmt.Sprintf("raise target.maxRate to at least %d", n)
	}
	if fix == "" {
		fix = fmt.Sprintf("lower %s: %d is above the hard limit of %d requests per second", field, n, scenarios.MaxRate)
	}
	return fmt.Sprintf("%s: %s, above target.maxRate %d (fix: %s)", field, what, b.MaxRate, fix)
}

// nonEmpty drops the "" problems the checks above return when all is well.
func nonEmpty(problems []string) []string {
	out := problems[:0]
	for _, p := range problems {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// atMost is the fix "<name> at most <limit>", or "" when limit < least.
func atMost(name string, limit, least int) string {
	if limit < least {
		return ""
	}
	return fmt.Sprintf("lower %s to at most %d", name, limit)
}

// overRate checks an attack at rate requests per second.
func overRate(field string, rate int, check string, b profile.Bounds) string {
	return overMaxRate(field, rate, fmt.Sprintf("%s attacks at %d requests/s", check, rate), atMost(lastName(field), b.MaxRate, 1), b)
}

// lastName is the last element of a field path.
func lastName(field string) string {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return field[i+1:]
		}
	}
	return field
}

// ceilRate is ⌈m × rate⌉ as an int; rate is sane (≤ maxClaimedRate).
func ceilRate(m, rate float64) int { return int(math.Ceil(m * rate)) }

// boundBurst stops the check as a configuration error unless n requests
// released together to url are within the profile's safety bounds.
func boundBurst(t *conformance.T, url string, n int) {
	tg := &t.Target.Profile.Target
	if err := scenarios.CheckBurst(url, n, tg.AllowNonLoopback, tg.MaxRate); err != nil {
		t.ConfigError("%v (fix: `gatecheck profiles validate` names the profile value to change)", err)
	}
}
