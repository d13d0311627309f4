package runner_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
)

// A regression against --baseline is a gate failure; a conformance
// failure still decides first, and an invalid scenario does not hide it.
func TestBaselineRegressionExitsGate(t *testing.T) {
	mk := func(regressed bool, specs ...reports.Spec) *reports.Report {
		r := &reports.Report{Specs: specs, Baseline: &reports.BaselineComparison{}}
		if regressed {
			r.Baseline.Regressions = []string{"LatencyOverhead gateway 200 p50: 5.4ms against 400µs"}
		}
		r.Summarize()
		return r
	}
	passed := reports.Spec{Kind: reports.KindScenario, Verdict: reports.Passed}
	invalid := reports.Spec{Kind: reports.KindScenario, Verdict: reports.Invalid}
	failed := reports.Spec{Kind: reports.KindConformance, Verdict: reports.Failed}
	for _, c := range []struct {
		name string
		rep  *reports.Report
		want int
	}{
		{"no regression", mk(false, passed), runner.ExitPassed},
		{"regression", mk(true, passed), runner.ExitGate},
		{"regression beats invalid", mk(true, passed, invalid), runner.ExitGate},
		{"conformance failure first", mk(true, failed), runner.ExitFailed},
	} {
		if got := runner.ExitCode(c.rep, nil); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

// A bad --baseline is a configuration error before anything starts.
func TestBadBaselineIsConfigError(t *testing.T) {
	for _, c := range []struct {
		opts runner.Options
		want string
	}{
		{runner.Options{Baseline: filepath.Join(t.TempDir(), "missing.json"), OutDir: t.TempDir()}, "missing.json"},
		{runner.Options{Baseline: "old/report.json"}, "needs --out"},
	} {
		_, err := runner.Run(context.Background(), c.opts)
		var ce *runner.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) || runner.ExitCode(nil, err) != runner.ExitConfig {
			t.Errorf("%+v: want a configuration error naming %q, got %v", c.opts, c.want, err)
		}
	}
}
