// Package runner runs the conformance suites against a target profile and
// writes the reports. With no profile it starts the reference gateway and
// the fixture backend on loopback: the embedded default.
//
// Run is also the library entry point for vendors who run gatecheck from
// their own Go tests. Ginkgo runs a suite once per process, so call Run at
// most once per process (e.g. from TestMain or a single Test function).
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
	_ "github.com/gatecheck/gatecheck/suites" // registers every spec
)

// Exit codes of `gatecheck run`.
const (
	ExitPassed      = 0 // every selected spec passed or was unsupported
	ExitFailed      = 1 // at least one conformance spec failed
	ExitConfig      = 2 // bad profile, flags or definition, or a spec stopped as a configuration error
	ExitUnreachable = 3 // the target (or its fixture) did not answer
	ExitGate        = 4 // conformance passed but a load scenario failed (its checks or thresholds) or regressed against --baseline
	ExitInvalid     = 5 // nothing failed, but a load scenario could not produce a verdict
)

// ConfigError is a problem with the profile, flags or definitions.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// UnreachableError means the target could not be reached at all.
type UnreachableError struct {
	What, URL string
	// Field is the profile field holding the URL, e.g. "target.restURL";
	// "" for the embedded target, whose URLs gatecheck chose.
	Field string
	Err   error
}

func (e *UnreachableError) Error() string {
	fix := "correct the URL in the profile"
	if e.Field != "" {
		fix = "correct " + e.Field + " in the profile"
	}
	return fmt.Sprintf("%s at %s is unreachable: %v (fix: start it, or %s)", e.What, e.URL, e.Err, fix)
}

// ExitCode maps Run's outcome to the process exit code. A spec stopped as a
// configuration error (e.g. traffic beyond the profile's safety bounds)
// makes the run a configuration error, before any failure: the run did not
// do what was asked.
func ExitCode(rep *reports.Report, err error) int {
	var ce *ConfigError
	var ue *UnreachableError
	switch {
	case errors.As(err, &ce):
		return ExitConfig
	case errors.As(err, &ue):
		return ExitUnreachable
	case err != nil:
		return ExitConfig
	case rep == nil:
		return ExitPassed
	}
	for _, s := range rep.Specs {
		if s.Verdict == reports.ConfigError {
			return ExitConfig
		}
	}
	scenarioFailed := false
	for _, s := range rep.Specs {
		if s.Verdict == reports.Failed && s.Kind != reports.KindScenario {
			return ExitFailed
		}
		scenarioFailed = scenarioFailed || s.Verdict == reports.Failed
	}
	scenarioFailed = scenarioFailed || rep.Baseline.Regressed() // a slowdown against --baseline
	switch {
	case scenarioFailed:
		return ExitGate
	case rep.Summary.Invalid > 0:
		return ExitInvalid
	}
	return ExitPassed
}

// Options configure a run.
type Options struct {
	ProfilePath string    // "" = embedded reference profile
	LabelFilter string    // Ginkgo label filter, e.g. "feature:payload-limit"
	OutDir      string    // where reports go; "" = no files
	Stdout      io.Writer // summary table; nil = os.Stdout
	Verbose     bool      // Ginkgo's verbose output
	Logger      *slog.Logger
	// Baseline is an earlier run's report.json to compare the scenarios
	// with (baseline.go); a regression is a gate failure.
	Baseline string
}

// LoadProfile loads path, or the embedded reference profile when path is "".
func LoadProfile(path string) (*profile.Profile, error) {
	if path == "" {
		data, err := fixtures.Files.ReadFile(fixtures.ReferenceProfile)
		if err != nil {
			return nil, err
		}
		return profile.Load("embedded:"+fixtures.ReferenceProfile, data)
	}
	return profile.LoadFile(path)
}

// Prepare loads the profile, starts the embedded target if the profile asks
// for it, and checks the target answers. The returned stop func releases
// everything.
func Prepare(ctx context.Context, profilePath string, logger *slog.Logger) (*conformance.Target, func(), error) {
	p, err := LoadProfile(profilePath)
	if err != nil {
		return nil, nil, &ConfigError{err}
	}
	return prepare(ctx, p, logger)
}

func prepare(ctx context.Context, p *profile.Profile, logger *slog.Logger) (*conformance.Target, func(), error) {
	if logger != nil { // the embedded servers' log lines may quote requests
		logger = slog.New(redact.NewHandler(logger.Handler()))
	}
	stop := func() {}
	if p.Target.Embedded {
		e, err := StartEmbedded(logger)
		if err != nil {
			return nil, nil, &ConfigError{fmt.Errorf("starting the reference gateway: %w", err)}
		}
		p.Target.RestURL, p.Target.FixtureURL, p.Target.ManagementURL = e.GatewayURL, e.FixtureURL, e.ManagementURL
		p.Target.MetricsURL, p.Target.RestAPIID = e.ManagementURL+"/metrics", e.APIID
		p.Target.WebSocketURL, p.Target.WebSocketNoDefaultURL = e.WebSocketURL, e.WebSocketNoDefaultURL
		stop = e.Close
	}
	target := conformance.NewTarget(p)
	stopAll := func() { target.Close(); stop() }
	if err := probe(ctx, target); err != nil {
		stopAll()
		return nil, nil, err
	}
	return target, stopAll, nil
}

