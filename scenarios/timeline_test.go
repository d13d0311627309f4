package scenarios

import (
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestTimelineBucketsBySecondSent(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tl := NewTimeline(start)
	add := func(at, latency time.Duration, code uint16) {
		tl.Add(&vegeta.Result{Timestamp: start.Add(at), Latency: latency, Code: code})
	}
	// Nothing in second 0; second 1 has 100 results (1..100 ms); second 2
	// none (a stall); second 3 one 429 and one transport error; a result sent
	// before start counts in second 0... which then begins the series.
	for i := 1; i <= 100; i++ {
		add(time.Second+time.Duration(i)*time.Millisecond, time.Duration(i)*time.Millisecond, 200)
	}
	add(3*time.Second+time.Millisecond, 7*time.Millisecond, 429)
	add(3*time.Second+2*time.Millisecond, 30*time.Second, 0)

	s := tl.Series()
	if len(s) != 3 || s[0].At != 1 || s[1].At != 2 || s[2].At != 3 {
		t.Fatalf("series seconds = %+v, want 1, 2 (empty), 3", s)
	}
	if s[0].Requests != 100 || s[0].StatusCodes["200"] != 100 {
		t.Errorf("second 1 = %+v, want 100 requests, all 200", s[0])
	}
	if p50 := time.Duration(s[0].P50 * float64(time.Second)); p50 < 45*time.Millisecond || p50 > 56*time.Millisecond {
		t.Errorf("second 1 p50 = %v, want about 50ms", p50)
	}
	if p99 := time.Duration(s[0].P99 * float64(time.Second)); p99 < 95*time.Millisecond || p99 > 100*time.Millisecond {
		t.Errorf("second 1 p99 = %v, want about 99ms", p99)
	}
	if s[1].Requests != 0 || s[1].P50 != 0 || len(s[1].StatusCodes) != 0 {
		t.Errorf("the stalled second = %+v, want empty", s[1])
	}
	if s[2].Requests != 2 || s[2].StatusCodes["429"] != 1 || s[2].StatusCodes["0"] != 1 {
		t.Errorf("second 3 = %+v, want one 429 and one code 0", s[2])
	}

	add(-time.Second, time.Millisecond, 200)
	if s := tl.Series(); s[0].At != 0 || s[0].Requests != 1 {
		t.Errorf("a result sent before the start: series begins %+v, want second 0 with it", s[0])
	}
	if (&Timeline{}).Series() != nil {
		t.Error("an empty timeline has a series")
	}
}

func TestTimelineIgnoresAClockJump(t *testing.T) {
	start := time.Now()
	tl := NewTimeline(start)
	tl.Add(&vegeta.Result{Timestamp: start.Add(1000 * time.Hour), Code: 200})
	if len(tl.secs) != 0 {
		t.Fatalf("a result 1000 h after the start allocated %d seconds", len(tl.secs))
	}
}

func TestTimelineAnchorsOnTheFirstResult(t *testing.T) {
	// A 2 s attack at 100/s whose first request left 30 ms after the
	// attack was asked for: two buckets, not a third holding the tail.
	first := time.Now().Add(30 * time.Millisecond)
	tl := NewTimeline(time.Time{})
	for i := range 200 {
		tl.Add(&vegeta.Result{Timestamp: first.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Millisecond, Code: 200})
	}
	s := tl.Series()
	if len(s) != 2 || s[0].Requests != 100 || s[1].Requests != 100 {
		t.Fatalf("series = %+v, want two seconds of 100", s)
	}
}

// Add is on the attack's results loop: after a second's first result, it
// allocates nothing.
func TestTimelineAddDoesNotAllocate(t *testing.T) {
	start := time.Now()
	tl := NewTimeline(start)
	r := &vegeta.Result{Timestamp: start, Latency: time.Millisecond, Code: 429}
	tl.Add(r)
	if n := testing.AllocsPerRun(1000, func() { tl.Add(r) }); n > 0.01 {
		t.Fatalf("Add allocates %.2f times per result", n)
	}
}
