package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/runner"
)

// repeat counts failed runs and names the failing specs with how often they
// failed; here every run fails the gateway-responses specs of a "gateway"
// that answers 200 to everything.
func TestRepeatCountsFailuresAndNamesSpecs(t *testing.T) {
	t.Setenv(envRunMain, "1") // the children are this test binary acting as gatecheck
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"message":"ok"}`))
	}))
	defer wrong.Close()
	p := write(t, "p.yaml", "version: 1\nname: wrong\ntarget: {restURL: "+wrong.URL+", stage: test}\nroutes: {inspect: /inspect}\nfeatures: {gateway-responses: {}}\nwaits: {request: 5s, spec: 20s, eventually: 2s, poll: 50ms}\n")
	out := filepath.Join(t.TempDir(), "repeat")
	code, stdout, stderr := gatecheck(t, "repeat", "--n", "2", "--profile", p, "--label-filter", "feature:gateway-responses", "--out", out)
	if code != runner.ExitFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, runner.ExitFailed, stdout, stderr)
	}
	if !strings.Contains(stdout, "2 of 2 runs failed") || !strings.Contains(stdout, "2× errors WrongStageMissingAuthenticationToken: failed") || strings.Contains(stdout, "skipped") {
		t.Fatalf("the summary does not count the failures per spec:\n%s", stdout)
	}
}

// --baseline-first keeps run 1 and compares every later run with it: an
// unchanged gateway (the embedded one, its latency-overhead scenario) is
// not flagged, and run 1's report stays as the baseline.
func TestRepeatBaselineFirst(t *testing.T) {
	t.Setenv(envRunMain, "1")
	out := filepath.Join(t.TempDir(), "repeat")
	code, stdout, stderr := gatecheck(t, "repeat", "--n", "2", "--baseline-first", "--label-filter", "feature:latency-overhead", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "run 1/2: passed; kept in") || !strings.Contains(stdout, "scenario metrics judged against run 1, none regressed") || !strings.Contains(stdout, "0 of 2 runs failed") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "run-1", "report.json")); err != nil {
		t.Fatalf("the baseline run's report is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "run-1", "raw", "LatencyOverhead.vegeta")); err != nil {
		t.Fatalf("the baseline run's raw results are gone: %v", err)
	}
}
