package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/hostile"
	"github.com/gatecheck/gatecheck/runner"
)

// gatecheck hostile against real child processes (this test binary acting
// as gatecheck): every category passes, the logs are clean, the gateway
// still serves, and a memory bound below the children's peak fails the
// run with exit 1, keeping the logs.
func TestHostileRunsChildrenAndEnforcesTheMemoryBound(t *testing.T) {
	t.Setenv(envRunMain, "1")
	logs := filepath.Join(t.TempDir(), "logs")
	code, out, errOut := gatecheck(t, "hostile", "--requests", "300", "--server-deadline", "500ms", "--memory-bound", "1MB", "--logs", logs)
	if code != runner.ExitFailed {
		t.Fatalf("exit %d, want %d (the bound is below any process); stdout:\n%s\nstderr:\n%s", code, runner.ExitFailed, out, errOut)
	}
	for _, c := range hostile.All() {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(c.Name) + ` \(\d+ probes\): passed$`).MatchString(out) {
			t.Errorf("no passing histogram for category %s", c.Name)
		}
	}
	for _, want := range []string{"OVER the bound of 1.0 MB", "gateway log: no panic", "fixture log: no panic", "normal traffic afterwards: served", "hostile: FAILED", "logs: " + logs} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "FAILED"); n != 1 {
		t.Errorf("%d FAILED in the output: something besides the memory bound failed:\n%s", n, out)
	}
	for _, name := range []string{"gateway.log", "fixture.log"} {
		if data, err := os.ReadFile(filepath.Join(logs, name)); err != nil || !strings.Contains(string(data), "listening") {
			t.Errorf("%s: %v, %.200q", name, err, data)
		}
	}
}

func TestCrashTracesFindPanicsNotWordsInRequests(t *testing.T) {
	log := strings.Join([]string{
		`time=2026-01-01T00:00:00Z level=INFO msg=request path=/test/inspect/panic method=GET`,
		`time=2026-01-01T00:00:00Z level=INFO msg=request path="/test/fatal error: x" method=GET`,
		`2026/01/01 00:00:00 http: panic serving 127.0.0.1:1234: runtime error: index out of range`,
		`panic: runtime error: invalid memory address or nil pointer dereference`,
		`goroutine 17 [running]:`,
		`fatal error: concurrent map writes`,
	}, "\n")
	path := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := crashTraces(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !strings.HasPrefix(got[0], "http: panic serving") || !strings.HasPrefix(got[1], "panic:") {
		t.Errorf("crashTraces = %q: want the four crash lines, not the access-log lines", got)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"200MB": 200e6, "190MiB": 190 << 20, "1.5GB": 1.5e9, "512KiB": 512 << 10, "1000": 1000, " 2 GiB ": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-5MB", "0", "MB", "1e20GB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

// Each process has its own bound too, so a regression in one shows even
// when the sum stays under --memory-bound.
func TestHostileEnforcesThePerProcessBound(t *testing.T) {
	t.Setenv(envRunMain, "1")
	code, out, errOut := gatecheck(t, "hostile", "--requests", "100", "--server-deadline", "500ms", "--memory-bound", "10GB", "--process-memory-bound", "1MB")
	if code != runner.ExitFailed || !strings.Contains(out, "gateway's") || !strings.Contains(out, "OVER its own bound of 1.0 MB") {
		t.Fatalf("exit %d; want %d and the gateway over its own bound; stdout:\n%s\nstderr:\n%s", code, runner.ExitFailed, out, errOut)
	}
}
