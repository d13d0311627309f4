package matrix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/reports"
)

func report(name string, specs ...reports.Spec) *reports.Report {
	r := &reports.Report{SchemaVersion: reports.SchemaVersion, Profile: reports.Profile{Name: name, Source: name + ".yaml", Target: "http://127.0.0.1:1"},
		StartedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Specs: specs}
	r.Summarize()
	return r
}

func spec(area, name, feature string, v reports.Verdict, grade reports.Grade, reason string) reports.Spec {
	return reports.Spec{Area: area, Name: name, Feature: feature, Section: "§1", Description: name + " does it", Verdict: v, Grade: grade, Reason: reason}
}

func sample() *Matrix {
	ref := report("reference",
		spec("timeouts", "IntegrationTimeoutExceeded", "integration-timeout", reports.Passed, reports.GradeOK, ""),
		spec("cache", "CacheHitWithinTTL", "cache", reports.Passed, reports.GradeOK, ""),
		spec("errors", "UnknownPath", "gateway-responses", reports.Passed, reports.GradeOK, ""))
	peer := report("nginx",
		spec("timeouts", "IntegrationTimeoutExceeded", "integration-timeout", reports.Passed, reports.GradeNonStrict, "status 504 as AWS answers, with <html> of its own\nmore"),
		spec("cache", "CacheHitWithinTTL", "cache", reports.Failed, "", "the second GET is a miss | really"),
		spec("errors", "UnknownPath", "gateway-responses", reports.Unsupported, "", "profile does not claim gateway-responses"),
		spec("zeta", "OnlyHere", "zeta", reports.Skipped, "", "needs a route"))
	return Build([]Run{{Name: "reference", Report: ref}, {Name: "nginx", Report: peer}})
}

func TestBuildPutsRunsSideBySide(t *testing.T) {
	m := sample()
	if len(m.Gateways) != 2 || m.Gateways[0].Name != "reference" || m.Gateways[1].Name != "nginx" {
		t.Fatalf("gateways %+v", m.Gateways)
	}
	var names []string
	for _, r := range m.Rows {
		names = append(names, r.Area+"/"+r.Name)
	}
	if got := strings.Join(names, " "); got != "cache/CacheHitWithinTTL errors/UnknownPath timeouts/IntegrationTimeoutExceeded zeta/OnlyHere" {
		t.Fatalf("rows %s, want every spec of any run, by area and name", got)
	}
	want := map[string][2]Outcome{
		"CacheHitWithinTTL":          {OK, Failed},
		"UnknownPath":                {OK, Unsupported},
		"IntegrationTimeoutExceeded": {OK, NonStrict},
		"OnlyHere":                   {Absent, Skipped},
	}
	for _, r := range m.Rows {
		if w := want[r.Name]; r.Cells[0].Outcome != w[0] || r.Cells[1].Outcome != w[1] {
			t.Errorf("%s: %s / %s, want %s / %s", r.Name, r.Cells[0].Outcome, r.Cells[1].Outcome, w[0], w[1])
		}
		if r.Cells[0].Outcome == OK && r.Cells[0].Reason != "" {
			t.Errorf("%s: an OK cell carries a reason", r.Name)
		}
	}
	if c := m.Gateways[1].Counts; c[NonStrict] != 1 || c[Failed] != 1 || c[Unsupported] != 1 || c[Skipped] != 1 || c[OK] != 0 {
		t.Errorf("nginx counts %v", c)
	}
}

