package scenarios

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The watcher reports on every tick and once when stopped, with the counts
// and the rate from its clock, and returns after the last report.
func TestPhaseWatchReportsOnTicksAndAtTheEnd(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	got := make(chan PhaseStatus, 1)
	w := &phaseWatch{name: "canary", asked: 200, duration: 4 * time.Second, start: start,
		now: func() time.Time { return now }, observe: func(s PhaseStatus) { got <- s }}
	tick, stop, exited := make(chan time.Time), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		w.run(tick, stop)
	}()

	for range 398 {
		w.counter.add(200)
	}
	w.counter.add(0)
	w.counter.add(429)
	w.counter.add(999) // beyond maxCode: "other"
	now = start.Add(2 * time.Second)
	tick <- now // the watcher reads now after this send: no race
	s := <-got
	want := "load canary: 200/s asked, 200/s achieved, 401 sent, status 0:1 200:398 429:1 other:1 (2.0s of 4s)"
	if s.String() != want || s.Done {
		t.Fatalf("tick report:\n got %q\nwant %q", s.String(), want)
	}

	w.counter.add(200)
	close(stop)
	s = <-got
	<-exited
	if !s.Done || s.Sent != 402 || s.String() != "load canary: 200/s asked, 201/s achieved, 402 sent, status 0:1 200:399 429:1 other:1 (done in 2.0s)" {
		t.Fatalf("last report: %q %+v", s.String(), s)
	}
	select {
	case extra := <-got:
		t.Fatalf("a report after the last one: %+v", extra)
	default:
	}
}

func TestPhaseStatusBeforeAnyResult(t *testing.T) {
	s := PhaseStatus{Name: "x", Asked: 10, Duration: time.Second}
	if got := s.String(); got != "load x: 10/s asked, 0/s achieved, 0 sent, status none yet (0.0s of 1s)" {
		t.Fatal(got)
	}
}

// Without an observer nothing is watched; with one, the stop func ends
// the watcher goroutine (and its ticker) before it returns.
func TestWatchPhaseLeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	if c, stop := watchPhase("x", 10, time.Second); c != nil {
		t.Fatal("a counter without an observer")
	} else {
		stop()
	}
	var last PhaseStatus
	restore := SetPhaseObserver(func(s PhaseStatus) { last = s })
	defer restore()
	c, stop := watchPhase("x", 10, time.Second)
	c.add(200)
	stop()
	if !last.Done || last.Sent != 1 || last.Codes != "200:1" {
		t.Fatalf("the last report is delivered before stop returns: %+v", last)
	}
	goleak.VerifyNone(t, ignore)
}
