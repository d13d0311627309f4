package suites

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
)

// FeatureLatencyOverhead: the latency the gateway adds over calling the
// fixture directly, measured under constant load. It runs against any
// profile with target.fixtureURL; its verdict comes from the profile's
// thresholds (e.g. "p99_added < 2ms") and from the baseline comparison.
const FeatureLatencyOverhead = "latency-overhead"

// OverheadConfig is what a profile sets for the latency-overhead scenario.
type OverheadConfig struct {
	Rate          int           `yaml:"rate"`          // requests per second on each side (default 200)
	Rounds        int           `yaml:"rounds"`        // alternations of direct and gateway rounds (default 4)
	RoundDuration time.Duration `yaml:"roundDuration"` // each side's round (default 250ms)
}

func (c *OverheadConfig) Validate() []string {
	var p []string
	if c.Rate < 1 {
		p = append(p, fmt.Sprintf("rate: %d must be at least 1 request per second", c.Rate))
	}
	if c.Rounds < 1 || c.Rounds > 100 {
		p = append(p, fmt.Sprintf("rounds: %d must be 1–100", c.Rounds))
	}
	if c.RoundDuration < 50*time.Millisecond || c.RoundDuration > time.Minute {
		p = append(p, fmt.Sprintf("roundDuration: %v must be between 50ms and 1m", c.RoundDuration))
	}
	return p
}

// ValidateBounds checks the attack rate against target.maxRate.
func (c *OverheadConfig) ValidateBounds(b profile.Bounds) []string {
	if c.Rate < 1 {
		return nil
	}
	return nonEmpty([]string{overMaxRate("rate", c.Rate, fmt.Sprintf("LatencyOverhead attacks at %d requests/s", c.Rate), atMost("rate", b.MaxRate, 1), b)})
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureLatencyOverhead, Description: "the latency the gateway adds over calling the fixture directly, under load", NewConfig: func() any {
		return &OverheadConfig{Rate: 200, Rounds: 4, RoundDuration: 250 * time.Millisecond}
	}})
}

// latencyOverhead runs the overhead scenario: the profile's inspect route
// through the gateway against the fixture's /inspect called directly.
func latencyOverhead(t *conformance.T) {
	cfg, _ := profile.Config[*OverheadConfig](t.Target.Profile, FeatureLatencyOverhead)
	pt := &t.Target.Profile.Target
	header := http.Header{}
	for k, v := range pt.Headers {
		header.Set(k, v)
	}
	sc := runScenario(t, "LatencyOverhead", FeatureLatencyOverhead, func(raw io.Writer) (*reports.Scenario, error) {
		res, err := overhead.Run(t.Ctx, overhead.Options{
			DirectURL: strings.TrimSuffix(pt.FixtureURL, "/") + "/inspect", GatewayURL: t.Target.URL("inspect"), Header: header,
			Rate: cfg.Rate, Rounds: cfg.Rounds, Duration: time.Duration(cfg.Rounds) * cfg.RoundDuration,
			AllowNonLoopback: pt.AllowNonLoopback, MaxRate: pt.MaxRate, Raw: raw,
		})
		if err != nil {
			return nil, err
		}
		return res.Scenario(), nil
	})
	judge(t, sc)
}

var _ = conformance.Register(conformance.Area{
	Name:  "overhead",
	Title: "Latency overhead",
	Checks: []conformance.Check{{
		Name:        "LatencyOverhead",
		Feature:     FeatureLatencyOverhead,
		Section:     "gatecheck",
		Description: "The latency the gateway adds over calling the fixture directly (p50/p90/p99, alternating gateway and direct rounds at the same rate) stays within the profile's thresholds",
		Needs:       []string{conformance.NeedRoute("inspect"), conformance.NeedFixtureCounters},
		Scenario:    true,
		Test:        latencyOverhead,
	}},
})
