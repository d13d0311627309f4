package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nastyReason exercises XML and Markdown escaping: angle brackets, ampersand,
// both quote kinds, a pipe, a second line and an ANSI colour sequence.
const nastyReason = "expected status <504> & got \"200\" | 'ok'\n\x1b[31mbody: a|b\x1b[0m"

func sampleReport() *Report {
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	r := &Report{
		SchemaVersion:   SchemaVersion,
		Tool:            Tool{Name: "gatecheck", Version: "v0.3.0"},
		Profile:         Profile{Name: "reference", Source: "embedded:reference", Embedded: true, Target: "http://127.0.0.1:8080", Features: []string{"integration-timeout", "jwt"}},
		StartedAt:       start,
		FinishedAt:      start.Add(3200 * time.Millisecond),
		DurationSeconds: 3.2,
		LabelFilter:     "!slow",
		Specs: []Spec{
			{Name: "IntegrationTimeoutExceeded", Area: "timeouts", Feature: "integration-timeout", Section: "§1.1", Description: "a slow integration yields 504", Verdict: Failed, Reason: nastyReason, Location: "conformance/timeouts.go:42", DurationSeconds: 1.23456},
			{Name: "JWTMissing", Area: "auth", Feature: "jwt", Section: "§2.1", Description: "a missing token yields 401", Verdict: Passed, DurationSeconds: 0.1},
			{Name: "IntegrationTimeoutWithin", Area: "timeouts", Feature: "integration-timeout", Section: "§1.2", Description: "a fast integration succeeds", Verdict: Passed, DurationSeconds: 0.5},
			{Name: "JWTScopes", Area: "auth", Feature: "jwt-scopes", Section: "§2.3", Description: "a token without the scope yields 403", Verdict: Unsupported, Reason: "profile does not claim jwt-scopes", DurationSeconds: 0},
			{Name: "JWTScopesMulti", Area: "auth", Feature: "jwt-scopes", Section: "§2.4", Description: "any of several scopes is enough", Verdict: Unsupported, Reason: "another reason, not shown", DurationSeconds: 0},
			{Name: "JWTClockSkew", Area: "auth", Feature: "jwt", Section: "§2.5", Description: "small clock skew is tolerated", Verdict: Skipped, Reason: "profile lacks sub-capability jwt.clock-skew", DurationSeconds: 0.002},
		},
	}
	r.Summarize()
	return r
}

func TestSummarize(t *testing.T) {
	r := sampleReport()
	want := Summary{Total: 6, Passed: 2, Failed: 1, Unsupported: 2, Skipped: 1, Verdict: Failed}
	if r.Summary != want {
		t.Fatalf("Summarize = %+v, want %+v", r.Summary, want)
	}
	r.Specs[0].Verdict = Passed
	r.Summarize()
	want = Summary{Total: 6, Passed: 3, Failed: 0, Unsupported: 2, Skipped: 1, Verdict: Passed}
	if r.Summary != want {
		t.Fatalf("Summarize after fixing the failure = %+v, want %+v", r.Summary, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	path := filepath.Join(t.TempDir(), "report.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip changed the report:\n got %+v\nwant %+v", got, r)
	}
	// The file is the documented shape.
	var raw map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["schemaVersion"] != SchemaVersion {
		t.Errorf("schemaVersion in file = %v", raw["schemaVersion"])
	}
	if s, ok := raw["summary"].(map[string]any); !ok || s["failed"] != float64(1) || s["verdict"] != "failed" {
		t.Errorf("summary in file = %v", raw["summary"])
	}
}

func TestReadJSONRejectsOtherSchema(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	r.SchemaVersion = "gatecheck.report/v0"
	old := filepath.Join(dir, "old.json")
	if err := r.WriteJSON(old); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(old); err == nil || !strings.Contains(err.Error(), `"gatecheck.report/v0" is not supported`) {
		t.Fatalf("ReadJSON(v0) error = %v, want unsupported schemaVersion", err)
	}

	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("<xml/>"), 0o644)
	if _, err := ReadJSON(garbage); err == nil || !strings.Contains(err.Error(), "not a gatecheck report") {
		t.Fatalf("ReadJSON(garbage) error = %v", err)
	}
	if _, err := ReadJSON(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("ReadJSON(missing) succeeded")
	}
}

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

