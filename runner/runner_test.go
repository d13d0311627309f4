package runner_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"go.uber.org/goleak"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
)

func TestEmbeddedStartsAndStopsCleanly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	target, stop, err := runner.Prepare(context.Background(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(target.Profile.Target.RestURL, "http://127.0.0.1:") || !strings.HasPrefix(target.Profile.Target.FixtureURL, "http://127.0.0.1:") {
		t.Fatalf("embedded URLs not filled in: %+v", target.Profile.Target)
	}
	resp, err := target.Get(context.Background(), target.URL("inspect"), nil)
	if err != nil || resp.Status != 200 {
		t.Fatalf("embedded gateway did not proxy: %v %v", resp, err)
	}
	stop()
}

func writeProfile(t *testing.T, body string) string {
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestPrepareErrors(t *testing.T) {
	_, _, err := runner.Prepare(context.Background(), filepath.Join(t.TempDir(), "missing.yaml"), nil)
	var ce *runner.ConfigError
	if !errors.As(err, &ce) || runner.ExitCode(nil, err) != runner.ExitConfig {
		t.Fatalf("missing profile: want ConfigError/exit 2, got %v", err)
	}
	path := writeProfile(t, "version: 1\nname: gone\ntarget: {restURL: http://"+closedPort(t)+", stage: test}\nfeatures: {request-ids: {}}\n")
	_, _, err = runner.Prepare(context.Background(), path, nil)
	var ue *runner.UnreachableError
	if !errors.As(err, &ue) || runner.ExitCode(nil, err) != runner.ExitUnreachable {
		t.Fatalf("unreachable gateway: want UnreachableError/exit 3, got %v", err)
	}
	if !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("message should say unreachable: %v", err)
	}
}

func TestRunRejectsBadLabelFilter(t *testing.T) {
	_, err := runner.Run(context.Background(), runner.Options{LabelFilter: "feature:(("})
	if runner.ExitCode(nil, err) != runner.ExitConfig || !strings.Contains(err.Error(), "--label-filter") {
		t.Fatalf("want a config error naming --label-filter, got %v", err)
	}
}

// A filter that selects nothing is a typo in a gate, not a green run: a
// configuration error naming the labels there are, before anything starts.
func TestRunRejectsLabelFilterMatchingNothing(t *testing.T) {
	_, err := runner.Run(context.Background(), runner.Options{LabelFilter: "feature:nonexistent"})
	if runner.ExitCode(nil, err) != runner.ExitConfig || !strings.Contains(err.Error(), "selects no spec") || !strings.Contains(err.Error(), "feature:payload-limit") {
		t.Fatalf("want a config error listing the labels, got %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	mk := func(specs ...reports.Spec) *reports.Report {
		r := &reports.Report{Specs: specs}
		r.Summarize()
		return r
	}
	conf := func(v reports.Verdict) reports.Spec { return reports.Spec{Kind: reports.KindConformance, Verdict: v} }
	scen := func(v reports.Verdict) reports.Spec { return reports.Spec{Kind: reports.KindScenario, Verdict: v} }
	cases := []struct {
		name string
		rep  *reports.Report
		want int
	}{
		{"all passed", mk(conf(reports.Passed), scen(reports.Passed), conf(reports.Unsupported)), runner.ExitPassed},
		{"conformance failure", mk(conf(reports.Failed), scen(reports.Failed)), runner.ExitFailed},
		{"scenario failure only", mk(conf(reports.Passed), scen(reports.Failed)), runner.ExitGate},
		{"scenario invalid", mk(conf(reports.Passed), scen(reports.Invalid)), runner.ExitInvalid},
		{"failure beats invalid", mk(scen(reports.Failed), scen(reports.Invalid)), runner.ExitGate},
		{"configuration error", mk(conf(reports.Passed), scen(reports.ConfigError)), runner.ExitConfig},
		{"configuration error beats failure", mk(conf(reports.Failed), scen(reports.Failed), conf(reports.ConfigError), scen(reports.Invalid)), runner.ExitConfig},
	}
	for _, c := range cases {
		if got := runner.ExitCode(c.rep, nil); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

func TestBuildReport(t *testing.T) {
	name := conformance.Checks()[0]
	c, area, _ := conformance.Lookup(name)
	text := conformance.SpecText(c)
	gr := types.Report{SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: types.SpecStatePassed, RunTime: time.Second},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: types.SpecStateFailed, Failure: types.Failure{Message: "boom", Location: types.CodeLocation{FileName: "x.go", LineNumber: 3}}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: types.SpecStateSkipped, Failure: types.Failure{Message: conformance.UnsupportedPrefix + "no"}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: types.SpecStateSkipped, Failure: types.Failure{Message: "needs a route"}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: types.SpecStateSkipped}, // filtered out
		{LeafNodeType: types.NodeTypeReportAfterSuite, LeafNodeText: "gatecheck report", State: types.SpecStatePassed},
	}}
	p, err := runner.LoadProfile("")
	if err != nil {
		t.Fatal(err)
	}
	rep := runner.BuildReport(gr, p)
	want := []reports.Verdict{reports.Passed, reports.Failed, reports.Unsupported, reports.Skipped}
	if len(rep.Specs) != len(want) {
		t.Fatalf("specs = %+v", rep.Specs)
	}
	for i, v := range want {
		if rep.Specs[i].Verdict != v || rep.Specs[i].Area != area || rep.Specs[i].Name != name {
			t.Errorf("spec %d = %+v, want verdict %s", i, rep.Specs[i], v)
		}
	}
	if rep.Specs[1].Reason != "boom" || rep.Specs[1].Location != "x.go:3" || rep.Specs[2].Reason != "no" {
		t.Errorf("reasons/locations wrong: %+v", rep.Specs)
	}
	if rep.Summary.Verdict != reports.Failed || rep.Summary.Total != 4 {
		t.Errorf("summary = %+v", rep.Summary)
	}
}

// A check stopped at run time because its traffic would exceed the
// profile's safety bounds makes the run a configuration error (exit 2),
// with the reason in the report; it was once a skip, and the run passed.
func TestRefusedTrafficIsAConfigurationError(t *testing.T) {
	throttle, area, _ := conformance.Lookup("ThrottleUnderLoad")
	other, _, _ := conformance.Lookup("ThrottleBurstThenRefill")
	const reason = "ThrottleUnderLoad not run: phase 2x: attack refused: rate 400/s is above the profile's maxRate 100"
	gr := types.Report{SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: conformance.SpecText(other), State: types.SpecStatePassed},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: conformance.SpecText(throttle), State: types.SpecStateSkipped, Failure: types.Failure{Message: conformance.ConfigErrorPrefix + reason}},
	}}
	p, err := runner.LoadProfile("")
	if err != nil {
		t.Fatal(err)
	}
	rep := runner.BuildReport(gr, p)
	if len(rep.Specs) != 2 {
		t.Fatalf("specs = %+v", rep.Specs)
	}
	if sp := rep.Specs[1]; sp.Verdict != reports.ConfigError || sp.Reason != reason || sp.Area != area {
		t.Errorf("refused spec = %+v, want verdict %s with the reason", sp, reports.ConfigError)
	}
	if rep.Summary.Verdict != reports.ConfigError || rep.Summary.ConfigErrors != 1 || rep.Summary.Passed != 1 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if code := runner.ExitCode(rep, nil); code != runner.ExitConfig {
		t.Errorf("exit code %d, want %d (configuration error)", code, runner.ExitConfig)
	}
	var out strings.Builder
	reports.WriteSummary(&out, rep)
	for _, want := range []string{"CONFIGURATION ERROR throttling/ThrottleUnderLoad", reason, "gatecheck: CONFIGURATION ERROR (1 configuration error, 1 passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunWritesReports runs one area of the real suites (Ginkgo allows one
// run per process) and checks the files and the report agree.
func TestRunWritesReports(t *testing.T) {
	out := t.TempDir()
	var stdout strings.Builder
	rep, err := runner.Run(context.Background(), runner.Options{LabelFilter: "area:errors", OutDir: out, Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Verdict != reports.Passed || rep.Summary.Passed == 0 {
		t.Fatalf("summary = %+v\n%s", rep.Summary, stdout.String())
	}
	for _, s := range rep.Specs {
		if s.Area != "errors" {
			t.Errorf("label filter let %s (%s) through", s.Name, s.Area)
		}
	}
	back, err := reports.ReadJSON(filepath.Join(out, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary != rep.Summary || back.LabelFilter != "area:errors" {
		t.Fatalf("report.json = %+v", back.Summary)
	}
	for _, f := range []string{reports.JUnitFile, reports.MarkdownFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout.String(), "gatecheck: PASSED") {
		t.Errorf("summary not printed:\n%s", stdout.String())
	}
}

func TestBuildReportRedacts(t *testing.T) {
	const token = "TkBuildReport/ab+cd=="
	c, _, _ := conformance.Lookup(conformance.Checks()[0])
	gr := types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: conformance.SpecText(c), State: types.SpecStateFailed,
		Failure: types.Failure{Message: "403 InvalidSignatureException: ...\nhost:h\nx-amz-security-token:" + token + "\n\nhost;x-amz-security-token"}}}}
	p, err := runner.LoadProfile("")
	if err != nil {
		t.Fatal(err)
	}
	p.Target.RestURL = "http://user:pw123456@127.0.0.1:1"
	rep := runner.BuildReport(gr, p)
	if got := rep.Specs[0].Reason; strings.Contains(got, token) || !strings.Contains(got, "x-amz-security-token:REDACTED\n") {
		t.Errorf("reason not redacted: %q", got)
	}
	if rep.Profile.Target != "http://REDACTED@127.0.0.1:1" {
		t.Errorf("target = %q", rep.Profile.Target)
	}
}

// An unreachable gateway or fixture still gets every report, each naming
// the profile field to fix, and the run still exits 3.
func TestUnreachableTargetStillWritesEveryReport(t *testing.T) {
	gateway := httptest.NewServer(http.NotFoundHandler())
	defer gateway.Close()
	for _, c := range []struct{ name, target, field string }{
		{"gateway", "{restURL: http://" + closedPort(t) + ", stage: test}", "target.restURL"},
		{"fixture", "{restURL: " + gateway.URL + ", fixtureURL: http://" + closedPort(t) + ", stage: test}", "target.fixtureURL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeProfile(t, "version: 1\nname: gone\ntarget: "+c.target+"\nfeatures: {request-ids: {}}\n")
			out := t.TempDir()
			var stdout strings.Builder
			rep, err := runner.Run(context.Background(), runner.Options{ProfilePath: path, OutDir: out, Stdout: &stdout})
			if code := runner.ExitCode(rep, err); code != runner.ExitUnreachable {
				t.Fatalf("exit code %d, want %d (err %v)", code, runner.ExitUnreachable, err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error does not name %s: %v", c.field, err)
			}
			got, err := reports.ReadJSON(filepath.Join(out, reports.JSONFile))
			if err != nil {
				t.Fatal(err)
			}
			if got.RunError == nil || got.RunError.Kind != "unreachable" || got.RunError.Field != c.field || got.Summary.Verdict != reports.Errored || got.Profile.Name != "gone" {
				t.Fatalf("report.json: run error %+v, summary %+v, profile %+v", got.RunError, got.Summary, got.Profile)
			}
			for _, name := range []string{reports.JUnitFile, reports.MarkdownFile, reports.HTMLFile} {
				b, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), c.field) || !strings.Contains(string(b), "unreachable") {
					t.Errorf("%s does not show the run error naming %s:\n%s", name, c.field, b)
				}
			}
			if !strings.Contains(stdout.String(), reports.JUnitFile) {
				t.Errorf("stdout does not point at the reports: %q", stdout.String())
			}
		})
	}
}
