package suites_test

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/suites"
)

// A static split (canary.static): the gateway's own configuration fixes
// the share, as nginx's split_clients or HAProxy's rand do, and there is
// no control plane. Here the reference gateway's canary stage stays at
// percentTraffic 0 and a wrapper makes each request a canary one with
// probability share, or by rule.
func staticSplit(ref http.Handler, canary func() bool) http.Handler {
	return mockRewrite(ref, "/canary/", func(d map[string]string) {
		if canary() {
			makeCanary(d)
		}
	})
}

// staticProfile claims a static 10 % split and has no management API.
func staticProfile(p profile.Profile) profile.Profile {
	cfg, _ := profile.Config[*suites.CanaryConfig](&p, suites.FeatureCanary)
	static := *cfg
	static.Static = true
	p = p.WithFeatureConfig(suites.FeatureCanary, &static)
	p.Target.ManagementURL = ""
	p.Target.Credentials = "none"
	return p
}

func runStatic(t *testing.T, h http.Handler, check string) error {
	ref := gatewayWith(t, nil, gateway.Options{})
	tg := targetFor(t, h, ref)
	p := staticProfile(*tg.Profile)
	tg.Profile = &p
	return run(t, check, tg)
}

func TestStaticSplitJudgedWithoutManagement(t *testing.T) {
	for _, check := range []string{"CanarySplit", "CanaryNoStickiness"} {
		t.Run(check, func(t *testing.T) {
			t.Parallel()
			ref := gatewayWith(t, nil, gateway.Options{})
			if err := runStatic(t, staticSplit(ref, func() bool { return rand.Float64() < 0.10 }), check); err != nil {
				t.Fatalf("%s against a static 10 %% split: %v", check, err)
			}
		})
	}
	// The checks that move or promote a split need the control plane.
	ref := gatewayWith(t, nil, gateway.Options{})
	if err := runStatic(t, ref, "CanaryZeroPercent"); !errors.Is(err, conformance.ErrSkipped) {
		t.Fatalf("CanaryZeroPercent without a management API: %v, want skipped", err)
	}
}

func TestStaticSplitDeviationsFail(t *testing.T) {
	for _, d := range []struct {
		name   string
		canary func() func() bool
		fails  []string
	}{
		{"20 % instead of 10 %", func() func() bool { return func() bool { return rand.Float64() < 0.20 } }, []string{"CanarySplit"}},
		{"no canary at all", func() func() bool { return func() bool { return false } }, []string{"CanarySplit", "CanaryNoStickiness"}},
		{"every tenth request, in turn", func() func() bool {
			var n atomic.Int64
			return func() bool { return n.Add(1)%10 == 0 }
		}, []string{"CanaryNoStickiness"}},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ref := gatewayWith(t, nil, gateway.Options{})
			for _, check := range d.fails {
				var f *conformance.Failure
				if err := runStatic(t, staticSplit(ref, d.canary()), check); !errors.As(err, &f) {
					t.Errorf("%s should fail against a static split with %s, got %v", check, d.name, err)
				}
			}
		})
	}
}
