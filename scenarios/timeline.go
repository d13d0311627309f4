package scenarios

import (
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
)

// maxTimelineSeconds bounds a timeline's buckets: MaxDuration plus room for
// a phase whose start was taken early (the canary's after-promotion phase).
const maxTimelineSeconds = int(2 * MaxDuration / time.Second)

// Timeline buckets a phase's results by the second they were sent in, for
// the report's plots over time: latency p50/p99 and status codes per second.
// Not safe for concurrent use; scenarios add results from their attack's
// single results loop.
type Timeline struct {
	start time.Time
	secs  []timelineSecond
}

type timelineSecond struct {
	latency vegeta.LatencyMetrics
	codes   map[uint16]int // keyed by the code, not its text: Add runs on the attack's results loop
	n       int
}

// NewTimeline returns a timeline whose second 0 begins at start, or, when
// start is zero, at the first result added. Vegeta hands results over as
// they complete, which on a phase of short requests is within
// milliseconds of the order it sent them; anchoring on the first keeps a
// phase of n seconds in n buckets where anchoring on the moment the
// attack was asked for spills its last requests into an n+1th. A result
// sent before the anchor counts in second 0.
func NewTimeline(start time.Time) *Timeline { return &Timeline{start: start} }

// Add counts r in the second it was sent in; a result sent before start
// counts in second 0.
func (t *Timeline) Add(r *vegeta.Result) {
	if t.start.IsZero() {
		t.start = r.Timestamp
	}
	i := max(0, int(r.Timestamp.Sub(t.start)/time.Second))
	if i >= maxTimelineSeconds {
		return // a clock jump: not worth an unbounded series
	}
	for len(t.secs) <= i {
		t.secs = append(t.secs, timelineSecond{})
	}
	s := &t.secs[i]
	s.n++
	s.latency.Add(r.Latency)
	if s.codes == nil {
		s.codes = make(map[uint16]int, 2)
	}
	s.codes[r.Code]++
}

// Series returns one entry per second from the first to the last that
// had a result; seconds between with none are kept, with zero requests,
// so a stall shows as a gap.
func (t *Timeline) Series() []reports.Second {
	first := 0
	for first < len(t.secs) && t.secs[first].n == 0 {
		first++
	}
	if first == len(t.secs) {
		return nil
	}
	out := make([]reports.Second, 0, len(t.secs)-first)
	for i := first; i < len(t.secs); i++ {
		s := &t.secs[i]
		sec := reports.Second{At: i, Requests: s.n}
		if s.n > 0 {
			sec.StatusCodes = make(map[string]int, len(s.codes))
			for code, n := range s.codes {
				sec.StatusCodes[strconv.Itoa(int(code))] = n
			}
			sec.P50, sec.P99 = s.latency.Quantile(0.50).Seconds(), s.latency.Quantile(0.99).Seconds()
		}
		out = append(out, sec)
	}
	return out
}
