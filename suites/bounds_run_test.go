package suites_test

// At run time no check sends a burst or an attack beyond the profile's
// safety bounds, even when the profile's values bypassed validation (a
// library caller's WithFeatureConfig): the check stops as a configuration
// error before the first request.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/suites"
)

// boundedTarget is the reference profile with target.maxRate 100 against a
// gateway that counts what reaches it, with edit applied to its throttling
// and usage-plans configurations without validation.
func boundedTarget(t *testing.T, edit func(*suites.ThrottlingConfig, *suites.UsagePlansConfig)) (*conformance.Target, *atomic.Int64) {
	t.Helper()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	t.Cleanup(srv.Close)
	p, err := runner.LoadProfile("")
	if err != nil {
		t.Fatal(err)
	}
	th, _ := profile.Config[*suites.ThrottlingConfig](p, suites.FeatureThrottling)
	up, _ := profile.Config[*suites.UsagePlansConfig](p, suites.FeatureUsagePlans)
	thr, plans := *th, *up
	edit(&thr, &plans)
	q := p.WithFeatureConfig(suites.FeatureThrottling, &thr).WithFeatureConfig(suites.FeatureUsagePlans, &plans)
	q.Target.MaxRate = 100
	q.Target.RestURL, q.Target.FixtureURL, q.Target.ManagementURL = srv.URL, srv.URL, srv.URL
	tg := conformance.NewTarget(&q)
	t.Cleanup(tg.Close)
	return tg, &got
}

func TestTrafficBeyondMaxRateIsAConfigError(t *testing.T) {
	cases := []struct {
		check string
		edit  func(*suites.ThrottlingConfig, *suites.UsagePlansConfig)
		want  string
	}{
		// Issue 10: 1,168 requests in 100 ms with maxRate 100.
		{"ThrottleBurstThenRefill", func(c *suites.ThrottlingConfig, _ *suites.UsagePlansConfig) { c.Method.BurstLimit = 583 }, "a burst of 1168 requests"},
		{"ThrottledResponseTooManyRequests", func(c *suites.ThrottlingConfig, _ *suites.UsagePlansConfig) { c.Method.BurstLimit = 583 }, "a burst of 1168 requests"},
		// 2 × 30 + 2 = 62 per burst is within 100; the two back to back are not.
		{"MethodThrottleOverridesStage", func(c *suites.ThrottlingConfig, _ *suites.UsagePlansConfig) { c.Override.StageLimit.BurstLimit = 30 }, "a burst of 124 requests"},
		{"UsagePlanMethodThrottle", func(_ *suites.ThrottlingConfig, c *suites.UsagePlansConfig) {
			c.MethodThrottle.BurstLimit, c.Quota.Limit = 60, 500
		}, "a burst of 122 requests"},
		// 2 × 200 = 400 requests/s (and 5 × 200); this was reported "skipped" before.
		{"ThrottleUnderLoad", func(*suites.ThrottlingConfig, *suites.UsagePlansConfig) {}, "rate 400/s is above the profile's maxRate 100"},
	}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			tg, got := boundedTarget(t, c.edit)
			check, _, _ := conformance.Lookup(c.check)
			err := conformance.Run(context.Background(), check, tg, nil)
			if !errors.Is(err, conformance.ErrConfig) {
				t.Fatalf("want a configuration error, got %v", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "maxRate 100") {
				t.Errorf("the reason %q does not say %q and name maxRate 100", err, c.want)
			}
			if n := got.Load(); n != 0 {
				t.Errorf("%d requests reached the gateway; want none", n)
			}
		})
	}
}

func TestBurstOffLoopbackWithoutOptInIsAConfigError(t *testing.T) {
	tg, _ := boundedTarget(t, func(*suites.ThrottlingConfig, *suites.UsagePlansConfig) {})
	// TEST-NET-1: never routed, so a request that escaped would hang, not pass.
	tg.Profile.Target.RestURL = "http://192.0.2.1:9"
	check, _, _ := conformance.Lookup("ThrottleBurstThenRefill")
	err := conformance.Run(context.Background(), check, tg, nil)
	if !errors.Is(err, conformance.ErrConfig) || !strings.Contains(err.Error(), "not on loopback") {
		t.Fatalf("want a configuration error about loopback, got %v", err)
	}
}
