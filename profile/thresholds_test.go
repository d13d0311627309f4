package profile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/profile"
)

func init() { profile.RegisterScenario("TestUnderLoad", "test-flag") }

const thresholdBase = "version: 1\nname: t\ntarget: {restURL: http://127.0.0.1:1, stage: test}\nfeatures:\n  test-flag: {}\n"

func TestThresholdsParsedAndApplied(t *testing.T) {
	p, err := profile.Load("t.yaml", []byte(thresholdBase+"thresholds:\n  test-flag: [\"p99_added < 2ms\"]\n  TestUnderLoad: [\"p99 <= 1.5s\", \"p50>=500us\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := p.ThresholdsFor("TestUnderLoad", "test-flag")
	if len(got) != 3 {
		t.Fatalf("want 3 thresholds (check's then feature's), got %+v", got)
	}
	want := []profile.Threshold{
		{Expression: "p99 <= 1.5s", Metric: "p99", Op: "<=", Value: 1.5},
		{Expression: "p50>=500us", Metric: "p50", Op: ">=", Value: 0.0005},
		{Expression: "p99_added < 2ms", Metric: "p99_added", Op: "<", Value: 0.002},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("threshold %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !got[2].Holds(0.0019) || got[2].Holds(0.002) || !got[0].Holds(1.5) || got[1].Holds(0.0004) {
		t.Fatal("Holds compares wrongly")
	}
	if other := p.ThresholdsFor("Other", "other"); len(other) != 0 {
		t.Fatalf("thresholds leaked to another scenario: %v", other)
	}
}

// Every bad expression is reported at once, under its field path, with the fix.
func TestBadThresholdsAllReported(t *testing.T) {
	_, err := profile.Load("t.yaml", []byte(thresholdBase+"thresholds:\n  test-flag: [\"p99_added < 2\", \"p42 < 1ms\", \"p99 ~ 1ms\", \"p99 < soon\"]\n  nonexistent: [\"p99 < 1ms\"]\n  TestUnderLoad: []\n"))
	var pe *profile.Error
	if !asError(err, &pe) {
		t.Fatalf("want a profile error, got %v", err)
	}
	for _, want := range []string{
		"thresholds.TestUnderLoad: empty",
		`thresholds.nonexistent: no load scenario or scenario feature is named "nonexistent" (fix: one of`,
		"thresholds.test-flag[0]: \"p99_added < 2\": 2 has no unit (fix: a duration such as 2ms)",
		`thresholds.test-flag[1]: "p42 < 1ms": unknown metric "p42" (fix: one of max, p50`,
		"thresholds.test-flag[2]: \"p99 ~ 1ms\" is not `metric op value`",
		`thresholds.test-flag[3]: "p99 < soon": "soon" is not a duration`,
	} {
		found := false
		for _, p := range pe.Problems {
			found = found || strings.Contains(p, want)
		}
		if !found {
			t.Errorf("no problem says %q in:\n%s", want, strings.Join(pe.Problems, "\n"))
		}
	}
	if len(pe.Problems) != 6 {
		t.Errorf("want 6 problems, got %d:\n%s", len(pe.Problems), strings.Join(pe.Problems, "\n"))
	}
}

func TestBaselineToleranceDefaultsAndBounds(t *testing.T) {
	p, err := profile.Load("t.yaml", []byte(thresholdBase))
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Baseline; b.Relative != 0.2 || b.Absolute != 500*time.Microsecond || b.Alpha != 1e-6 {
		t.Fatalf("defaults = %+v", b)
	}
	_, err = profile.Load("t.yaml", []byte(thresholdBase+"baseline: {relative: -1, absolute: -1ms, alpha: 0.5}\n"))
	var pe *profile.Error
	if !asError(err, &pe) || len(pe.Problems) != 3 || !strings.Contains(pe.Problems[0], "baseline.relative:") || !strings.Contains(pe.Problems[2], "baseline.alpha:") {
		t.Fatalf("want three baseline problems, got %v", err)
	}
}