func summaryOf(r *Report) string {
	var b strings.Builder
	WriteSummary(&b, r)
	return b.String()
}

func TestSummary(t *testing.T) {
	r := sampleReport()
	before := *r
	out := summaryOf(r)
	if !reflect.DeepEqual(before, *r) {
		t.Error("WriteSummary modified the report")
	}
	t.Log("\n" + out)

	rows := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 {
			rows[f[0]] = f
		}
	}
	for name, want := range map[string][]string{
		"AREA":     {"AREA", "PASSED", "FAILED", "UNSUPPORTED", "SKIPPED", "TIME"},
		"timeouts": {"timeouts", "1", "1", "0", "0", "1.7s"},
		"auth":     {"auth", "1", "0", "2", "1", "102ms"},
		"TOTAL":    {"TOTAL", "2", "1", "2", "1", "3.2s"},
	} {
		if !reflect.DeepEqual(rows[name], want) {
			t.Errorf("row %s = %q, want %q", name, rows[name], want)
		}
	}
	// Areas sorted by name (Ginkgo shuffles the specs), header first.
	if !(strings.Index(out, "AREA") < strings.Index(out, "auth ") && strings.Index(out, "auth ") < strings.Index(out, "timeouts ")) {
		t.Error("table rows out of order")
	}

	wantBlock := "FAIL timeouts/IntegrationTimeoutExceeded [integration-timeout, §1.1]\n" +
		"    expected status <504> & got \"200\" | 'ok'\n" +
		"    body: a|b\n" +
		"    at conformance/timeouts.go:42\n"
	if !strings.Contains(out, wantBlock) {
		t.Errorf("FAIL block missing; want\n%s", wantBlock)
	}
	if !strings.Contains(out, "\nunsupported: jwt-scopes (2 specs) — profile does not claim jwt-scopes\n") {
		t.Error("unsupported feature line missing or not deduplicated")
	}
	if n := strings.Count(out, "unsupported: jwt-scopes"); n != 1 {
		t.Errorf("jwt-scopes listed %d times", n)
	}
	wantVerdict := "gatecheck: FAILED (1 failed, 2 passed, 2 unsupported, 1 skipped) in 3.2s against reference (http://127.0.0.1:8080)\n"
	if !strings.HasSuffix(out, wantVerdict) {
		t.Errorf("verdict line: want suffix %q", wantVerdict)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("summary contains ANSI escapes")
	}
}

func TestSummaryPassedAndTruncation(t *testing.T) {
	r := sampleReport()
	r.Specs[0].Verdict = Passed
	r.Specs = r.Specs[:4] // drop the second unsupported and the skipped spec
	r.Summarize()
	out := summaryOf(r)
	want := "gatecheck: PASSED (3 passed, 1 unsupported) in 3.2s against reference (http://127.0.0.1:8080)\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("summary ends %q, want %q", out[strings.LastIndex(out[:len(out)-1], "\n")+1:], want)
	}
	if strings.Contains(out, "FAIL ") {
		t.Error("passing run has a FAIL block")
	}
	if !strings.Contains(out, "unsupported: jwt-scopes (1 spec) — ") {
		t.Error("singular unsupported line missing")
	}

	var long []string
	for i := 1; i <= 15; i++ {
		long = append(long, "line "+string(rune('a'+i-1)))
	}
	r = &Report{Specs: []Spec{{Name: "Long", Area: "x", Feature: "f", Section: "§9", Verdict: Failed, Reason: strings.Join(long, "\n")}}}
	out = summaryOf(r)
	if !strings.Contains(out, "    line j\n    ... (5 more lines)\n") || strings.Contains(out, "line k") {
		t.Errorf("reason not cut at 10 lines:\n%s", out)
	}
	if !strings.HasSuffix(out, "gatecheck: FAILED (1 failed, 0 passed, 0 unsupported) in 0s against unknown target\n") {
		t.Errorf("verdict line without profile:\n%s", out)
	}
}

