package suites_test

// A profile whose claimed values would make a check send traffic beyond the
// profile's own safety bounds, or whose values are absurd, is rejected when
// it loads, with the YAML path of each offending field.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/profile"
)

func referenceYAML(t *testing.T) string {
	t.Helper()
	b, err := fixtures.Files.ReadFile(fixtures.ReferenceProfile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old with new in y, failing when old is not there (so a
// changed fixture cannot make a case vacuous).
func edit(t *testing.T, y, old, new string) string {
	t.Helper()
	if !strings.Contains(y, old) {
		t.Fatalf("the reference profile no longer contains %q", old)
	}
	return strings.Replace(y, old, new, 1)
}

func withMaxRate(t *testing.T, y, rate string) string {
	return edit(t, y, "  embedded: true\n", "  embedded: true\n  maxRate: "+rate+"\n")
}

func TestProfileRejectsTrafficBeyondItsBounds(t *testing.T) {
	const (
		method      = "method: {rateLimit: 10, burstLimit: 5}"
		load        = "load: {rateLimit: 200, burstLimit: 50}"
		stageLimit  = "stageLimit: {rateLimit: 10, burstLimit: 5}"
		methodLimit = "methodLimit: {rateLimit: 1000, burstLimit: 500}"
		plan        = "methodThrottle: {rateLimit: 1, burstLimit: 1}"
		quota       = "quota: {limit: 5, period: DAY}"
	)
	cases := []struct {
		name string
		edit func(t *testing.T, y string) string
		want [][]string // each problem: substrings that must appear on one line
	}{
		{"burstLimit 4.6e18", func(t *testing.T, y string) string {
			return edit(t, y, method, "method: {rateLimit: 10, burstLimit: 4.6e18}")
		}, [][]string{{"features.throttling.method.burstLimit:", "1000000"}}},
		{"rateLimit 1e300", func(t *testing.T, y string) string {
			return edit(t, y, load, "load: {rateLimit: 1e300, burstLimit: 50}")
		}, [][]string{{"features.throttling.load.rateLimit:", "1000000"}}},
		{"rateLimit NaN", func(t *testing.T, y string) string {
			return edit(t, y, method, "method: {rateLimit: .nan, burstLimit: 5}")
		}, [][]string{{"features.throttling.method.rateLimit:", "NaN"}}},
		{"rateLimit +Inf", func(t *testing.T, y string) string {
			return edit(t, y, stageLimit, "stageLimit: {rateLimit: .inf, burstLimit: 5}")
		}, [][]string{{"features.throttling.override.stageLimit.rateLimit:", "1000000"}}},
		{"negative rateLimit and burstLimit", func(t *testing.T, y string) string {
			return edit(t, y, plan, "methodThrottle: {rateLimit: -1, burstLimit: -3}")
		}, [][]string{{"features.usage-plans.methodThrottle.rateLimit:", "-1"}, {"features.usage-plans.methodThrottle.burstLimit:", "-3"}}},
		{"refill slower than the longest wait", func(t *testing.T, y string) string {
			return edit(t, y, method, "method: {rateLimit: 0.001, burstLimit: 5}")
		}, [][]string{{"features.throttling.method", "refill", "10m0s"}}},
		{"absurd slack", func(t *testing.T, y string) string {
			return edit(t, y, "planId: gatecheck-quota", "planId: gatecheck-quota\n    slack: 9223372036854775807")
		}, [][]string{{"features.usage-plans.slack:", "1000"}}},
		{"the burst of 1,168 requests the issue saw, maxRate 100", func(t *testing.T, y string) string {
			return edit(t, withMaxRate(t, y, "100"), method, "method: {rateLimit: 10, burstLimit: 583}")
		}, [][]string{{"features.throttling.method.burstLimit:", "1168", "target.maxRate 100", "at most 49"}}},
		{"two override bursts back to back", func(t *testing.T, y string) string {
			y = withMaxRate(t, y, "100")
			return edit(t, y, stageLimit, "stageLimit: {rateLimit: 10, burstLimit: 30}")
		}, [][]string{{"features.throttling.override.stageLimit.burstLimit:", "124", "target.maxRate 100", "at most 24"}}},
		{"usage-plan burst above maxRate", func(t *testing.T, y string) string {
			y = edit(t, withMaxRate(t, y, "20"), plan, "methodThrottle: {rateLimit: 1, burstLimit: 10}")
			return edit(t, y, quota, "quota: {limit: 100, period: DAY}")
		}, [][]string{{"features.usage-plans.methodThrottle.burstLimit:", "22", "target.maxRate 20"}}},
		{"usage-plan burst beyond the quota", func(t *testing.T, y string) string {
			return edit(t, y, plan, "methodThrottle: {rateLimit: 1, burstLimit: 10}")
		}, [][]string{{"features.usage-plans.quota.limit:", "22"}}},
		{"every load scenario above maxRate 100, reported at once", func(t *testing.T, y string) string {
			return withMaxRate(t, y, "100")
		}, [][]string{
			{"features.throttling.load.rateLimit:", "5 × 200", "1000", "target.maxRate 100", "at most 20"},
			{"features.cache.loadRate:", "200", "target.maxRate 100"},
			{"features.canary.loadRate:", "1500", "target.maxRate 100"},
			{"features.websocket-callbacks.loadRate:", "500", "target.maxRate 100"},
		}},
		{"callback connections above maxRate", func(t *testing.T, y string) string {
			y = edit(t, withMaxRate(t, y, "1000"), "loadConnections: 100", "loadConnections: 2000")
			return y
		}, [][]string{{"features.websocket-callbacks.loadConnections:", "2000", "target.maxRate 1000"}}},
		{"load durations beyond scenarios.MaxDuration", func(t *testing.T, y string) string {
			y = edit(t, y, "loadDuration: 2s", "loadDuration: 11m")
			y = edit(t, y, "loadDuration: 4s", "loadDuration: 1h")
			return edit(t, y, "loadDuration: 3s", "loadDuration: 20m")
		}, [][]string{{"features.cache.loadDuration:", "10m0s"}, {"features.canary.loadDuration:", "10m0s"}, {"features.websocket-callbacks.loadDuration:", "10m0s"}}},
		{"negative maxRate", func(t *testing.T, y string) string { return withMaxRate(t, y, "-1") },
			[][]string{{"target.maxRate:", "-1", "20000"}}},
		{"maxRate above the hard limit", func(t *testing.T, y string) string { return withMaxRate(t, y, "30000") },
			[][]string{{"target.maxRate:", "30000", "20000"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := profile.Load("bounds.yaml", []byte(c.edit(t, referenceYAML(t))))
			var pe *profile.Error
			if !errors.As(err, &pe) {
				t.Fatalf("want a *profile.Error, got %v", err)
			}
			if pe.File != "bounds.yaml" {
				t.Errorf("the error names %q, not the file", pe.File)
			}
			for _, want := range c.want {
				if !anyProblemHasAll(pe.Problems, want) {
					t.Errorf("no problem mentions all of %q:\n  %s", want, strings.Join(pe.Problems, "\n  "))
				}
			}
			for _, p := range pe.Problems {
				if strings.Contains(p, "above target.maxRate") && !strings.Contains(p, "fix:") {
					t.Errorf("problem without a fix: %s", p)
				}
			}
		})
	}
}

func anyProblemHasAll(problems, subs []string) bool {
	for _, p := range problems {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(p, s)
		}
		if all {
			return true
		}
	}
	return false
}

// The shipped profiles are within their own bounds.
func TestShippedProfilesAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "fixtures", "profiles", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("shipped profiles: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := profile.Load(f, data); err != nil {
			t.Error(err)
		}
	}
}
