package suites

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
)

// addedValues maps the threshold metrics of the latency-overhead scenario
// to the phase values it records them under.
var addedValues = map[string]string{"p50_added": "p50AddedSeconds", "p90_added": "p90AddedSeconds", "p99_added": "p99AddedSeconds"}

// scenarioMetric measures a threshold metric on a scenario, in seconds:
// the latency quantiles are the highest over its phases and outcomes (a
// bound holds for every phase; the latency-overhead scenario's direct
// phase times the fixture, not the gateway, and does not count), the added latencies come from the phase
// that records them.
func scenarioMetric(sc *reports.Scenario, metric string) (float64, bool) {
	found, worst := false, 0.0
	take := func(v float64) {
		if !found || v > worst {
			worst, found = v, true
		}
	}
	for _, ph := range sc.Phases {
		if key, ok := addedValues[metric]; ok {
			if v, ok := ph.Values[key]; ok {
				take(v)
			}
			continue
		}
		if ph.Name == overhead.DirectAttack {
			continue // the fixture's own latency, not the gateway's
		}
		for _, l := range ph.Latency {
			if l.Count == 0 {
				continue
			}
			switch metric {
			case "p50":
				take(l.P50)
			case "p90":
				take(l.P90)
			case "p99":
				take(l.P99)
			case "max":
				take(l.Max)
			}
		}
	}
	return worst, found
}

// applyThresholds judges the profile's thresholds on sc and records each
// with its measured value. A breach fails a passed scenario (a gate
// failure); an invalid one stays invalid, since its measurements mean
// nothing, but its thresholds are still shown.
func applyThresholds(sc *reports.Scenario, ths []profile.Threshold) {
	var breached []string
	for _, th := range ths {
		v, found := scenarioMetric(sc, th.Metric)
		r := reports.ThresholdResult{Expression: th.Expression, Measured: v, Found: found, Passed: found && th.Holds(v)}
		sc.Thresholds = append(sc.Thresholds, r)
		switch {
		case !found:
			breached = append(breached, fmt.Sprintf("threshold %q: the scenario does not measure %s", th.Expression, th.Metric))
		case !r.Passed:
			breached = append(breached, fmt.Sprintf("threshold %q breached: %s is %v", th.Expression, th.Metric, seconds(v)))
		}
	}
	if len(breached) > 0 && sc.Verdict == reports.Passed {
		sc.Verdict, sc.Reason = reports.Failed, strings.Join(breached, "; ")
	}
}

// seconds renders a measurement in seconds as a readable duration.
func seconds(v float64) time.Duration {
	return time.Duration(v * float64(time.Second)).Round(time.Microsecond)
}
