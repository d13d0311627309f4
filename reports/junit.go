package reports

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// JUnit XML document. The element and attribute names follow the de-facto
// schema read by Jenkins, GitLab and GitHub test reporters; properties on a
// testcase are a widely accepted extension.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr,omitempty"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr,omitempty"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string        `xml:"name,attr"`
	Classname  string        `xml:"classname,attr"`
	Time       string        `xml:"time,attr"`
	Properties *junitProps   `xml:"properties,omitempty"`
	Failure    *junitProblem `xml:"failure,omitempty"`
	Error      *junitProblem `xml:"error,omitempty"`
	Skipped    *junitSkipped `xml:"skipped,omitempty"`
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

// caseName is "<Name>: <Description> (<Section>)", dropping empty parts.
func caseName(sp Spec) string {
	n := sp.Name
	if d := strings.TrimSpace(sp.Description); d != "" {
		n += ": " + d
	}
	if sp.Section != "" {
		n += " (" + sp.Section + ")"
	}
	return n
}

// JUnit renders r as a JUnit XML document: one testsuite per area (in
// first-seen order) and one testcase per spec. Failed specs carry a
// <failure>, unsupported, skipped and invalid specs a <skipped>; a
// configuration error, or a spec with an unrecognised verdict, is reported
// as an <error>. All counts are computed from r.Specs, not from r.Summary.
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
		for _, sp := range g.Specs {
			suite.Cases = append(suite.Cases, junitTestCase(g.Name, sp))
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
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

func junitTestCase(area string, sp Spec) junitCase {
	c := junitCase{
		Name:      caseName(sp),
		Classname: "gatecheck." + area,
		Time:      junitTime(sp.DurationSeconds),
		Properties: &junitProps{Props: []junitProp{
			{Name: "feature", Value: sp.Feature},
			{Name: "section", Value: sp.Section},
		}},
	}
	reason := plain(sp.Reason)
	switch sp.Verdict {
	case Passed:
	case Failed:
		msg := firstLine(reason)
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
		why := firstLine(reason)
		if why == "" {
			why = "profile does not claim feature " + strconv.Quote(sp.Feature)
		}
		c.Skipped = &junitSkipped{Message: "unsupported: " + why, Body: multiline(reason)}
	case Skipped:
		why := firstLine(reason)
		if why == "" {
			why = "skipped"
		}
		c.Skipped = &junitSkipped{Message: why, Body: multiline(reason)}
	case Invalid:
		c.Skipped = &junitSkipped{Message: "invalid: " + firstLine(reason), Body: multiline(reason)}
	case ConfigError:
		// JUnit's <error>: the test could not run, which is not a failure.
		c.Error = &junitProblem{Message: "configuration error: " + firstLine(reason), Type: "configuration", Body: strings.TrimRight(reason, "\n")}
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
