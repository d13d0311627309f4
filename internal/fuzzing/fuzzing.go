// Package fuzzing holds the bounds gatecheck's fuzz targets check on every
// input besides "no panic": the input is handled within a deadline, and
// what handling it allocates stays within a budget proportional to its
// size. It is imported only by tests.
package fuzzing

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// Deadline bounds one input of a parser or matcher. It is far above what
// any input should take (milliseconds), so that it only trips on a hang or
// a blow-up, not on a slow, loaded machine running -race.
const Deadline = 10 * time.Second

// outcome is how fn ended.
type outcome struct {
	panicked bool
	value    any
	stack    []byte
}

// Within runs fn and fails t if fn panics or has not returned after d.
// fn runs on its own goroutine, so a hang is reported instead of stalling
// the fuzzer (the goroutine is then left behind: the test has failed). fn
// must not call t.FailNow or t.Fatal; it records results for the caller
// to check once Within returns.
func Within(t testing.TB, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{panicked: true, value: p, stack: debug.Stack()}
			}
		}()
		fn()
		done <- outcome{}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case o := <-done:
		if o.panicked {
			t.Fatalf("%s panicked: %v\n%s", what, o.value, o.stack)
		}
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// Budget is an allocation bound: Fixed bytes plus PerByte bytes per input
// byte.
type Budget struct {
	Fixed   uint64
	PerByte uint64
}

// For returns the bound for an input of n bytes.
func (b Budget) For(n int) uint64 { return b.Fixed + b.PerByte*uint64(n) }

func (b Budget) String() string {
	return fmt.Sprintf("%d MiB + %d bytes per input byte", b.Fixed>>20, b.PerByte)
}

// Allocated returns the bytes the process allocated while fn ran. The
// fuzzer runs one input at a time per worker process, so nearly all of it
// is fn's; the budgets it is compared with are loose enough to absorb the
// rest.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// WithinBudget runs fn under Within and fails t if fn allocated more than
// budget allows for an input of n bytes.
func WithinBudget(t testing.TB, d time.Duration, budget Budget, n int, what string, fn func()) {
	t.Helper()
	var used uint64
	Within(t, d, what, func() { used = Allocated(fn) })
	if limit := budget.For(n); used > limit {
		t.Fatalf("%s allocated %d bytes for a %d-byte input; the bound is %s (%d bytes)", what, used, n, budget, limit)
	}
}
