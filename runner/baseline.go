package runner

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/gatecheck/gatecheck/baseline"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
)

// loadBaseline reads --baseline before anything runs, so a wrong path is a
// configuration error at once, not after the whole run.
func loadBaseline(opts Options) (*reports.Report, error) {
	if opts.Baseline == "" {
		return nil, nil
	}
	if opts.OutDir == "" {
		return nil, &ConfigError{fmt.Errorf("--baseline %s needs --out: the comparison reads this run's raw results", opts.Baseline)}
	}
	base, err := reports.ReadJSON(opts.Baseline)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("--baseline: %v (fix: pass the report.json of an earlier `gatecheck run --out DIR`, with its raw/ directory beside it)", err)}
	}
	return base, nil
}

// compareBaseline compares rep's scenarios with the baseline's and records
// the comparison in rep; a regression is a gate failure (ExitCode).
func compareBaseline(rep, base *reports.Report, opts Options, tol profile.BaselineTolerance) {
	if base == nil {
		return
	}
	rep.Baseline = baseline.Compare(opts.Baseline,
		baseline.Run{Report: base, Dir: filepath.Dir(opts.Baseline)},
		baseline.Run{Report: rep, Dir: opts.OutDir}, tol)
	// Filled after the report was redacted: its texts (paths, errors)
	// go through redact too.
	for i, s := range rep.Baseline.Skipped {
		rep.Baseline.Skipped[i] = redact.String(s)
	}
	for i, s := range rep.Baseline.Regressions {
		rep.Baseline.Regressions[i] = redact.String(s)
	}
	rep.Baseline.Report = redact.String(rep.Baseline.Report)
}

// writeBaselineSummary prints the comparison's outcome under the summary.
func writeBaselineSummary(w io.Writer, b *reports.BaselineComparison) {
	if b == nil {
		return
	}
	judged := 0
	for _, m := range b.Metrics {
		if m.Judged {
			judged++
		}
	}
	verdict := "no regression"
	if b.Regressed() {
		verdict = fmt.Sprintf("%d REGRESSION(S)", len(b.Regressions))
	}
	fmt.Fprintf(w, "BASELINE %s: %s (%d of %d metrics judged)\n", b.Report, verdict, judged, len(b.Metrics))
	for _, r := range b.Regressions {
		fmt.Fprintf(w, "  regressed: %s\n", r)
	}
	for _, s := range b.Skipped {
		fmt.Fprintf(w, "  not compared: %s\n", s)
	}
}
