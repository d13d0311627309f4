package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ThresholdResult is one profile threshold judged on a scenario.
type ThresholdResult struct {
	Expression string `json:"expression"` // as the profile writes it, e.g. "p99_added < 2ms"
	// Measured is the metric's value in seconds; Found is false when the
	// scenario does not measure the metric (a breach: nothing to judge).
	Measured float64 `json:"measuredSeconds"`
	Found    bool    `json:"found"`
	Passed   bool    `json:"passed"`
}

// BaselineComparison is a run compared with a baseline run: each latency
// quantile of each scenario attack, judged by the rule in Method.
type BaselineComparison struct {
	Report string `json:"report"` // the baseline's report.json, as given
	Method string `json:"method"` // the test and tolerance, in words
	// Metrics lists every comparison made, in a stable order.
	Metrics []BaselineMetric `json:"metrics"`
	// Regressions names each regressed metric with the reason.
	Regressions []string `json:"regressions,omitempty"`
	// Skipped lists scenarios or attacks that could not be compared, and why.
	Skipped []string `json:"skipped,omitempty"`
}

// Regressed reports whether the comparison found a regression.
func (b *BaselineComparison) Regressed() bool { return b != nil && len(b.Regressions) > 0 }

// BaselineMetric is one quantile of one attack of one scenario, baseline
// against this run. Times are seconds; BaseUpper and NewLower are the
// one-sided distribution-free confidence bounds the verdict uses.
type BaselineMetric struct {
	Scenario  string  `json:"scenario"`
	Attack    string  `json:"attack"`   // the attack (phase) name in the raw results
	Quantile  float64 `json:"quantile"` // 0.5, 0.99
	Base      float64 `json:"baseSeconds"`
	New       float64 `json:"newSeconds"`
	Ratio     float64 `json:"ratio"` // New / Base
	BaseUpper float64 `json:"baseUpperSeconds,omitempty"`
	NewLower  float64 `json:"newLowerSeconds,omitempty"`
	BaseCount int     `json:"baseCount"`
	NewCount  int     `json:"newCount"`
	// Judged is false when either side has too few samples for its bound
	// at the comparison's alpha (Note says so): such a metric is never
	// flagged.
	Judged    bool `json:"judged"`
	Regressed bool `json:"regressed"`
	// Reference marks an attack on the fixture, not the gateway (the
	// latency-overhead scenario's direct side): reported, never a regression.
	Reference bool   `json:"reference,omitempty"`
	Note      string `json:"note,omitempty"`
}

// WriteMetricDeltas prints every compared latency metric of two runs: base
// and new, the ratio, and whether the difference is significant (the
// comparison's rule, in Method), so `gatecheck compare` shows how the
// scenarios moved, not only the verdicts.
func WriteMetricDeltas(w io.Writer, b *BaselineComparison) {
	if b == nil || (len(b.Metrics) == 0 && len(b.Skipped) == 0) {
		return
	}
	fmt.Fprintf(w, "\nScenario metrics (%s):\n", b.Method)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tATTACK\tQUANTILE\tBASE\tNEW\tRATIO\tSIGNIFICANCE")
	for _, m := range b.Metrics {
		verdict := "within the tolerance"
		switch {
		case m.Reference:
			verdict = "reference (the fixture), not judged"
		case !m.Judged:
			verdict = m.Note
			if !strings.HasPrefix(verdict, "not judged") {
				verdict = "not judged: " + verdict
			}
		case m.Regressed:
			verdict = "REGRESSED"
		}
		fmt.Fprintf(tw, "%s\t%s\tp%g\t%s\t%s\t×%.2f\t%s\n", tabSafe(m.Scenario), tabSafe(m.Attack), m.Quantile*100,
			time.Duration(m.Base*float64(time.Second)).Round(time.Microsecond), time.Duration(m.New*float64(time.Second)).Round(time.Microsecond), m.Ratio, tabSafe(verdict))
	}
	tw.Flush()
	for _, s := range b.Skipped {
		fmt.Fprintf(w, "  not compared: %s\n", s)
	}
}
