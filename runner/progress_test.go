package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/scenarios"
)

// specReport is Ginkgo's report of a registered check that ended in state,
// with msg as its failure or skip message.
func specReport(t *testing.T, name string, state types.SpecState, msg string, runTime time.Duration, entries ...types.ReportEntry) types.SpecReport {
	t.Helper()
	c, _, ok := conformance.Lookup(name)
	if !ok {
		t.Fatalf("no check %s", name)
	}
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: conformance.SpecText(c), State: state,
		Failure: types.Failure{Message: msg}, RunTime: runTime, ReportEntries: entries}
}

// Not on a terminal: one line per spec the report lists, phase reports
// as lines, Ginkgo's denoters dropped and its other output kept on its
// own lines.
func TestProgressLinesWithoutTerminal(t *testing.T) {
	names := conformance.Checks()
	area := func(name string) string { _, a, _ := conformance.Lookup(name); return a }
	var out bytes.Buffer
	con := newConsole(&out, false, &profile.Profile{Name: "test"})
	con.Write([]byte("[42] gatecheck conformance - 5/9 specs "))
	con.SuiteWillRun(4)
	con.Write([]byte("•"))
	con.SpecDidRun(specReport(t, names[0], types.SpecStatePassed, "", 210*time.Millisecond))
	con.Write([]byte("\x1b[38;5;10m•\x1b[0m"))
	con.SpecDidRun(specReport(t, names[1], types.SpecStateSkipped, "", 0)) // not selected: not listed
	con.SpecDidRun(specReport(t, names[1], types.SpecStatePassed, "", 1500*time.Millisecond,
		types.ReportEntry{Name: conformance.GradeEntry, Value: types.WrapEntryValue("a 503 for a 429")}))
	con.Write([]byte("S"))
	con.SpecDidRun(specReport(t, names[2], types.SpecStateSkipped, conformance.UnsupportedPrefix+"not claimed", 0))
	con.phase(scenarios.PhaseStatus{Name: "canary", Asked: 200, Achieved: 199, Sent: 398, Codes: "200:398", Elapsed: 2 * time.Second, Duration: 4 * time.Second})
	con.SpecDidRun(specReport(t, names[3], types.SpecStateFailed, "boom", 30*time.Millisecond))
	con.Write([]byte("• [FAILED] [0.030 seconds]\nboom\n"))
	con.finish()

	want := strings.Join([]string{
		"[42] gatecheck conformance - 5/9 specs ",
		"[1/4] " + area(names[0]) + " " + names[0] + " passed 0.21s",
		"[2/4] " + area(names[1]) + " " + names[1] + " passed NON-STRICT 1.50s",
		"[3/4] " + area(names[2]) + " " + names[2] + " unsupported 0.00s",
		"[4/4] load canary: 200/s asked, 199/s achieved, 398 sent, status 200:398 (2.0s of 4s)",
		"[4/4] " + area(names[3]) + " " + names[3] + " failed 0.03s",
		"• [FAILED] [0.030 seconds]",
		"boom",
		"",
	}, "\n")
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}

// On a terminal one live line is redrawn; Ginkgo's output goes below it,
// and finish ends it with a newline.
func TestProgressLiveLineOnTerminal(t *testing.T) {
	names := conformance.Checks()
	area := func(name string) string { _, a, _ := conformance.Lookup(name); return a }
	var out bytes.Buffer
	con := newConsole(&out, true, &profile.Profile{Name: "test"})
	con.SuiteWillRun(2)
	con.SpecDidRun(specReport(t, names[0], types.SpecStatePassed, "", 0))
	con.Write([]byte("•"))
	con.Write([]byte("failure details\n"))
	con.SpecDidRun(specReport(t, names[1], types.SpecStatePassed, "", 0))
	con.finish()
	con.finish() // idempotent

	clear := "\r\x1b[K"
	want := clear + "[1/2] " + area(names[0]) + " " + names[0] + " passed 0.00s" +
		"\nfailure details\n" +
		clear + "[2/2] " + area(names[1]) + " " + names[1] + " passed 0.00s\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}