func TestMarkdown(t *testing.T) {
	r := sampleReport()
	md := string(Markdown(r))
	t.Log("\n" + md)

	if !strings.HasPrefix(md, "# ❌ gatecheck: FAILED\n") {
		t.Errorf("title: %q", strings.SplitN(md, "\n", 2)[0])
	}
	for _, want := range []string{
		"**Profile:** reference · **Target:** http://127.0.0.1:8080 · **Tool:** gatecheck v0.3.0 · **Duration:** 3.2s",
		"| Area | Passed | Non-strict | Failed | Unsupported | Skipped | Time |\n",
		"| auth | 1 | 0 | 0 | 2 | 1 | 102ms |\n| timeouts | 1 | 0 | 1 | 0 | 0 | 1.7s |\n", // sorted by area
		"| **Total** | **2** | **0** | **1** | **2** | **1** | **3.2s** |\n",
		"- **jwt-scopes** (2 specs): profile does not claim jwt-scopes\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}

	var row string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| timeouts/IntegrationTimeoutExceeded ") {
			row = l
		}
	}
	wantRow := `| timeouts/IntegrationTimeoutExceeded | integration-timeout | §1.1 | ` +
		`expected status &lt;504&gt; &amp; got "200" \| 'ok'<br>body: a\|b<br>at conformance/timeouts.go:42 |`
	if row != wantRow {
		t.Errorf("failure row\n got %s\nwant %s", row, wantRow)
	}
	// The row has exactly 4 cells once escaped pipes are ignored.
	if cells := len(regexp.MustCompile(`(?:^|[^\\])\|`).FindAllString(row, -1)) - 1; cells != 4 {
		t.Errorf("failure row splits into %d cells, want 4", cells)
	}
	if strings.Contains(md, "\x1b") {
		t.Error("markdown contains ANSI escapes")
	}

	r.Specs[0].Verdict = Passed
	r.Summarize()
	md = string(Markdown(r))
	if !strings.HasPrefix(md, "# ✅ gatecheck: PASSED\n") || strings.Contains(md, "## Failures") {
		t.Errorf("passing markdown:\n%s", md)
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":        `a\|b`,
		`a\|b`:       `a\\\|b`,
		"x\r\ny":     "x<br>y",
		"<b>&*_`[]~": "&lt;b&gt;&amp;\\*\\_\\`\\[\\]\\~",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteAll(t *testing.T) {
	r := sampleReport()
	dir := filepath.Join(t.TempDir(), "out", "nested")
	paths, err := r.WriteAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"json":     filepath.Join(dir, "report.json"),
		"junit":    filepath.Join(dir, "junit.xml"),
		"markdown": filepath.Join(dir, "summary.md"),
		"html":     filepath.Join(dir, "report.html"),
	}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("WriteAll = %v, want %v", paths, want)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o755&^currentUmask() {
		t.Errorf("dir mode = %v, %v", st.Mode().Perm(), err)
	}
	back, err := ReadJSON(paths["json"])
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Fatalf("report.json does not round-trip: %v", err)
	}
	// Re-rendering from the re-read JSON gives byte-identical derived files.
	junit, _ := os.ReadFile(paths["junit"])
	if !bytes.Equal(junit, must(JUnit(back))) {
		t.Error("junit.xml differs from JUnit(ReadJSON(report.json))")
	}
	md, _ := os.ReadFile(paths["markdown"])
	if !bytes.Equal(md, Markdown(back)) {
		t.Error("summary.md differs from Markdown(ReadJSON(report.json))")
	}
	if parseJUnit(t, junit).Failures != 1 {
		t.Error("junit.xml failure count wrong")
	}

	// A file where the directory should be is an error.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := r.WriteAll(blocker); err == nil {
		t.Error("WriteAll into a regular file succeeded")
	}
}

// currentUmask reports the process umask by creating a probe directory.
func currentUmask() os.FileMode {
	dir, err := os.MkdirTemp("", "umask")
	if err != nil {
		return 0o022
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "probe")
	if err := os.Mkdir(p, 0o777); err != nil {
		return 0o022
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0o022
	}
	return 0o777 &^ st.Mode().Perm()
}
