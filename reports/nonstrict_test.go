package reports

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// nonStrictReport has one NON-STRICT pass among OK passes, listed in the
// shuffled order Ginkgo gives.
func nonStrictReport() *Report {
	r := sampleReport()
	r.Specs[0].Verdict = Passed // no failures: NON-STRICT must show on its own
	r.Specs[0].Grade = GradeOK
	r.Specs = append(r.Specs, Spec{Name: "HeaderCase", Area: "headers", Feature: "headers", Section: "§3.1",
		Description: "header names keep their case", Verdict: Passed, Grade: GradeNonStrict,
		Reason: "profile declares lower-cased headers <h2>\nAWS keeps the case"})
	r.Summarize()
	return r
}

func TestJUnitNonStrict(t *testing.T) {
	b := must(JUnit(nonStrictReport()))
	doc := parseJUnit(t, b)
	var found bool
	for _, s := range doc.Suites {
		if s.Name != "headers" {
			continue
		}
		for _, p := range s.Properties {
			if p.Name == "HeaderCase.grade" && p.Value == "non-strict" {
				found = true
			}
		}
		if len(s.Cases) != 1 || s.Cases[0].Failure != nil || s.Cases[0].Skipped != nil {
			t.Fatalf("headers suite cases = %+v", s.Cases)
		}
		want := "header names keep their case\n(§3.1, headers)\ngrade: NON-STRICT\nprofile declares lower-cased headers <h2>\nAWS keeps the case"
		if got := s.Cases[0].SystemOut; got != want {
			t.Errorf("NON-STRICT system-out = %q, want %q", got, want)
		}
	}
	if !found {
		t.Errorf("no HeaderCase.grade=non-strict property:\n%s", b)
	}
	// An OK pass says nothing of a grade in its output.
	if strings.Count(string(b), "NON-STRICT") != 1 {
		t.Errorf("NON-STRICT appears %d times, want once (the one case's system-out)", strings.Count(string(b), "NON-STRICT"))
	}
}

func TestMarkdownNonStrict(t *testing.T) {
	md := string(Markdown(nonStrictReport()))
	for _, want := range []string{
		"| headers | 1 | 1 | 0 | 0 | 0 |",
		"| **Total** | **4** | **1** | **0** |",
		"\n## NON-STRICT passes\n",
		"| headers/HeaderCase | headers | §3.1 | profile declares lower-cased headers &lt;h2&gt;<br>AWS keeps the case |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if md := string(Markdown(sampleReport())); strings.Contains(md, "NON-STRICT passes") {
		t.Error("a report without NON-STRICT grades has a NON-STRICT section")
	}
}

func TestHTMLNonStrict(t *testing.T) {
	page := string(must(HTML(nonStrictReport())))
	if !strings.Contains(page, `<h2 id="non-strict">NON-STRICT passes</h2>`) ||
		!strings.Contains(page, `<td class="v-non-strict">headers/HeaderCase</td>`) ||
		!strings.Contains(page, "lower-cased headers &lt;h2&gt;") {
		t.Errorf("no NON-STRICT section listing HeaderCase with its reason:\n%s", page)
	}
	// In the table of all specs, the NON-STRICT pass is not styled as OK.
	if !strings.Contains(page, `<td class="v-non-strict">passed (NON-STRICT)</td>`) {
		t.Error("NON-STRICT pass not styled v-non-strict in the spec table")
	}
	// Its colour is its own, not the OK green.
	colour := func(class string) string {
		i := strings.Index(page, "."+class+" {")
		if i < 0 {
			t.Fatalf("no CSS rule for .%s", class)
		}
		rule := page[i:]
		j := strings.Index(rule, "color:")
		return strings.Fields(rule[j+len("color:"):])[0]
	}
	if ok, ns := colour("v-passed"), colour("v-non-strict"); ok == ns {
		t.Errorf("NON-STRICT colour %s is OK's colour", ns)
	}
}

