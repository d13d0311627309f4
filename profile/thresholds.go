package profile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Threshold is one parsed entry of a profile's thresholds, in the spirit of
// k6's: a scenario metric, a comparison and a bound, e.g. "p99_added < 2ms".
// A scenario breaching one fails, which is a gate failure (exit code 4).
type Threshold struct {
	Expression string  // as written in the profile
	Metric     string  // one of ThresholdMetrics
	Op         string  // <, <=, > or >=
	Value      float64 // the bound in seconds (every metric is a latency)
}

// Holds reports whether measured (seconds) satisfies the threshold.
func (th Threshold) Holds(measured float64) bool {
	switch th.Op {
	case "<":
		return measured < th.Value
	case "<=":
		return measured <= th.Value
	case ">":
		return measured > th.Value
	case ">=":
		return measured >= th.Value
	}
	return false
}

// ThresholdMetrics are the metrics a threshold may name, with what they
// measure. Every one is a latency, so every bound needs a duration unit.
var ThresholdMetrics = map[string]string{
	"p50":       "the highest median latency over the scenario's phases and outcomes",
	"p90":       "the highest 90th percentile latency over the scenario's phases and outcomes",
	"p99":       "the highest 99th percentile latency over the scenario's phases and outcomes",
	"max":       "the highest latency of any request of the scenario",
	"p50_added": "the median latency the gateway adds over calling the fixture directly (latency-overhead)",
	"p90_added": "the 90th percentile latency the gateway adds (latency-overhead)",
	"p99_added": "the 99th percentile latency the gateway adds (latency-overhead)",
}

var thresholdExpr = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)\s*(<=|>=|<|>)\s*(\S+)\s*$`)

// ParseThreshold parses "metric op value", e.g. "p99 < 10ms".
func ParseThreshold(expr string) (Threshold, error) {
	m := thresholdExpr.FindStringSubmatch(expr)
	if m == nil {
		return Threshold{}, fmt.Errorf("%q is not `metric op value` (fix: e.g. \"p99 < 10ms\"; op is <, <=, > or >=)", expr)
	}
	th := Threshold{Expression: strings.TrimSpace(expr), Metric: m[1], Op: m[2]}
	if _, ok := ThresholdMetrics[th.Metric]; !ok {
		return Threshold{}, fmt.Errorf("%q: unknown metric %q (fix: one of %s)", expr, th.Metric, strings.Join(slices.Sorted(maps.Keys(ThresholdMetrics)), ", "))
	}
	if _, err := strconv.ParseFloat(m[3], 64); err == nil {
		return Threshold{}, fmt.Errorf("%q: %s has no unit (fix: a duration such as %sms)", expr, m[3], m[3])
	}
	d, err := time.ParseDuration(m[3])
	if err != nil || d < 0 {
		return Threshold{}, fmt.Errorf("%q: %q is not a duration (fix: e.g. 2ms, 500us, 1.5s)", expr, m[3])
	}
	th.Value = d.Seconds()
	return th, nil
}

var (
	scenariosMu sync.RWMutex
	scenarios   = map[string]string{} // load scenario check name → its feature
)

// RegisterScenario declares a load scenario check by name and feature, so
// that thresholds may name either (package conformance calls it).
func RegisterScenario(name, feature string) {
	scenariosMu.Lock()
	defer scenariosMu.Unlock()
	scenarios[name] = feature
}

// validateThresholds parses every threshold and reports every problem,
// each under its field path (thresholds.<key>[i]).
func (p *Profile) validateThresholds() []string {
	scenariosMu.RLock()
	defer scenariosMu.RUnlock()
	known := map[string]bool{}
	for name, feature := range scenarios {
		known[name], known[feature] = true, true
	}
	var problems []string
	p.thresholds = map[string][]Threshold{}
	for _, key := range slices.Sorted(maps.Keys(p.Thresholds)) {
		if !known[key] {
			problems = append(problems, fmt.Sprintf("thresholds.%s: no load scenario or scenario feature is named %q (fix: one of %s)", key, key, strings.Join(slices.Sorted(maps.Keys(known)), ", ")))
			continue
		}
		if len(p.Thresholds[key]) == 0 {
			problems = append(problems, fmt.Sprintf("thresholds.%s: empty (fix: a list such as [\"p99 < 10ms\"], or remove the key)", key))
		}
		for i, expr := range p.Thresholds[key] {
			th, err := ParseThreshold(expr)
			if err != nil {
				problems = append(problems, fmt.Sprintf("thresholds.%s[%d]: %v", key, i, err))
				continue
			}
			p.thresholds[key] = append(p.thresholds[key], th)
		}
	}
	return problems
}

// ThresholdsFor returns the thresholds that apply to a scenario: those
// under its check name, then those under its feature.
func (p *Profile) ThresholdsFor(name, feature string) []Threshold {
	return append(slices.Clone(p.thresholds[name]), p.thresholds[feature]...)
}

// BaselineTolerance is how much slower than a baseline run a scenario may
// get before `gatecheck run --baseline` flags a regression: a latency
// quantile regresses when it is, with confidence 1 − alpha over the whole
// comparison, above base × (1 + relative) + absolute. A value left at 0
// takes its default.
type BaselineTolerance struct {
	Relative float64       `yaml:"relative"` // default 0.2 (20 %)
	Absolute time.Duration `yaml:"absolute"` // default 500µs
	Alpha    float64       `yaml:"alpha"`    // default 1e-6: the chance of flagging an unchanged gateway
}

// DefaultBaselineTolerance is the tolerance a profile gets when it sets
// none: a slowdown both significant at alpha 1e-6 and over 20 % + 0.5 ms.
func DefaultBaselineTolerance() BaselineTolerance {
	var b BaselineTolerance
	b.applyDefaults()
	return b
}

func (b *BaselineTolerance) applyDefaults() {
	if b.Relative == 0 {
		b.Relative = 0.2
	}
	if b.Absolute == 0 {
		b.Absolute = 500 * time.Microsecond
	}
	if b.Alpha == 0 {
		b.Alpha = 1e-6
	}
}

func (b *BaselineTolerance) validate() []string {
	var p []string
	if !(b.Relative > 0 && b.Relative <= 10) {
		p = append(p, fmt.Sprintf("baseline.relative: %g must be in (0, 10] (fix: e.g. 0.2 for 20 %%)", b.Relative))
	}
	if b.Absolute < 0 {
		p = append(p, fmt.Sprintf("baseline.absolute: %v must not be negative (fix: e.g. 500us)", b.Absolute))
	}
	if !(b.Alpha > 0 && b.Alpha <= 0.05) {
		p = append(p, fmt.Sprintf("baseline.alpha: %g must be in (0, 0.05] (fix: e.g. 1e-6)", b.Alpha))
	}
	return p
}
