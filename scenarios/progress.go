package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PhaseInterval is how often a running attack reports its progress: often
// enough that a CI log shows a long phase is alive, rarely enough not to
// flood it.
const PhaseInterval = 2 * time.Second

// PhaseStatus is a running attack's progress.
type PhaseStatus struct {
	Name     string        // the attack's (phase's) name
	Asked    int           // requested rate, per second
	Achieved float64       // results per second so far
	Sent     uint64        // requests whose result is back (Vegeta reports a request when it completes)
	Codes    string        // status counts, "200:812 429:40"; 0 is a connection error
	Elapsed  time.Duration // since the attack started
	Duration time.Duration // the attack's planned duration
	Done     bool          // the attack has ended
}

// String is the status as one line: "load canary: 200/s asked, 199/s
// achieved, 812 sent, status 200:812 (4.1s of 8s)".
func (s PhaseStatus) String() string {
	codes := s.Codes
	if codes == "" {
		codes = "none yet"
	}
	state := fmt.Sprintf("%.1fs of %v", s.Elapsed.Seconds(), s.Duration)
	if s.Done {
		state = fmt.Sprintf("done in %.1fs", s.Elapsed.Seconds())
	}
	return fmt.Sprintf("load %s: %d/s asked, %.0f/s achieved, %d sent, status %s (%s)", s.Name, s.Asked, s.Achieved, s.Sent, codes, state)
}

var (
	observerMu    sync.Mutex
	phaseObserver func(PhaseStatus)
)

// SetPhaseObserver makes every attack started after it report its
// progress to f every PhaseInterval and once when it ends (nil: no
// reports). f is called from another goroutine than the attack's, never
// concurrently for one attack. It returns a func restoring the previous
// observer.
func SetPhaseObserver(f func(PhaseStatus)) (restore func()) {
	observerMu.Lock()
	defer observerMu.Unlock()
	prev := phaseObserver
	phaseObserver = f
	return func() {
		observerMu.Lock()
		defer observerMu.Unlock()
		phaseObserver = prev
	}
}

func currentPhaseObserver() func(PhaseStatus) {
	observerMu.Lock()
	defer observerMu.Unlock()
	return phaseObserver
}

// maxCode bounds the status codes counted one by one; others count as
// maxCode (shown as "other").
const maxCode = 600

// phaseCounter counts an attack's results without allocating or locking,
// so the attack loop stays cheap: the watcher goroutine reads it.
type phaseCounter struct {
	sent  atomic.Uint64
	codes [maxCode + 1]atomic.Uint64
}

func (c *phaseCounter) add(code uint16) {
	c.sent.Add(1)
	c.codes[min(int(code), maxCode)].Add(1)
}

// codes formats the non-zero status counts in code order.
func (c *phaseCounter) formatCodes() string {
	var b strings.Builder
	for code := range c.codes {
		n := c.codes[code].Load()
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if code == maxCode {
			b.WriteString("other")
		} else {
			b.WriteString(strconv.Itoa(code))
		}
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(n, 10))
	}
	return b.String()
}

// phaseWatch reports an attack's progress to observe on every tick and
// once more when stop is closed; it returns after that last report.
type phaseWatch struct {
	counter  phaseCounter
	name     string
	asked    int
	duration time.Duration
	start    time.Time
	now      func() time.Time
	observe  func(PhaseStatus)
}

func (w *phaseWatch) status(done bool) PhaseStatus {
	elapsed := w.now().Sub(w.start)
	sent := w.counter.sent.Load()
	var achieved float64
	if elapsed > 0 {
		achieved = float64(sent) / elapsed.Seconds()
	}
	return PhaseStatus{Name: w.name, Asked: w.asked, Achieved: achieved, Sent: sent, Codes: w.counter.formatCodes(),
		Elapsed: elapsed, Duration: w.duration, Done: done}
}

func (w *phaseWatch) run(tick <-chan time.Time, stop <-chan struct{}) {
	for {
		select {
		case <-tick:
			w.observe(w.status(false))
		case <-stop:
			w.observe(w.status(true))
			return
		}
	}
}

// watchPhase starts reporting an attack's progress to the current phase
// observer, if any. It returns the counter the attack loop feeds (nil when
// nobody observes) and a func that stops the watcher and waits for its
// last report.
func watchPhase(name string, rate int, d time.Duration) (*phaseCounter, func()) {
	observe := currentPhaseObserver()
	if observe == nil {
		return nil, func() {}
	}
	w := &phaseWatch{name: name, asked: rate, duration: d, start: time.Now(), now: time.Now, observe: observe}
	ticker := time.NewTicker(PhaseInterval)
	stop, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		w.run(ticker.C, stop)
	}()
	return &w.counter, func() {
		ticker.Stop()
		close(stop)
		<-exited
	}
}