// probe checks that the gateway and the fixture answer HTTP at all (any
// status counts: a gateway may well answer 403 on the bare stage).
func probe(ctx context.Context, t *conformance.Target) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := t.StageURL(t.Profile.Target.Stage, "")
	field := func(name string) string {
		if t.Profile.Target.Embedded {
			return ""
		}
		return name
	}
	if _, err := t.Get(ctx, url, nil); err != nil {
		return &UnreachableError{What: "the gateway", URL: url, Field: field("target.restURL"), Err: err}
	}
	if t.Fixture != nil {
		if err := t.Fixture.Healthy(ctx); err != nil {
			return &UnreachableError{What: "the fixture backend", URL: t.Profile.Target.FixtureURL, Field: field("target.fixtureURL"), Err: err}
		}
	}
	return nil
}

// Run runs the suites and writes the reports. When the target does not
// answer, it still writes them (with Report.RunError naming the profile
// field to fix) and returns them with the *UnreachableError.
func Run(ctx context.Context, opts Options) (*reports.Report, error) {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.LabelFilter != "" {
		if err := CheckLabelFilter(opts.LabelFilter); err != nil {
			return nil, err
		}
	}
	base, err := loadBaseline(opts)
	if err != nil {
		return nil, err
	}
	p, err := LoadProfile(opts.ProfilePath)
	if err != nil {
		return nil, &ConfigError{err}
	}
	started := time.Now()
	target, stop, err := prepare(ctx, p, opts.Logger)
	if err != nil {
		var ue *UnreachableError
		if errors.As(err, &ue) && opts.OutDir != "" {
			return unreachableReport(p, opts, ue, started), err
		}
		return nil, err
	}
	defer stop()

	if opts.OutDir != "" {
		raw := filepath.Join(opts.OutDir, "raw")
		if err := os.MkdirAll(raw, 0o755); err != nil {
			return nil, &ConfigError{fmt.Errorf("--out %s: %w", opts.OutDir, err)}
		}
		target.ArtifactsDir, target.ReportDir = raw, opts.OutDir
	}
	conformance.SetTarget(target)
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = opts.LabelFilter
	suiteCfg.Timeout = 2 * time.Hour
	reporterCfg.Succinct = !opts.Verbose
	reporterCfg.Verbose = opts.Verbose
	reporterCfg.NoColor = !isTerminal(os.Stdout)
	// Ginkgo prints failure messages as they happen; they may echo
	// credentials (see BuildReport). Progress lines go the same way
	// (progress.go).
	consoleOut := formatter.ColorableStdOut
	con := newConsole(redact.NewWriter(consoleOut), isTerminal(os.Stdout) && !opts.Verbose, target.Profile)
	formatter.ColorableStdOut = con
	conformance.SetSpecObserver(con)
	restorePhases := scenarios.SetPhaseObserver(con.phase)
	ginkgo.RunSpecs(&failOnly{}, "gatecheck conformance", suiteCfg, reporterCfg)
	restorePhases()
	conformance.SetSpecObserver(nil)
	con.finish()
	formatter.ColorableStdOut = consoleOut

	rep := BuildReport(conformance.LastSuiteReport(), target.Profile)
	rep.LabelFilter = opts.LabelFilter
	rep.StartedAt, rep.FinishedAt = started, time.Now()
	rep.DurationSeconds = rep.FinishedAt.Sub(started).Seconds()
	compareBaseline(rep, base, opts, target.Profile.Baseline)
	if opts.OutDir != "" {
		if _, err := rep.WriteAll(opts.OutDir); err != nil {
			return rep, &ConfigError{fmt.Errorf("writing reports to %s: %w", opts.OutDir, err)}
		}
	}
	fmt.Fprintln(opts.Stdout)
	reports.WriteSummary(opts.Stdout, rep)
	writeBaselineSummary(opts.Stdout, rep.Baseline)
	if opts.OutDir != "" {
		fmt.Fprintf(opts.Stdout, "reports: %s/{%s,%s,%s,%s}\n", strings.TrimSuffix(opts.OutDir, "/"), reports.JSONFile, reports.JUnitFile, reports.MarkdownFile, reports.HTMLFile)
	}
	return rep, nil
}