// TestStableOrder: the same specs in another order give byte-identical
// JUnit, Markdown, HTML and terminal output, and failures are listed by
// area and name.
func TestStableOrder(t *testing.T) {
	a := everyVerdictReport()
	b := everyVerdictReport()
	slices.Reverse(b.Specs)
	if bytes.Equal(must(json.Marshal(a)), must(json.Marshal(b))) {
		t.Fatal("reversing the specs did not change the report; the test proves nothing")
	}
	if !bytes.Equal(must(JUnit(a)), must(JUnit(b))) {
		t.Error("JUnit depends on spec order")
	}
	if !bytes.Equal(Markdown(a), Markdown(b)) {
		t.Error("Markdown depends on spec order")
	}
	if !bytes.Equal(must(HTML(a)), must(HTML(b))) {
		t.Error("HTML depends on spec order")
	}
	if summaryOf(a) != summaryOf(b) {
		t.Error("terminal summary depends on spec order")
	}

	r := &Report{Specs: []Spec{
		{Name: "Zed", Area: "b", Verdict: Failed, Reason: "z"},
		{Name: "Alpha", Area: "b", Verdict: Failed, Reason: "a"},
		{Name: "Mid", Area: "a", Verdict: Failed, Reason: "m"},
	}}
	out := summaryOf(r)
	if !(strings.Index(out, "FAIL a/Mid") < strings.Index(out, "FAIL b/Alpha") && strings.Index(out, "FAIL b/Alpha") < strings.Index(out, "FAIL b/Zed")) {
		t.Errorf("FAIL blocks not sorted by area and name:\n%s", out)
	}
	md := string(Markdown(r))
	if !(strings.Index(md, "| a/Mid ") < strings.Index(md, "| b/Alpha ") && strings.Index(md, "| b/Alpha ") < strings.Index(md, "| b/Zed ")) {
		t.Errorf("markdown failures not sorted:\n%s", md)
	}
}

func comparisonOf(base, other *Report) (string, []Difference) {
	diffs := Compare(base, other)
	var b strings.Builder
	WriteComparison(&b, ComparedReport{File: "old/report.json", Report: base}, ComparedReport{File: "new/report.json", Report: other}, diffs)
	return b.String(), diffs
}

func TestCompareGradesAndReasons(t *testing.T) {
	base := nonStrictReport()
	base.Specs[len(base.Specs)-1].Grade = GradeOK // HeaderCase was OK
	base.Specs[len(base.Specs)-1].Reason = ""
	other := nonStrictReport()
	other.StartedAt = base.StartedAt.Add(time.Hour)
	other.Specs[1].Verdict = Failed // auth/JWTMissing
	other.Specs[1].Grade = GradeFailed
	other.Specs[1].Reason = "got 200\nwant 401"

	out, diffs := comparisonOf(base, other)
	t.Log("\n" + out)
	if len(diffs) != 2 {
		t.Fatalf("%d differences, want 2 (a verdict change and a grade change): %+v", len(diffs), diffs)
	}
	for _, want := range []string{
		"base: old/report.json (started 2025-03-04T05:06:07Z), profile reference (http://127.0.0.1:8080)\n",
		"new:  new/report.json (started 2025-03-04T06:06:07Z), profile reference (http://127.0.0.1:8080)\n",
		"2 spec(s) differ: 1 verdict change(s), 1 grade change(s)\n",
		"AREA     SPEC        BASE    NEW\n",
		"auth     JWTMissing  passed  failed\n",
		"headers  HeaderCase  passed  passed (NON-STRICT)\n",
		"\nauth/JWTMissing\n  new (failed): got 200\n    want 401\n",
		"\nheaders/HeaderCase\n  new (passed (NON-STRICT)): profile declares lower-cased headers <h2>\n    AWS keeps the case\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q", want)
		}
	}

	// Reports written before grades were recorded: an OK pass without a
	// grade is the same as one with it, and a changed reason alone is no
	// difference.
	old := sampleReport()
	now := sampleReport()
	for i := range now.Specs {
		now.Specs[i].Grade = effectiveGrade(now.Specs[i])
	}
	now.Specs[0].Reason = "expected status 504, got 502"
	if out, diffs := comparisonOf(old, now); len(diffs) != 0 || !strings.Contains(out, "0 spec(s) differ") {
		t.Errorf("grade-less and graded copies of a report differ: %+v\n%s", diffs, out)
	}

	// A spec only one side has.
	gone := sampleReport()
	gone.Specs = gone.Specs[1:]
	out, diffs = comparisonOf(sampleReport(), gone)
	if len(diffs) != 1 || !strings.Contains(out, "timeouts  IntegrationTimeoutExceeded  failed  (absent)") {
		t.Errorf("absent spec: %+v\n%s", diffs, out)
	}
}

