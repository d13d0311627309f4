package reports

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"regexp"
	"testing"
)

// Independent decoding types, so the test checks the XML, not our structs.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Time       string `xml:"time,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			SystemOut string `xml:"system-out"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, b []byte) xSuites {
	t.Helper()
	var doc xSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, b)
	}
	return doc
}

func TestJUnit(t *testing.T) {
	r := sampleReport()
	b, err := JUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("missing XML header: %.60s", b)
	}
	doc := parseJUnit(t, b)

	if doc.Name != "gatecheck" || doc.Tests != 6 || doc.Failures != 1 || doc.Errors != 0 || doc.Time != "3.200" {
		t.Errorf("testsuites = name %q tests %d failures %d errors %d time %q; want gatecheck 6 1 0 3.200",
			doc.Name, doc.Tests, doc.Failures, doc.Errors, doc.Time)
	}
	// junit-10.xsd has no skipped attribute on <testsuites>.
	if bytes.Contains(b, []byte("<testsuites name=\"gatecheck\" tests=\"6\" failures=\"1\" errors=\"0\" time=\"3.200\">")) == false {
		t.Errorf("testsuites element is not exactly name, tests, failures, errors, time:\n%s", b)
	}
	if len(doc.Suites) != 2 {
		t.Fatalf("got %d suites, want 2", len(doc.Suites))
	}
	type counts struct {
		name                     string
		tests, failures, skipped int
		time                     string
	}
	// Suites sorted by area name, whatever the report order.
	want := []counts{
		{"auth", 4, 0, 3, "0.102"},
		{"timeouts", 2, 1, 0, "1.735"},
	}
	for i, s := range doc.Suites {
		got := counts{s.Name, s.Tests, s.Failures, s.Skipped, s.Time}
		if got != want[i] {
			t.Errorf("suite %d = %+v, want %+v", i, got, want[i])
		}
		if len(s.Cases) != s.Tests {
			t.Errorf("suite %s: %d testcases, tests=%d", s.Name, len(s.Cases), s.Tests)
		}
		if s.Timestamp != "2025-03-04T05:06:07" {
			t.Errorf("suite %s timestamp = %q", s.Name, s.Timestamp)
		}
		// Counted from the elements, not just the attributes.
		var failures, skipped int
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Skipped != nil {
				skipped++
			}
			if c.Classname != "gatecheck."+s.Name {
				t.Errorf("classname %q in suite %s", c.Classname, s.Name)
			}
			if !regexp.MustCompile(`^\d+\.\d{3}$`).MatchString(c.Time) {
				t.Errorf("testcase time %q is not seconds with 3 decimals", c.Time)
			}
		}
		if failures != s.Failures || skipped != s.Skipped {
			t.Errorf("suite %s: %d <failure> and %d <skipped> elements, attributes say %d and %d", s.Name, failures, skipped, s.Failures, s.Skipped)
		}
	}

	// Cases sorted by name; the name is the check's name alone.
	var names []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			names = append(names, c.Name)
		}
	}
	if want := []string{"JWTClockSkew", "JWTMissing", "JWTScopes", "JWTScopesMulti", "IntegrationTimeoutExceeded", "IntegrationTimeoutWithin"}; !reflect.DeepEqual(names, want) {
		t.Errorf("testcase names %q, want %q", names, want)
	}
	fail := doc.Suites[1].Cases[0]
	if fail.Name != "IntegrationTimeoutExceeded" {
		t.Errorf("testcase name = %q", fail.Name)
	}
	if fail.Time != "1.235" {
		t.Errorf("failed testcase time = %q, want 1.235", fail.Time)
	}
	if fail.Failure == nil {
		t.Fatal("failed spec has no <failure>")
	}
	// Escaping: <, &, both quotes and | survive the round trip exactly.
	if fail.Failure.Message != `expected status <504> & got "200" | 'ok'` {
		t.Errorf("failure message = %q", fail.Failure.Message)
	}
	if fail.Failure.Type != "conformance" {
		t.Errorf("failure type = %q", fail.Failure.Type)
	}
	wantBody := "expected status <504> & got \"200\" | 'ok'\nbody: a|b\n\nconformance/timeouts.go:42"
	if fail.Failure.Body != wantBody {
		t.Errorf("failure body = %q, want %q", fail.Failure.Body, wantBody)
	}
	// Description, section and feature are suite properties named after
	// the case, and readable in the case's system-out.
	props := map[string]string{}
	for _, p := range doc.Suites[1].Properties {
		props[p.Name] = p.Value
	}
	wantProps := map[string]string{
		"IntegrationTimeoutExceeded.feature":     "integration-timeout",
		"IntegrationTimeoutExceeded.section":     "§1.1",
		"IntegrationTimeoutExceeded.description": "a slow integration yields 504",
		"IntegrationTimeoutWithin.feature":       "integration-timeout",
		"IntegrationTimeoutWithin.section":       "§1.2",
		"IntegrationTimeoutWithin.description":   "a fast integration succeeds",
	}
	if !reflect.DeepEqual(props, wantProps) {
		t.Errorf("timeouts properties = %v, want %v", props, wantProps)
	}
	if fail.SystemOut != "a slow integration yields 504\n(§1.1, integration-timeout)" {
		t.Errorf("failed case system-out = %q", fail.SystemOut)
	}
	if pass := doc.Suites[1].Cases[1]; pass.Failure != nil || pass.Skipped != nil {
		t.Errorf("passed spec has a failure or skipped element")
	}

	auth := doc.Suites[0].Cases
	if auth[2].Skipped == nil || auth[2].Skipped.Message != "unsupported: profile does not claim jwt-scopes" {
		t.Errorf("unsupported skipped = %+v", auth[2].Skipped)
	}
	if auth[0].Skipped == nil || auth[0].Skipped.Message != "profile lacks sub-capability jwt.clock-skew" {
		t.Errorf("skipped skipped = %+v", auth[0].Skipped)
	}

	// The raw document escapes markup and carries no control characters.
	if bytes.Contains(b, []byte("<504>")) || !bytes.Contains(b, []byte("&lt;504&gt;")) || !bytes.Contains(b, []byte("&amp; got")) {
		t.Errorf("reason not escaped in XML:\n%s", b)
	}
	if bytes.ContainsAny(b, "\x1b") {
		t.Error("ANSI escape leaked into XML")
	}
}

func TestJUnitEmptyAndUnknownVerdict(t *testing.T) {
	b, err := JUnit(&Report{SchemaVersion: SchemaVersion})
	if err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, b)
	if doc.Tests != 0 || len(doc.Suites) != 0 || doc.Time != "0.000" {
		t.Errorf("empty report: %+v", doc)
	}

	r := &Report{Specs: []Spec{{Name: "X", Area: "a", Verdict: "exploded"}}}
	b, err = JUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`<error message="unrecognised verdict &#34;exploded&#34; in report"`)) || !bytes.Contains(b, []byte(`errors="1"`)) {
		t.Errorf("unknown verdict not reported as error:\n%s", b)
	}
}

func TestJUnitCountsFromSpecsNotSummary(t *testing.T) {
	r := sampleReport()
	r.Summary = Summary{Verdict: Passed} // stale
	doc := parseJUnit(t, must(JUnit(r)))
	if doc.Failures != 1 || doc.Tests != 6 {
		t.Errorf("counts taken from stale summary: tests %d failures %d", doc.Tests, doc.Failures)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
