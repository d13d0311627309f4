package reports

import (
	"bytes"
	"encoding/json"
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
		"AREA":     {"AREA", "PASSED", "NON-STRICT", "FAILED", "UNSUPPORTED", "SKIPPED", "TIME"},
		"timeouts": {"timeouts", "1", "0", "1", "0", "0", "1.7s"},
		"auth":     {"auth", "1", "0", "0", "2", "1", "102ms"},
		"TOTAL":    {"TOTAL", "2", "0", "1", "2", "1", "3.2s"},
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
