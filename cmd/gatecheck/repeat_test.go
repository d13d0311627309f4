package main

import (
	"net/http"
	"net/http/httptest"
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
