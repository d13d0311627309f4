package fuzzing

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatalf instead of stopping, so
// these tests can see what the bounds report.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

var sink []byte

func TestWithinReportsPanicsAndHangs(t *testing.T) {
	r := &recorder{TB: t}
	Within(r, Deadline, "quiet", func() {})
	if r.fatal != "" {
		t.Fatalf("a function that returned was reported: %s", r.fatal)
	}

	Within(r, Deadline, "boom", func() { panic("kaboom") })
	if !strings.Contains(r.fatal, "boom panicked: kaboom") || !strings.Contains(r.fatal, "fuzzing_test.go") {
		t.Fatalf("a panic was reported as %q; want the value and the stack", r.fatal)
	}

	r.fatal = ""
	release := make(chan struct{})
	defer close(release)
	Within(r, 10*time.Millisecond, "stuck", func() { <-release })
	if !strings.Contains(r.fatal, "stuck did not return within 10ms") {
		t.Fatalf("a hang was reported as %q", r.fatal)
	}
}

func TestWithinBudget(t *testing.T) {
	r := &recorder{TB: t}
	budget := Budget{Fixed: 1 << 20, PerByte: 1}
	WithinBudget(r, Deadline, budget, 10, "small", func() { sink = make([]byte, 1<<10) })
	if r.fatal != "" {
		t.Fatalf("an allocation within budget was reported: %s", r.fatal)
	}
	WithinBudget(r, Deadline, budget, 10, "large", func() { sink = make([]byte, 4<<20) })
	if !strings.Contains(r.fatal, "large allocated") || !strings.Contains(r.fatal, "1048586 bytes") {
		t.Fatalf("an allocation over budget was reported as %q", r.fatal)
	}
}
