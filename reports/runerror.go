package reports

import (
	"fmt"
	"io"
	"strings"
)

// This file renders Report.RunError in every format. A run that stopped
// before its specs ran has no spec to carry the cause, so each format shows
// it on its own: JUnit as an errored test case (CI publishers list it), the
// summaries as a line before everything else.

// fix is the advice naming the profile field to correct, or "" when
// there is none or the message already names it.
func (e *RunError) fix() string {
	if e.Field == "" || strings.Contains(e.Message, e.Field) {
		return ""
	}
	return "fix the profile field " + e.Field
}

// headline is the one-line form: "run error (unreachable): …; fix the
// profile field target.restURL".
func (e *RunError) headline() string {
	s := fmt.Sprintf("run error (%s): %s", orUnknown(e.Kind), FirstLine(e.Message))
	if f := e.fix(); f != "" {
		s += "; " + f
	}
	return s
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

// junitRunErrorSuite is a suite "gatecheck" holding one test case "run"
// whose <error> is the run error.
func junitRunErrorSuite(e *RunError, stamp string) junitSuite {
	body := strings.TrimRight(plain(e.Message), "\n")
	if f := e.fix(); f != "" {
		body += "\n\n" + f
	}
	c := junitCase{
		Name: "run", Classname: "gatecheck", Time: junitTime(0),
		Error: &junitProblem{Message: e.headline(), Type: orUnknown(e.Kind), Body: body},
	}
	suite := junitSuite{Name: "gatecheck", Tests: 1, Errors: 1, Time: junitTime(0), Timestamp: stamp, Cases: []junitCase{c}}
	if e.Field != "" {
		// The schema allows properties on a suite, not on a test case.
		suite.Properties = &junitProps{Props: []junitProp{{Name: "run.field", Value: e.Field}}}
		suite.Cases[0].SystemOut = "fix: the profile field " + e.Field
	}
	return suite
}

// markdownRunError writes the run error as a paragraph.
func markdownRunError(w io.Writer, e *RunError) {
	fmt.Fprintf(w, "**Run error (%s):** %s\n\n", mdText(orUnknown(e.Kind)), mdText(e.Message))
	if e.Field != "" {
		fmt.Fprintf(w, "**Fix:** the profile field `%s`.\n\n", strings.ReplaceAll(e.Field, "`", "'"))
	}
}
