// Package reports holds gatecheck's machine-readable report (the source of
// truth) and the human and CI formats derived from it: JUnit XML, a Markdown
// summary and a terminal summary table.
package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// SchemaVersion is bumped on any incompatible change to Report's JSON shape.
const SchemaVersion = "gatecheck.report/v1"

// Verdict is the outcome of one conformance spec.
type Verdict string

const (
	Passed      Verdict = "passed"
	Failed      Verdict = "failed"
	Unsupported Verdict = "unsupported" // the profile does not claim the spec's feature
	Skipped     Verdict = "skipped"     // skipped for another stated reason (e.g. a sub-capability)
	// Invalid: a load scenario could not produce a verdict because the
	// load generator, not the target, was the limit. Neither pass nor fail.
	Invalid Verdict = "invalid"
	// ConfigError: the spec was stopped before it checked anything because
	// the profile asked it to do what it must not, e.g. send traffic beyond
	// the profile's safety bounds. Neither pass nor fail: the run is a
	// configuration error (exit code 2), whatever else happened.
	ConfigError Verdict = "config-error"
	// Errored is only a run's verdict (Summary.Verdict), never a spec's:
	// the run stopped before its specs ran (Report.RunError says why).
	Errored Verdict = "error"
)

// Grade of a passed or failed spec.
type Grade string

const (
	GradeOK        Grade = "OK"
	GradeNonStrict Grade = "NON-STRICT"
	GradeFailed    Grade = "FAILED"
)

// Report is the whole result of one `gatecheck run`.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	Profile       Profile   `json:"profile"`
	StartedAt     time.Time `json:"startedAt"`
	FinishedAt    time.Time `json:"finishedAt"`
	// DurationSeconds is FinishedAt-StartedAt, kept for readers that do not parse times.
	DurationSeconds float64 `json:"durationSeconds"`
	LabelFilter     string  `json:"labelFilter,omitempty"`
	Summary         Summary `json:"summary"`
	Specs           []Spec  `json:"specs"`
	// Scenarios holds the measurements of load scenarios; their verdicts
	// are also in Specs (Kind "scenario").
	Scenarios []Scenario `json:"scenarios,omitempty"`
	// RunError is set when the run stopped before its specs ran, e.g. the
	// target did not answer: every format shows it, so a CI step that
	// publishes the reports shows the cause.
	RunError *RunError `json:"runError,omitempty"`
	// Baseline compares the scenarios with a baseline run's (`gatecheck
	// run --baseline`); a regression is a gate failure (gates.go).
	Baseline *BaselineComparison `json:"baseline,omitempty"`
}

// RunError is a problem that stopped the whole run.
type RunError struct {
	Kind    string `json:"kind"`            // e.g. "unreachable"
	Message string `json:"message"`         // what happened, redacted
	Field   string `json:"field,omitempty"` // the profile field to fix, e.g. "target.restURL"
}

// Spec kinds.
const (
	KindConformance = "conformance"
	KindScenario    = "scenario"
)

