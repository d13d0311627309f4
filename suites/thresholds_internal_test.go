package suites

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
)

func mustThreshold(t *testing.T, expr string) profile.Threshold {
	t.Helper()
	th, err := profile.ParseThreshold(expr)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestThresholdsJudgeScenarioMetrics(t *testing.T) {
	scenario := func() *reports.Scenario {
		return &reports.Scenario{Verdict: reports.Passed, Phases: []reports.Phase{
			{Name: "2x", Latency: map[string]reports.Latency{"accepted": {Count: 10, P50: 0.001, P99: 0.004}, "rejected": {Count: 5, P99: 0.009}}},
			{Name: "gateway", Values: map[string]float64{"p99AddedSeconds": 0.0025}, Latency: map[string]reports.Latency{"all": {Count: 3, P99: 0.002}, "none": {Count: 0, P99: 1}}},
		}}
	}
	// p99 is the worst over phases and outcomes (9 ms), outcomes without
	// requests ignored.
	sc := scenario()
	applyThresholds(sc, []profile.Threshold{mustThreshold(t, "p99 < 10ms"), mustThreshold(t, "p99_added < 3ms")})
	if sc.Verdict != reports.Passed || len(sc.Thresholds) != 2 || !sc.Thresholds[0].Passed || sc.Thresholds[0].Measured != 0.009 {
		t.Fatalf("within bounds: %+v", sc)
	}
	sc = scenario()
	applyThresholds(sc, []profile.Threshold{mustThreshold(t, "p99 < 9ms"), mustThreshold(t, "p99_added < 2ms"), mustThreshold(t, "p90_added < 2ms")})
	if sc.Verdict != reports.Failed {
		t.Fatalf("breached thresholds must fail the scenario: %+v", sc)
	}
	for _, want := range []string{`threshold "p99 < 9ms" breached: p99 is 9ms`, `threshold "p99_added < 2ms" breached: p99_added is 2.5ms`, `threshold "p90_added < 2ms": the scenario does not measure p90_added`} {
		if !strings.Contains(sc.Reason, want) {
			t.Errorf("reason %q lacks %q", sc.Reason, want)
		}
	}
	if sc.Thresholds[2].Found || sc.Thresholds[2].Passed {
		t.Errorf("an unmeasured metric is recorded as not found and not passed: %+v", sc.Thresholds[2])
	}
	// An invalid scenario stays invalid: its measurements mean nothing.
	sc = scenario()
	sc.Verdict, sc.Reason = reports.Invalid, "load generator fell short"
	applyThresholds(sc, []profile.Threshold{mustThreshold(t, "p99 < 1ms")})
	if sc.Verdict != reports.Invalid || sc.Reason != "load generator fell short" || len(sc.Thresholds) != 1 || sc.Thresholds[0].Passed {
		t.Fatalf("invalid scenario: %+v", sc)
	}
}

// The latency-overhead scenario's direct phase times the fixture, not the
// gateway: a slow fixture must not breach a gateway latency threshold.
func TestThresholdsIgnoreTheFixturesOwnPhase(t *testing.T) {
	sc := &reports.Scenario{Verdict: reports.Passed, Phases: []reports.Phase{
		{Name: "direct", Latency: map[string]reports.Latency{"all": {Count: 10, P99: 0.050}}},
		{Name: "gateway", Latency: map[string]reports.Latency{"all": {Count: 10, P99: 0.004}}},
	}}
	applyThresholds(sc, []profile.Threshold{mustThreshold(t, "p99 < 10ms")})
	if sc.Verdict != reports.Passed || len(sc.Thresholds) != 1 || sc.Thresholds[0].Measured != 0.004 {
		t.Fatalf("the fixture's 50 ms counted against the gateway: %+v", sc)
	}
}
