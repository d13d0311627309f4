package usageplan

import (
	"sync"
	"time"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Quota counts one key's requests against a plan's quota. Periods follow
// the UTC calendar (spec §3.2): a DAY starts at 00:00 UTC, a WEEK on Sunday
// 00:00 UTC (the week start is UNCONFIRMED; older AWS docs describe week
// offsets counted from Sunday), a MONTH on the 1st. In the period the plan
// started in, Offset requests are subtracted from the limit.
type Quota struct {
	limit, offset int64
	period        string
	first         int64 // period index the plan started in

	mu      sync.Mutex
	current int64 // period index of used
	used    int64
}

func newQuota(q restapi.Quota, now time.Time) *Quota {
	first := periodIndex(q.Period, now)
	return &Quota{limit: q.Limit, offset: q.Offset, period: q.Period, first: first, current: first}
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

// PeriodBounds returns the UTC start and end (exclusive) of the period containing t.
func PeriodBounds(period string, t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case restapi.QuotaWeek:
		start := day.AddDate(0, 0, -int(day.Weekday()))
		return start, start.AddDate(0, 0, 7)
	case restapi.QuotaMonth:
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	return day, day.AddDate(0, 0, 1)
}

func (q *Quota) roll(now time.Time) int64 {
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
func (q *Quota) Take(now time.Time) bool {
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
func (q *Quota) Usage(now time.Time) (used, remaining int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.roll(now)
	return q.used, max(limit-q.used, 0)
}

// SetRemaining sets the remaining requests of the current period, as
// UpdateUsage's "replace /remaining" does.
func (q *Quota) SetRemaining(now time.Time, remaining int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.roll(now)
	q.used = max(limit-remaining, 0)
}
