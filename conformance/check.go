// Package conformance is the core of gatecheck's harness. A conformance check
// is declared like a Kubernetes Gateway API conformance test: a short name,
// the feature it needs, the section of the behaviour spec it traces to, a
// description of the documented behaviour, and the check itself.
//
// The same Check value runs two ways: as a Ginkgo spec (Area registers it in
// the Ginkgo tree, labelled by feature and area) and directly through Run,
// which the deviation tests use to prove each check fails against a gateway
// that deviates.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
)

// Check is one conformance check.
type Check struct {
	Name        string // short, unique, CamelCase: "IntegrationTimeoutExceeded"
	Feature     string // the profile feature it needs: "integration-timeout"
	Section     string // behaviour spec section: "§1.1"
	Description string // the documented behaviour, one sentence
	// Needs lists fixture roles (profile routes) and capabilities the check
	// needs beyond its feature, e.g. "route:delay" or "fixture-counters";
	// when the profile lacks one the check is skipped with the reason.
	Needs []string
	// Scenario marks a load scenario: its failure is a gate failure, and it
	// may end Invalid when the load generator cannot keep up.
	Scenario bool
	Test     func(t *T)
}

// T is what a check receives: Gomega assertions that fail the check, the
// target under test and a context bounded by the profile's spec timeout.
type T struct {
	gomega.Gomega
	Ctx    context.Context
	Target *Target
	// Feature is the running check's feature: a helper shared by several
	// areas uses it to tell the behaviour under test from details that
	// belong to another feature (an error body belongs to gateway-responses).
	Feature string
	logf    func(format string, args ...any)
	skip    func(reason string)
	grade   func(reason string)
	record  func(*reports.Scenario)
}

// RecordScenario attaches a load scenario's measurements to the report.
func (t *T) RecordScenario(sc *reports.Scenario) { t.record(sc) }

// Invalid stops a load scenario without a verdict: the load generator, not
// the target, was the limit.
func (t *T) Invalid(format string, args ...any) { t.skip(InvalidPrefix + fmt.Sprintf(format, args...)) }

// ConfigError stops the check without a verdict because the profile asks
// it to do what it must not, e.g. send traffic beyond the profile's safety
// bounds. It is reported as a configuration error, and the run exits with
// runner.ExitConfig.
func (t *T) ConfigError(format string, args ...any) {
	t.skip(ConfigErrorPrefix + fmt.Sprintf(format, args...))
}

// ArtifactPath is where a check may keep a file (e.g. raw Vegeta results),
// or "" when the run keeps none.
func (t *T) ArtifactPath(name string) string {
	if t.Target.ArtifactsDir == "" {
		return ""
	}
	return filepath.Join(t.Target.ArtifactsDir, name)
}

// ArtifactRef is how the report names the artifact ArtifactPath(name)
// gives: its slash-separated path relative to the report directory, so a
// report directory stays whole when moved or published ("" when the run
// keeps no artifacts).
func (t *T) ArtifactRef(name string) string {
	path := t.ArtifactPath(name)
	if path == "" || t.Target.ReportDir == "" {
		return path
	}
	if rel, err := filepath.Rel(t.Target.ReportDir, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}

// InvalidPrefix starts the skip message of an invalid load scenario.
const InvalidPrefix = "invalid: "

// ConfigErrorPrefix starts the skip message of a check stopped by
// ConfigError.
const ConfigErrorPrefix = "configuration error: "

// NonStrict records that the check passed with an outcome the profile
// declares for its gateway but AWS would not give, e.g. a 503 instead of a
// 429 (Autobahn's NON-STRICT grade). The check goes on.
func (t *T) NonStrict(format string, args ...any) { t.grade(fmt.Sprintf(format, args...)) }

// Logf records progress (Ginkgo's By, or the test log).
func (t *T) Logf(format string, args ...any) { t.logf(format, args...) }

// Skipf stops the check as skipped, with the reason.
func (t *T) Skipf(format string, args ...any) { t.skip(fmt.Sprintf(format, args...)) }

// Area groups the checks of one behaviour area (one spec file).
type Area struct {
	Name   string // label value: "timeouts"
	Title  string // heading: "Integration timeout"
	Checks []Check
}

var (
	registryMu sync.Mutex
	registry   = map[string]registered{}
)

type registered struct {
	Check
	Area string
}

func register(area string, c Check) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if c.Name == "" || c.Feature == "" || c.Section == "" || c.Description == "" || c.Test == nil {
		panic(fmt.Sprintf("conformance: check %q in area %q must set Name, Feature, Section, Description and Test", c.Name, area))
	}
	if _, dup := registry[c.Name]; dup {
		panic("conformance: duplicate check name " + c.Name)
	}
	registry[c.Name] = registered{Check: c, Area: area}
	if c.Scenario { // profile thresholds may name it or its feature
		profile.RegisterScenario(c.Name, c.Feature)
	}
}