// Scenario is the measured result of a load scenario.
type Scenario struct {
	Name    string  `json:"name"`
	Feature string  `json:"feature"`
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason,omitempty"`
	// RawResults is the file holding every request's result in Vegeta's
	// encoding (`vegeta report` and `vegeta plot` read it), relative to
	// the report directory. It is one file per scenario, each result's
	// attack named after its phase (`vegeta report` gives the whole
	// scenario; select a phase by its attack name).
	RawResults string  `json:"rawResults,omitempty"`
	Phases     []Phase `json:"phases"`
	// Thresholds are the profile's thresholds on this scenario, each with
	// its measured value (gates.go).
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// Phase is one constant-rate attack within a scenario.
type Phase struct {
	Name            string         `json:"name"`
	RequestedRate   float64        `json:"requestedRate"`
	AchievedRate    float64        `json:"achievedRate"`
	DurationSeconds float64        `json:"durationSeconds"`
	Requests        uint64         `json:"requests"`
	StatusCodes     map[string]int `json:"statusCodes"`
	// Latency by outcome, e.g. "accepted" and "rejected".
	Latency map[string]Latency `json:"latency,omitempty"`
	// Values are the scenario's own measurements and bounds, e.g.
	// "accepted", "expectedAccepted", "firstThrottledAfterSeconds".
	Values map[string]float64 `json:"values,omitempty"`
	// Series is the phase second by second (latency and status codes over
	// time), for the plots; absent in reports written before it existed.
	Series  []Second `json:"series,omitempty"`
	Verdict Verdict  `json:"verdict"`
	Reason  string   `json:"reason,omitempty"`
}

// Second is one second of a load phase: the requests sent in it, their
// status codes, and their latency p50 and p99 in seconds.
type Second struct {
	// At is the second's start, in whole seconds from the phase's start.
	At          int            `json:"at"`
	Requests    int            `json:"requests"`
	StatusCodes map[string]int `json:"statusCodes,omitempty"`
	P50         float64        `json:"p50"`
	P99         float64        `json:"p99"`
}

// Latency percentiles in seconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Tool identifies the gatecheck build that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Profile identifies the target the report is about.
type Profile struct {
	Name     string   `json:"name"`
	Source   string   `json:"source"`             // file path, or "embedded:<name>"
	Embedded bool     `json:"embedded"`           // the reference gateway was started by gatecheck
	Target   string   `json:"target"`             // REST base URL tested
	Features []string `json:"features,omitempty"` // features the profile claims
}

// Spec is the result of one conformance spec.
type Spec struct {
	Name        string  `json:"name"`        // short check name, e.g. "IntegrationTimeoutExceeded"
	Area        string  `json:"area"`        // behaviour area, e.g. "timeouts"
	Feature     string  `json:"feature"`     // feature the check needs, e.g. "integration-timeout"
	Section     string  `json:"section"`     // section of the behaviour spec, e.g. "§1.1"
	Kind        string  `json:"kind"`        // "conformance" or "scenario"
	Description string  `json:"description"` // the documented behaviour checked
	Verdict     Verdict `json:"verdict"`
	// Grade refines the verdict as Autobahn does: OK, NON-STRICT (passed
	// with an outcome the profile declares but AWS would not give) or FAILED.
	Grade           Grade   `json:"grade,omitempty"`
	Reason          string  `json:"reason,omitempty"`   // failure message, skip reason or NON-STRICT reason
	Location        string  `json:"location,omitempty"` // file:line of the failure, if any
	DurationSeconds float64 `json:"durationSeconds"`
}

// Summary counts specs by verdict.
type Summary struct {
	Total        int `json:"total"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Unsupported  int `json:"unsupported"`
	Skipped      int `json:"skipped"`
	NonStrict    int `json:"nonStrict"`    // passed specs graded NON-STRICT
	Invalid      int `json:"invalid"`      // load scenarios without a verdict
	ConfigErrors int `json:"configErrors"` // specs stopped as configuration errors
	// Verdict is error if the run stopped (RunError), else config-error if
	// any spec was stopped as a configuration error, else failed if any
	// spec failed, else passed.
	Verdict Verdict `json:"verdict"`
}

// Summarize recomputes r.Summary from r.Specs.
func (r *Report) Summarize() {
	s := Summary{Total: len(r.Specs)}
	for _, sp := range r.Specs {
		switch sp.Verdict {
		case Passed:
			s.Passed++
			if sp.Grade == GradeNonStrict {
				s.NonStrict++
			}
		case Failed:
			s.Failed++
		case Unsupported:
			s.Unsupported++
		case Skipped:
			s.Skipped++
		case Invalid:
			s.Invalid++
		case ConfigError:
			s.ConfigErrors++
		}
	}
	switch {
	case r.RunError != nil:
		s.Verdict = Errored
	case s.ConfigErrors > 0:
		s.Verdict = ConfigError
	case s.Failed > 0:
		s.Verdict = Failed
	default:
		s.Verdict = Passed
	}
	r.Summary = s
}

// WriteJSON writes the report, indented, to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON reads a report written by WriteJSON and checks its schema version.
func ReadJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a gatecheck report: %w", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %q is not supported (want %q)", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