// unreachableReport writes every report for a run whose target did not
// answer: no spec ran, and the run error names the profile field to fix,
// so a CI step that publishes the reports shows the cause. A failure to
// write them is printed; the run's outcome stays "unreachable".
func unreachableReport(p *profile.Profile, opts Options, ue *UnreachableError, started time.Time) *reports.Report {
	rep := BuildReport(types.Report{}, p)
	rep.LabelFilter = opts.LabelFilter
	rep.StartedAt, rep.FinishedAt = started, time.Now()
	rep.DurationSeconds = rep.FinishedAt.Sub(started).Seconds()
	rep.RunError = &reports.RunError{Kind: "unreachable", Message: ue.Error(), Field: ue.Field}
	rep.Redact()
	rep.Summarize()
	if _, err := rep.WriteAll(opts.OutDir); err != nil {
		fmt.Fprintf(opts.Stdout, "writing reports to %s: %v\n", opts.OutDir, redact.String(err.Error()))
		return rep
	}
	fmt.Fprintf(opts.Stdout, "reports: %s/{%s,%s,%s,%s}\n", strings.TrimSuffix(opts.OutDir, "/"), reports.JSONFile, reports.JUnitFile, reports.MarkdownFile, reports.HTMLFile)
	return rep
}

// CheckLabelFilter refuses a filter that does not parse or selects no
// spec: a typo in a release gate must not pass as an empty, green run.
func CheckLabelFilter(filter string) error {
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return &ConfigError{fmt.Errorf("--label-filter %q: %v (fix: e.g. --label-filter 'feature:payload-limit || area:errors')", filter, err)}
	}
	known := map[string]bool{}
	for _, name := range conformance.Checks() {
		labels := conformance.Labels(name)
		if match(labels) {
			return nil
		}
		for _, l := range labels {
			known[l] = true
		}
	}
	return &ConfigError{fmt.Errorf("--label-filter %q selects no spec (fix: use one of the labels %s)", filter, strings.Join(slices.Sorted(maps.Keys(known)), ", "))}
}

// failOnly is the testing value RunSpecs needs outside `go test`.
type failOnly struct{ failed bool }

func (f *failOnly) Fail() { f.failed = true }

// BuildReport turns Ginkgo's report into gatecheck's. Specs the label
// filter did not select are left out. Every text in it is redacted
// (package redact): failure messages echo the target's error responses,
// which may quote credentials (AWS's InvalidSignatureException quotes the
// canonical request, session token included), and the target URL may
// carry a password. Every format is derived from this report.
func BuildReport(gr types.Report, p *profile.Profile) *reports.Report {
	rep := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "gatecheck", Version: Version()},
		Profile: reports.Profile{
			Name: p.Name, Source: p.Source, Embedded: p.Target.Embedded,
			Target: p.Target.RestURL, Features: p.Claimed(),
		},
		Specs: []reports.Spec{},
	}
	for _, sr := range gr.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		name, _, _ := strings.Cut(sr.LeafNodeText, ":")
		check, area, ok := conformance.Lookup(name)
		if !ok {
			continue
		}
		spec := reports.Spec{
			Name: check.Name, Area: area, Feature: check.Feature, Section: check.Section, Kind: reports.KindConformance,
			Description: check.Description, DurationSeconds: sr.RunTime.Seconds(),
		}
		if check.Scenario {
			spec.Kind = reports.KindScenario
		}
		for _, e := range sr.ReportEntries {
			if e.Name == conformance.ScenarioEntry {
				var sc reports.Scenario
				if err := json.Unmarshal([]byte(e.StringRepresentation()), &sc); err == nil {
					rep.Scenarios = append(rep.Scenarios, sc)
				}
			}
		}
		msg := sr.Failure.Message
		switch sr.State {
		case types.SpecStatePassed:
			spec.Verdict, spec.Grade = reports.Passed, reports.GradeOK
			var graded []string
			for _, e := range sr.ReportEntries {
				if e.Name == conformance.GradeEntry {
					graded = append(graded, e.StringRepresentation())
				}
			}
			if len(graded) > 0 {
				spec.Grade, spec.Reason = reports.GradeNonStrict, strings.Join(graded, "; ")
			}
		case types.SpecStateSkipped:
			if msg == "" {
				continue // not selected by the label filter
			}
			spec.Verdict, spec.Reason = reports.Skipped, msg
			if r, ok := strings.CutPrefix(msg, conformance.UnsupportedPrefix); ok {
				spec.Verdict, spec.Reason = reports.Unsupported, r
			}
			if r, ok := strings.CutPrefix(msg, conformance.InvalidPrefix); ok {
				spec.Verdict, spec.Reason = reports.Invalid, r
			}
			if r, ok := strings.CutPrefix(msg, conformance.ConfigErrorPrefix); ok {
				spec.Verdict, spec.Reason = reports.ConfigError, r
			}
		case types.SpecStatePending:
			continue
		default:
			spec.Verdict, spec.Grade = reports.Failed, reports.GradeFailed
			spec.Reason = msg
			if sr.Failure.ForwardedPanic != "" {
				spec.Reason = strings.TrimSpace(msg + "\npanic: " + sr.Failure.ForwardedPanic)
			}
			if spec.Reason == "" {
				spec.Reason = sr.State.String()
			}
			spec.Location = ProjectLocation(sr.Failure.Location.String())
		}
		rep.Specs = append(rep.Specs, spec)
	}
	rep.Redact()
	rep.Summarize()
	return rep
}

// Version is the module version gatecheck was built from, or "dev".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
