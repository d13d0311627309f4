// Package throttling enforces API Gateway's token-bucket limits (spec §3.1):
// per-method stage limits from methodSettings and the account limit. The
// usageplan package uses its Bucket for per-key limits.
package throttling

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Bucket is a token bucket of capacity BurstLimit refilled at RateLimit
// tokens per second, implemented as GCRA (the generic cell rate algorithm):
// one atomic "theoretical arrival time" instead of a token count and a
// timestamp, so Allow is lock-free and allocation-free. A bucket admits
// burst requests at once, then one every 1/rate seconds.
type Bucket struct {
	interval  int64 // nanoseconds per token
	tolerance int64 // burst × interval: how far ahead of now the TAT may run
	denyAll   bool  // rate or burst of 0
	clock     clockwork.Clock
	epoch     time.Time // nanoseconds are counted from here, so TAT 0 means "full"
	tat       atomic.Int64
}

// NewBucket returns a full bucket for t.
func NewBucket(t restapi.Throttle, clock clockwork.Clock) *Bucket {
	b := &Bucket{clock: clock, epoch: clock.Now()}
	if t.RateLimit <= 0 || t.BurstLimit <= 0 {
		b.denyAll = true // rate 0 / burst 0: every request is throttled (spec §3.1)
		return b
	}
	// Clamp so that tiny rates or huge bursts cannot overflow int64: a
	// tolerance of ~146 years is as good as unlimited.
	const maxSpan = math.MaxInt64 / 4
	b.interval = maxSpan // compare in float, convert only in range (a float can round past maxSpan)
	if iv := math.Round(float64(time.Second) / t.RateLimit); iv < maxSpan/2 {
		b.interval = max(1, int64(iv))
	}
	if int64(t.BurstLimit) > maxSpan/b.interval {
		b.tolerance = maxSpan
	} else {
		b.tolerance = int64(t.BurstLimit) * b.interval
	}
	return b
}

// Allow takes one token if there is one.
func (b *Bucket) Allow() bool {
	if b.denyAll {
		return false
	}
	now := int64(b.clock.Since(b.epoch))
	for {
		tat := b.tat.Load()
		next := max(tat, now) + b.interval
		if next-now > b.tolerance {
			return false
		}
		if b.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}
