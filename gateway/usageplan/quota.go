package usageplan

import (
	"sync"
	"time"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// QuotaCounter counts one key's requests against a plan's quota. Periods follow
// the UTC calendar (spec §3.2): a DAY starts at 00:00 UTC, a WEEK on Sunday
// 00:00 UTC (the week start is UNCONFIRMED; older AWS docs describe week
// offsets counted from Sunday), a MONTH on the 1st. In the period the plan
// started in, Offset requests are subtracted from the limit.
type QuotaCounter struct {
	limit, offset int64
	period        string
	first         int64 // period index the plan started in

	mu      sync.Mutex
	current int64 // period index of used
	used    int64
}

func newQuota(q restapi.Quota, now time.Time) *QuotaCounter {
	first := periodIndex(q.Period, now)
	return &QuotaCounter{limit: q.Limit, offset: q.Offset, period: q.Period, first: first, current: first}
}

// periodIndex numbers calendar periods so that two times share an index
// exactly when they fall in the same UTC day, week or month.
func periodIndex(period string, t time.Time) int64 {
	t = t.UTC()
	days := floorDiv(t.Unix(), 86400)
	switch period {
	case restapi.QuotaWeek:
		return floorDiv(days+4, 7) // 1970-01-01 was a Thursday: +4 makes weeks start on Sunday
	case restapi.QuotaMonth:
		return int64(t.Year())*12 + int64(t.Month()) - 1
	}
	return days
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (q *QuotaCounter) roll(now time.Time) int64 {
	p := periodIndex(q.period, now)
	if p != q.current {
		q.current, q.used = p, 0
	}
	if p == q.first {
		return max(q.limit-q.offset, 0)
	}
	return q.limit
}

// Take counts one request; false means the quota is exhausted.
func (q *QuotaCounter) Take(now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.roll(now)
	if q.used >= limit {
		return false
	}
	q.used++
	return true
}

// Usage returns the requests used and remaining in the current period.
func (q *QuotaCounter) Usage(now time.Time) (used, remaining int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.roll(now)
	return max(q.used, 0), max(limit-q.used, 0)
}

// SetRemaining sets the remaining requests of the current period, as
// UpdateUsage's "replace /remaining" does. Remaining may exceed the limit:
// AWS describes this as a temporary extension of the quota.
func (q *QuotaCounter) SetRemaining(now time.Time, remaining int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.roll(now)
	q.used = limit - remaining // negative: extended beyond the limit
}
