package reports

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// JUnit XML document, in the shape of the JUnit schema that Jenkins' xUnit
// plugin validates against (junit-10.xsd; its rules are restated in
// testdata/junit-10.xsd and checked by TestJUnitValidatesAgainstXSD). That
// schema allows <properties> on a testsuite but not on a testcase, and no
// "skipped" attribute on <testsuites>; so per-case facts (feature, section,
// description, grade) are suite properties named "<case>.<fact>", and are
// repeated in the case's <system-out> for readers that show only that.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// junitSuite always carries tests, failures, errors, skipped and time, even
// when zero: strict consumers require them.
type junitSuite struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr,omitempty"`
	Properties *junitProps `xml:"properties,omitempty"`
	Cases      []junitCase `xml:"testcase"`
}

// junitCase's fields are in the order the schema's testcase sequence wants
// them: skipped, error, failure, system-out.
type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"` // the full reason, when it spans lines
}

// junitTime formats seconds with three decimals, as JUnit readers expect.
func junitTime(s float64) string {
	return strconv.FormatFloat(seconds(s), 'f', 3, 64)
}

// junitTimestamp is the JUnit schema's timestamp format (ISO 8601, no zone),
// rendered in UTC.
const junitTimestamp = "2006-01-02T15:04:05"

// JUnit renders r as a JUnit XML document: one testsuite per area and one
// testcase per spec, named by the spec's name alone so that rewording a
// description keeps the CI test history; areas and cases are sorted by
// name. Failed specs carry a <failure>, unsupported, skipped and invalid
// specs a <skipped>; a configuration error, or a spec with an unrecognised
// verdict, is reported as an <error>. A NON-STRICT pass has the suite
// property "<case>.grade" = "non-strict" and its reason in <system-out>. All
// counts are computed from r.Specs, not from r.Summary.
func JUnit(r *Report) ([]byte, error) {
	doc := junitSuites{Name: "gatecheck", Time: junitTime(runSeconds(r))}
	var stamp string
	if !r.StartedAt.IsZero() {
		stamp = r.StartedAt.UTC().Format(junitTimestamp)
	}
	for _, g := range groupByArea(r.Specs) {
		t := count(g.Specs)
		suite := junitSuite{
			Name:      g.Name,
			Tests:     t.Total,
			Failures:  t.Failed,
			Errors:    t.Other + t.ConfigErrors,
			Skipped:   t.Unsupported + t.Skipped + t.Invalid,
			Time:      junitTime(t.Seconds),
			Timestamp: stamp,
		}
		var props []junitProp
		for _, sp := range g.Specs {
			suite.Cases = append(suite.Cases, junitTestCase(g.Name, sp))
			props = append(props, caseProperties(sp)...)
		}
		if len(props) > 0 {
			suite.Properties = &junitProps{Props: props}
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	if r.RunError != nil {
		doc.Suites = append(doc.Suites, junitRunErrorSuite(r.RunError, stamp))
		doc.Tests++
		doc.Errors++
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	out := append([]byte(xml.Header), b...)
	return append(out, '\n'), nil
}

// caseProperties are the suite properties describing one case: its
// feature, section, description and grade, each present only when known.
func caseProperties(sp Spec) []junitProp {
	var props []junitProp
	add := func(fact, value string) {
		if value = strings.TrimSpace(value); value != "" {
			props = append(props, junitProp{Name: sp.Name + "." + fact, Value: value})
		}
	}
	add("feature", sp.Feature)
	add("section", sp.Section)
	add("description", strings.Join(lines(sp.Description), " "))
	add("grade", strings.ToLower(string(sp.Grade)))
	return props
}

// caseSystemOut is what a reader showing only a case's output needs: the
// behaviour checked, where it is specified, and a NON-STRICT grade's reason.
func caseSystemOut(sp Spec) string {
	var out []string
	if d := strings.Join(lines(sp.Description), " "); d != "" {
		out = append(out, d)
	}
	var where []string
	for _, s := range []string{sp.Section, sp.Feature} {
		if s != "" {
			where = append(where, s)
		}
	}
	if len(where) > 0 {
		out = append(out, "("+strings.Join(where, ", ")+")")
	}
	if isNonStrict(sp) {
		out = append(out, "grade: NON-STRICT")
		if l := lines(sp.Reason); len(l) > 0 {
			out = append(out, l...)
		}
	}
	return strings.Join(out, "\n")
}

func junitTestCase(area string, sp Spec) junitCase {
	c := junitCase{
		Name:      sp.Name,
		Classname: "gatecheck." + area,
		Time:      junitTime(sp.DurationSeconds),
		SystemOut: caseSystemOut(sp),
	}
	reason := plain(sp.Reason)
	switch sp.Verdict {
	case Passed:
	case Failed:
		msg := FirstLine(reason)
		if msg == "" {
			msg = "failed"
		}
		body := strings.TrimRight(reason, "\n")
		if sp.Location != "" {
			if body != "" {
				body += "\n\n"
			}
			body += sp.Location
		}
		c.Failure = &junitProblem{Message: msg, Type: "conformance", Body: body}
	case Unsupported:
		why := FirstLine(reason)
		if why == "" {
			why = "profile does not claim feature " + strconv.Quote(sp.Feature)
		}
		c.Skipped = &junitSkipped{Message: "unsupported: " + why, Body: multiline(reason)}
	case Skipped:
		why := FirstLine(reason)
		if why == "" {
			why = "skipped"
		}
		c.Skipped = &junitSkipped{Message: why, Body: multiline(reason)}
	case Invalid:
		c.Skipped = &junitSkipped{Message: "invalid: " + FirstLine(reason), Body: multiline(reason)}
	case ConfigError:
		// JUnit's <error>: the test could not run, which is not a failure.
		c.Error = &junitProblem{Message: "configuration error: " + FirstLine(reason), Type: "configuration", Body: strings.TrimRight(reason, "\n")}
	default:
		c.Error = &junitProblem{
			Message: fmt.Sprintf("unrecognised verdict %q in report", sp.Verdict),
			Type:    "report",
			Body:    strings.TrimRight(reason, "\n"),
		}
	}
	return c
}

// WriteJUnit writes JUnit(r) to path.
func (r *Report) WriteJUnit(path string) error {
	b, err := JUnit(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// multiline returns the reason when it has more than one line, else "" (the
// message attribute already holds it).
func multiline(reason string) string {
	if l := lines(reason); len(l) > 1 {
		return strings.Join(l, "\n")
	}
	return ""
}
