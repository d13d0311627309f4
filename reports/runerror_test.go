package reports

import (
	"encoding/xml"
	"strings"
	"testing"
)

// A run that stopped before its specs ran must not read as passed in any
// format, and each must carry the cause and the field to fix.
func TestRunErrorShownInEveryFormat(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Profile: Profile{Name: "gone"}, Specs: []Spec{},
		RunError: &RunError{Kind: "unreachable", Message: "the gateway at http://127.0.0.1:1/test is unreachable: connection refused", Field: "target.restURL"}}
	r.Summarize()
	if r.Summary.Verdict != Errored {
		t.Fatalf("summary verdict %q, want %q", r.Summary.Verdict, Errored)
	}

	b, err := JUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Errors != 1 || doc.Tests != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 {
		t.Fatalf("junit: want one errored case, got:\n%s", b)
	}
	e := doc.Suites[0].Cases[0].Error
	if e == nil || e.Type != "unreachable" || !strings.Contains(e.Message, "connection refused") || !strings.Contains(e.Message, "target.restURL") {
		t.Fatalf("junit error element: %+v", e)
	}

	md := string(Markdown(r))
	if !strings.HasPrefix(md, "# ⛔ gatecheck: ERROR") || !strings.Contains(md, "connection refused") || !strings.Contains(md, "`target.restURL`") {
		t.Errorf("markdown:\n%s", md)
	}
	page, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	if h := string(page); !strings.Contains(h, `class="banner error"`) || !strings.Contains(h, "gatecheck: ERROR") || !strings.Contains(h, "<code>target.restURL</code>") || strings.Contains(h, "PASSED") {
		t.Errorf("html:\n%s", h)
	}
	var sum strings.Builder
	WriteSummary(&sum, r)
	if s := sum.String(); !strings.Contains(s, "gatecheck: ERROR") || !strings.Contains(s, "fix the profile field target.restURL") || strings.Contains(s, "gatecheck: PASSED") {
		t.Errorf("terminal summary:\n%s", s)
	}
}