// A baseline regression fails the gate (exit 4) even when every spec
// passed: the verdict lines must not say PASSED.
func TestBaselineRegressionIsNotPassed(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Specs: []Spec{{Name: "A", Area: "a", Verdict: Passed}},
		Baseline: &BaselineComparison{Regressions: []string{"LatencyOverhead gateway p50: 6.8ms against 0.8ms"}}}
	r.Summarize()
	var sum strings.Builder
	WriteSummary(&sum, r)
	if s := sum.String(); !strings.Contains(s, "gatecheck: GATE FAILED") || strings.Contains(s, "gatecheck: PASSED") {
		t.Errorf("summary:\n%s", s)
	}
	if md := string(Markdown(r)); !strings.Contains(md, "# ❌ gatecheck: GATE FAILED") {
		t.Errorf("markdown:\n%s", md)
	}
	page, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	if h := string(page); !strings.Contains(h, `class="banner failed"`) || !strings.Contains(h, "GATE FAILED") || strings.Contains(h, "gatecheck: PASSED") {
		t.Errorf("html banner does not show the gate failure")
	}
}

// compare's metric table names each metric with base, new, ratio and what
// the comparison's rule made of it.
func TestWriteMetricDeltas(t *testing.T) {
	var b strings.Builder
	WriteMetricDeltas(&b, &BaselineComparison{Method: "rule", Metrics: []BaselineMetric{
		{Scenario: "LatencyOverhead", Attack: "gateway 200", Quantile: 0.5, Base: 0.0008, New: 0.0068, Ratio: 8.5, Judged: true, Regressed: true},
		{Scenario: "LatencyOverhead", Attack: "gateway 200", Quantile: 0.99, Base: 0.001, New: 0.001, Ratio: 1, Note: "too few samples"},
		{Scenario: "CacheHitRatioUnderLoad", Attack: "zipf 200", Quantile: 0.99, Base: 0.001, New: 0.001, Ratio: 1, Note: "not judged: 400 samples bound no p99"},
	}, Skipped: []string{"X: not in the baseline run"}})
	out := b.String()
	if strings.Contains(out, "not judged: not judged") {
		t.Errorf("a note that says it already is repeated:\n%s", out)
	}
	for _, want := range []string{"Scenario metrics (rule)", "LatencyOverhead", "p50", "800µs", "6.8ms", "×8.50", "REGRESSED", "not judged: too few samples", "not compared: X: not in the baseline run"} {
		if !strings.Contains(out, want) {
			t.Errorf("metric table lacks %q:\n%s", want, out)
		}
	}
}

// The terminal table counts NON-STRICT passes per area and in total, as
// the Markdown and HTML tables do.
func TestSummaryNonStrictColumn(t *testing.T) {
	out := summaryOf(nonStrictReport())
	rows := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	if h := rows["AREA"]; len(h) < 3 || h[2] != "NON-STRICT" {
		t.Fatalf("header = %q, want NON-STRICT third", h)
	}
	if r := rows["headers"]; len(r) < 3 || r[1] != "1" || r[2] != "1" {
		t.Errorf("headers row = %q, want 1 passed, 1 of them NON-STRICT", r)
	}
	if r := rows["TOTAL"]; len(r) < 3 || r[2] != "1" {
		t.Errorf("TOTAL row = %q, want 1 NON-STRICT", r)
	}
}