func TestViews(t *testing.T) {
	m := sample()
	md := string(Markdown(m))
	for _, want := range []string{
		"| **nginx** | `nginx.yaml` |",
		"| cache | 1 | all 1 OK | 1 FAILED |",
		"| gateway-responses | 1 | all 1 OK | unsupported |",
		"| timeouts | IntegrationTimeoutExceeded | integration-timeout | ✅ OK | 🔷 NON-STRICT [2] |",
		"1. nginx, CacheHitWithinTTL: the second GET is a miss \\| really",                                // escaped, first line only
		"2. nginx, IntegrationTimeoutExceeded: status 504 as AWS answers, with &lt;html&gt; of its own\n", // escaped: not rendered
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q:\n%s", want, md)
		}
	}
	page, err := HTML(m)
	if err != nil {
		t.Fatal(err)
	}
	h := string(page)
	for _, want := range []string{
		`<tr class="area"><th colspan="4">cache</th></tr>`,
		`<td class="cell o-non-strict" title="status 504 as AWS answers, with &lt;html&gt; of its own">NON-STRICT<sup><a href="#n2">2</a></sup></td>`,
		`<td class="cell o-unsupported" title="profile does not claim gateway-responses">UNSUPPORTED</td>`,
		`<li id="n1"><b>nginx</b>, CacheHitWithinTTL<pre>the second GET is a miss | really</pre></li>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("matrix.html lacks %q", want)
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "http://") && strings.Contains(h, "<link") {
		t.Error("matrix.html is not self-contained")
	}
}

func TestReadRunsAndWrite(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(report(name, spec("x", "S", "f", reports.Passed, reports.GradeOK, "")))
		if err := os.WriteFile(filepath.Join(dir, name, "report.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := ReadRuns([]string{filepath.Join(dir, "a"), "aws=" + filepath.Join(dir, "b", "report.json")})
	if err != nil || len(runs) != 2 || runs[0].Name != "a" || runs[1].Name != "aws" {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	// Every problem at once, each naming the argument and the fix.
	_, err = ReadRuns([]string{filepath.Join(dir, "missing"), filepath.Join(dir, "a"), filepath.Join(dir, "a")})
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "gatecheck run --out") || !strings.Contains(err.Error(), `a second column named "a"`) {
		t.Fatalf("error %v", err)
	}
	out := filepath.Join(dir, "matrix")
	if err := Write(out, Build(runs)); err != nil {
		t.Fatal(err)
	}
	m, err := Read(filepath.Join(out, "matrix.json"))
	if err != nil || len(m.Rows) != 1 || m.Rows[0].Cells[1].Outcome != OK {
		t.Fatalf("matrix.json read back: %+v, %v", m, err)
	}
	for _, f := range []string{"matrix.md", "matrix.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestDiffAgainstPinned(t *testing.T) {
	m := sample()
	got, err := ExpectedOf(m, "nginx")
	if err != nil || len(got.Specs) != 4 {
		t.Fatalf("%+v %v", got, err)
	}
	if d := Diff(m, "nginx", got); len(d) != 0 {
		t.Fatalf("a column differs from itself: %v", d)
	}
	pinned := &Expected{Gateway: "nginx", Specs: map[string]Outcome{
		"CacheHitWithinTTL": OK, "UnknownPath": Unsupported, "IntegrationTimeoutExceeded": NonStrict, "Renamed": OK,
	}}
	d := Diff(m, "nginx", pinned)
	want := []string{
		"nginx CacheHitWithinTTL: expected OK, got FAILED: the second GET is a miss | really",
		"nginx OnlyHere: SKIPPED, not pinned (a new spec? pin it: make matrix-pin)",
		"nginx Renamed: expected OK, but no run has the spec (renamed or removed? pin again: make matrix-pin)",
	}
	if strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(d, "\n"), strings.Join(want, "\n"))
	}
	path := filepath.Join(t.TempDir(), "expected.json")
	if err := WriteExpected(path, got); err != nil {
		t.Fatal(err)
	}
	back, err := ReadExpected(path)
	if err != nil || len(Diff(m, "nginx", back)) != 0 {
		t.Fatalf("pinned and read back: %+v %v", back, err)
	}
}

// The shipped peers' profiles load, name distinct loopback ports, and
// their configs and pinned expectations are in place.
func TestShippedPeers(t *testing.T) {
	root := filepath.Join("..")
	seen := map[string]string{}
	for _, p := range Peers {
		rest, noDefault, err := p.ListenAddrs(root)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		for _, a := range []string{rest, noDefault} {
			if !strings.HasPrefix(a, "127.0.0.1:") {
				t.Errorf("%s listens on %q, not loopback", p.Name, a)
			}
			if other, dup := seen[a]; dup {
				t.Errorf("%s and %s both listen on %s", p.Name, other, a)
			}
			seen[a] = p.Name
		}
		for _, f := range []string{p.Config, "expected.json"} {
			if _, err := os.Stat(filepath.Join(p.Dir(root), f)); err != nil {
				t.Errorf("%s: %v", p.Name, err)
			}
		}
	}
	for _, a := range []string{FixtureAddr, ReferenceRESTAddr, ReferenceWebSocketAddr, ReferenceNoDefaultAddr} {
		if other, dup := seen[a]; dup {
			t.Errorf("%s listens on the matrix's own %s", other, a)
		}
	}
}

// A pin may admit several outcomes where the gateway itself is not
// deterministic; a re-pin keeps such a pin while it still holds.
func TestPinWithAlternatives(t *testing.T) {
	m := sample()
	pinned, _ := ExpectedOf(m, "nginx")
	pinned.Specs["CacheHitWithinTTL"] = "OK|FAILED"
	pinned.Notes = map[string]string{"CacheHitWithinTTL": "why"}
	if d := Diff(m, "nginx", pinned); len(d) != 0 {
		t.Fatalf("FAILED is admitted by OK|FAILED: %v", d)
	}
	pinned.Specs["CacheHitWithinTTL"] = "OK|SKIPPED"
	if d := Diff(m, "nginx", pinned); len(d) != 1 || !strings.Contains(d[0], "expected OK|SKIPPED, got FAILED") {
		t.Fatalf("diff %v", d)
	}
	// An alternative may demand a text in the reason: the failure pinned,
	// not any failure.
	pinned.Specs["CacheHitWithinTTL"] = "OK|FAILED: the second GET is a miss"
	if d := Diff(m, "nginx", pinned); len(d) != 0 {
		t.Fatalf("the pinned failure is admitted: %v", d)
	}
	pinned.Specs["CacheHitWithinTTL"] = "OK|FAILED: broken pipe"
	if d := Diff(m, "nginx", pinned); len(d) != 1 || !strings.Contains(d[0], "got FAILED: the second GET is a miss") {
		t.Fatalf("another failure is not admitted: %v", d)
	}
	// A pin with several outcomes needs its note; the file its gateway.
	pinned.Notes = nil
	pinned.Gateway = "haproxy"
	d := Diff(m, "nginx", pinned)
	if len(d) != 3 || !strings.Contains(strings.Join(d, "\n"), "no note saying why") || !strings.Contains(strings.Join(d, "\n"), `are "haproxy"'s`) {
		t.Fatalf("pins not checked: %v", d)
	}
	pinned.Gateway, pinned.Notes = "nginx", map[string]string{"CacheHitWithinTTL": "why"}
	pinned.Specs["CacheHitWithinTTL"] = "OK|FAILED"
	re, err := Repin(m, "nginx", pinned)
	if err != nil || re.Specs["CacheHitWithinTTL"] != "OK|FAILED" || re.Notes["CacheHitWithinTTL"] != "why" || re.Specs["UnknownPath"] != Unsupported {
		t.Fatalf("re-pinned %+v %v", re, err)
	}
	pinned.Specs["CacheHitWithinTTL"] = "OK|SKIPPED" // no longer holds: the run's outcome is pinned
	if re, _ := Repin(m, "nginx", pinned); re.Specs["CacheHitWithinTTL"] != Failed || re.Notes["CacheHitWithinTTL"] != "" {
		t.Fatalf("a pin that no longer holds was kept: %+v", re)
	}
}
