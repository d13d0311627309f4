package runner

import (
	"fmt"
	"io"
	"regexp"
	"sync"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
)

// console is the run's standard output: Ginkgo's reporter writes through
// it, and it adds a progress line per finished spec and per load-phase
// report. Not on a terminal (a CI log) each of those is its own line; on a
// terminal one live line is redrawn in place. Either way it replaces
// Ginkgo's succinct one-character spec denoters, which would otherwise
// run into the lines. Safe for concurrent use (phase reports come from
// their own goroutine).
type console struct {
	mu      sync.Mutex
	out     io.Writer
	live    bool // redraw one line with a carriage return
	shown   bool // a live line is on screen
	midLine bool // Ginkgo's last write did not end its line
	profile *profile.Profile
	total   int // specs that will run
	done    int // specs finished
}

func newConsole(out io.Writer, live bool, p *profile.Profile) *console {
	return &console{out: out, live: live, profile: p}
}

// denoter matches Ginkgo's succinct mark for a spec that passed, was
// skipped or is pending, with or without colour.
var denoter = regexp.MustCompile(`^(\x1b\[[0-9;]*m)*(•|S|P|\+)(\x1b\[[0-9;]*m)*$`)

// Write takes Ginkgo's reporter output: lone denoters are dropped, the
// rest (banners, failure details, the final tally) written as it is, below
// a live line, which stays (a failure's details follow its spec's line).
func (c *console) Write(p []byte) (int, error) {
	if denoter.Match(p) {
		return len(p), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLive()
	if len(p) > 0 {
		c.midLine = p[len(p)-1] != '\n'
	}
	return c.out.Write(p)
}

// endLive ends the live line with a newline, keeping it. c.mu is held.
func (c *console) endLive() {
	if c.shown {
		io.WriteString(c.out, "\n")
		c.shown = false
	}
}

// line shows one progress line. c.mu is held.
func (c *console) line(s string) {
	if c.midLine { // after Ginkgo's banner, which ends without a newline
		io.WriteString(c.out, "\n")
		c.midLine = false
	}
	if c.live {
		io.WriteString(c.out, "\r\x1b[K"+s)
		c.shown = true
		return
	}
	io.WriteString(c.out, s+"\n")
}

// finish ends the live line, so what follows starts on its own line.
func (c *console) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLive()
}

// SuiteWillRun implements conformance.SpecObserver.
func (c *console) SuiteWillRun(specs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.done = specs, 0
}

// SpecDidRun implements conformance.SpecObserver: one line per spec the
// report lists, "[37/112] cache CacheHitWithinTTL passed 0.21s", with the
// verdict (and a NON-STRICT grade) as the report gives it.
func (c *console) SpecDidRun(sr types.SpecReport) {
	rep := BuildReport(types.Report{SpecReports: []types.SpecReport{sr}}, c.profile)
	if len(rep.Specs) != 1 {
		return // not a check, or not selected by the label filter
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	c.line(specLine(c.done, c.total, rep.Specs[0]))
}

func specLine(done, total int, s reports.Spec) string {
	verdict := string(s.Verdict)
	if s.Grade == reports.GradeNonStrict {
		verdict += " " + string(reports.GradeNonStrict)
	}
	return fmt.Sprintf("[%d/%d] %s %s %s %.2fs", done, total, s.Area, s.Name, verdict, s.DurationSeconds)
}

// phase shows a load phase's progress (scenarios.SetPhaseObserver).
func (c *console) phase(s scenarios.PhaseStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.line(fmt.Sprintf("[%d/%d] %s", c.done+1, c.total, s)) // the spec running it
}