// Lookup returns a registered check and its area.
func Lookup(name string) (Check, string, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	r, ok := registry[name]
	return r.Check, r.Area, ok
}

// Labels are a registered check's Ginkgo labels, which --label-filter
// selects on: area:<area>, feature:<feature>, and scenario for a load
// scenario.
func Labels(name string) []string {
	c, area, ok := Lookup(name)
	if !ok {
		return nil
	}
	labels := []string{"area:" + area, "feature:" + c.Feature}
	if c.Scenario {
		labels = append(labels, "scenario")
	}
	return labels
}

// Checks lists every registered check name, sorted.
func Checks() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Outcome of running a check outside Ginkgo.
var (
	ErrUnsupported = errors.New("unsupported")
	ErrSkipped     = errors.New("skipped")
	ErrInvalid     = errors.New("invalid")
	ErrConfig      = errors.New("configuration error")
)

// NonStrict is Run's result for a check that passed with a NON-STRICT grade.
type NonStrict struct{ Reason string }

func (n *NonStrict) Error() string { return "NON-STRICT: " + n.Reason }

// Failure is a check's failure outside Ginkgo.
type Failure struct{ Message string }

func (f *Failure) Error() string { return f.Message }

type stop struct{ err error }

// Run runs one check against target outside Ginkgo and returns nil when it
// passes, a *NonStrict when it passes with that grade, a *Failure when an
// assertion fails (or it panics), or an error wrapping ErrUnsupported,
// ErrSkipped, ErrInvalid or ErrConfig.
func Run(ctx context.Context, c Check, target *Target, logf func(string, ...any)) (err error) {
	if reason := target.Unmet(c); reason != "" {
		if !target.Profile.Supports(c.Feature) {
			return fmt.Errorf("%w: %s", ErrUnsupported, reason)
		}
		return fmt.Errorf("%w: %s", ErrSkipped, reason)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithTimeout(ctx, target.Profile.Waits.Spec)
	defer cancel()
	g := gomega.NewGomega(func(message string, _ ...int) { panic(stop{&Failure{Message: message}}) })
	var graded []string
	t := &T{Gomega: g, Ctx: ctx, Target: target, Feature: c.Feature, logf: logf,
		skip: func(reason string) {
			if r, ok := strings.CutPrefix(reason, InvalidPrefix); ok {
				panic(stop{fmt.Errorf("%w: %s", ErrInvalid, r)})
			}
			if r, ok := strings.CutPrefix(reason, ConfigErrorPrefix); ok {
				panic(stop{fmt.Errorf("%w: %s", ErrConfig, r)})
			}
			panic(stop{fmt.Errorf("%w: %s", ErrSkipped, reason)})
		},
		grade:  func(reason string) { graded = append(graded, reason) },
		record: func(*reports.Scenario) {}}
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(stop); ok {
				err = s.err
				return
			}
			err = &Failure{Message: fmt.Sprintf("panic: %v", r)}
		}
	}()
	c.Test(t)
	if len(graded) > 0 {
		return &NonStrict{Reason: strings.Join(graded, "; ")}
	}
	return nil
}

// SpecText is the Ginkgo spec text for a check.
func SpecText(c Check) string {
	return c.Name + ": " + strings.TrimSuffix(c.Description, ".") + " (" + c.Section + ")"
}

// Do sends r to the target; a transport error fails the check.
func (t *T) Do(r Request) *Response {
	resp, err := t.Target.Do(t.Ctx, r)
	t.Expect(err).NotTo(gomega.HaveOccurred(), "%s %s", r.Method, r.URL)
	return resp
}

// Get is Do for a GET with optional headers.
func (t *T) Get(url string, header http.Header) *Response {
	return t.Do(Request{URL: url, Header: header})
}

// Invocations returns how many requests carrying scope reached the fixture.
func (t *T) Invocations(scope string) int64 {
	n, err := t.Target.Invocations(t.Ctx, scope)
	t.Expect(err).NotTo(gomega.HaveOccurred(), "reading the fixture's invocation counters")
	return n
}
