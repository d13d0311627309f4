package suites

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
	"github.com/gatecheck/gatecheck/scenarios/throttle"
)

// FeatureThrottling: token-bucket throttling of stages and methods (spec §3.1).
const FeatureThrottling = "throttling"

// Limit is a token bucket a profile claims: rate per second and burst.
type Limit struct {
	RateLimit  float64 `yaml:"rateLimit"`
	BurstLimit int     `yaml:"burstLimit"`
}

// ThrottlingConfig is what a profile claims for throttling.
type ThrottlingConfig struct {
	Method Limit `yaml:"method"` // routes.throttled: a method with its own methodSettings entry
	Load   Limit `yaml:"load"`   // routes.throttled-load, for the load scenario
	// Override is a second stage whose "*/*" limit is low and on which
	// routes.throttled has its own, higher entry.
	Override struct {
		Stage       string `yaml:"stage"`
		StageLimit  Limit  `yaml:"stageLimit"`
		MethodLimit Limit  `yaml:"methodLimit"`
	} `yaml:"override"`
	// ThrottledStatus is the status the gateway throttles with: 429 on AWS;
	// another (nginx's 503) passes graded NON-STRICT.
	ThrottledStatus int `yaml:"throttledStatus"`
	// Slack is how many requests beyond the token-bucket bound are
	// tolerated (AWS documents its limits as best effort).
	Slack int `yaml:"slack"`
	// LoadTolerance is the fraction the load scenario allows around the
	// token-bucket bound on accepted requests (default 0.05).
	LoadTolerance float64 `yaml:"loadTolerance"`
	// LoadDuration is each load phase's length (default 2s; AWS: 10s).
	LoadDuration time.Duration `yaml:"loadDuration"`
}

func (c *ThrottlingConfig) Validate() []string {
	var p []string
	for _, l := range []struct {
		name  string
		limit Limit
	}{{"method", c.Method}, {"load", c.Load}, {"override.stageLimit", c.Override.StageLimit}, {"override.methodLimit", c.Override.MethodLimit}} {
		p = append(p, validateLimit(l.name, l.limit)...)
	}
	if c.Override.Stage == "" {
		p = append(p, "override.stage is required: a stage whose \"*/*\" limit is below routes.throttled's own entry")
	} else if c.Override.StageLimit.sane() && c.Override.MethodLimit.sane() && c.Override.MethodLimit.BurstLimit <= 2*c.Override.StageLimit.BurstLimit+2 {
		p = append(p, fmt.Sprintf("override.methodLimit.burstLimit: %d must exceed 2 × override.stageLimit.burstLimit + 2 = %d", c.Override.MethodLimit.BurstLimit, 2*c.Override.StageLimit.BurstLimit+2))
	}
	if c.ThrottledStatus < 400 || c.ThrottledStatus > 599 {
		p = append(p, fmt.Sprintf("throttledStatus: %d is not a 4xx/5xx status", c.ThrottledStatus))
	}
	if c.LoadDuration < 500*time.Millisecond || c.LoadDuration > 5*time.Minute {
		p = append(p, fmt.Sprintf("loadDuration: %v must be between 500ms and 5m", c.LoadDuration))
	}
	if c.Slack < 0 || c.Slack > maxSlack {
		p = append(p, fmt.Sprintf("slack: %d must be 0–%d", c.Slack, maxSlack))
	}
	if !(c.LoadTolerance >= 0 && c.LoadTolerance < 1) {
		p = append(p, fmt.Sprintf("loadTolerance: %g must be in [0, 1)", c.LoadTolerance))
	}
	return p
}

// loadMultiples are the throttling load scenario's attack rates, as
// multiples of features.throttling.load.rateLimit.
var loadMultiples = []float64{0.5, 2, 5}

// ValidateBounds checks the traffic each check sends against b: the
// bursts of 2 × burstLimit + 2 requests (the override check sends two, back
// to back) and the load scenario's fastest attack.
func (c *ThrottlingConfig) ValidateBounds(b profile.Bounds) []string {
	var p []string
	if l := c.Method; l.sane() {
		n := 2*l.BurstLimit + 2
		p = append(p, overMaxRate("method.burstLimit", n,
			fmt.Sprintf("ThrottleBurstThenRefill and ThrottledResponseTooManyRequests release 2 × %d + 2 = %d requests together", l.BurstLimit, n),
			atMost("burstLimit", (b.MaxRate-2)/2, 1), b))
	}
	if l := c.Override.StageLimit; l.sane() {
		n := 2 * (2*l.BurstLimit + 2)
		p = append(p, overMaxRate("override.stageLimit.burstLimit", n,
			fmt.Sprintf("MethodThrottleOverridesStage releases two bursts of 2 × %d + 2 requests back to back, %d within one second", l.BurstLimit, n),
			atMost("burstLimit", (b.MaxRate-4)/4, 1), b))
	}
	if l := c.Load; l.sane() {
		top := loadMultiples[len(loadMultiples)-1]
		rate := ceilRate(top, l.RateLimit)
		p = append(p, overMaxRate("load.rateLimit", rate,
			fmt.Sprintf("ThrottleUnderLoad attacks at up to %g × %g = %d requests/s", top, l.RateLimit, rate),
			atMost("rateLimit", int(float64(b.MaxRate)/top), 1), b))
	}
	return nonEmpty(p)
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureThrottling, Description: "token-bucket throttling (spec §3.1)", NewConfig: func() any {
		return &ThrottlingConfig{ThrottledStatus: http.StatusTooManyRequests, LoadTolerance: 0.05, LoadDuration: 2 * time.Second}
	}})
}

func throttlingConfig(t *conformance.T) *ThrottlingConfig {
	c, _ := profile.Config[*ThrottlingConfig](t.Target.Profile, FeatureThrottling)
	return c
}

// burst sends n requests released together and returns the responses and
// the time from the release to the last response. A burst beyond the
// profile's safety bounds is not sent: the check stops as a configuration
// error.
func burst(t *conformance.T, url string, n int, h http.Header) ([]*conformance.Response, time.Duration) {
	boundBurst(t, url, n)
	responses, errs := make([]*conformance.Response, n), make([]error, n)
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		ready.Add(1)
		done.Add(1)
		go func(i int) {
			defer done.Done()
			ready.Done()
			<-release
			responses[i], errs[i] = t.Target.Do(t.Ctx, conformance.Request{URL: url, Header: h})
		}(i)
	}
	ready.Wait()
	start := time.Now()
	close(release)
	done.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		t.Expect(err).NotTo(HaveOccurred(), "burst request to %s", url)
	}
	return responses, elapsed
}

// outcome counts a burst: accepted (200), throttled (429, or the status the
// profile declares, graded NON-STRICT) and anything else.
type outcome struct {
	accepted, throttled, other int
	sample                     *conformance.Response // one throttled response
	statuses                   map[int]int
}

func classify(t *conformance.T, responses []*conformance.Response, throttledStatus int) outcome {
	o := outcome{statuses: map[int]int{}}
	for _, r := range responses {
		o.statuses[r.Status]++
		switch {
		case r.Status == http.StatusOK:
			o.accepted++
		case r.Status == http.StatusTooManyRequests || r.Status == throttledStatus:
			o.throttled++
			if o.sample == nil {
				o.sample = r
			}
		default:
			o.other++
		}
	}
	if throttledStatus != http.StatusTooManyRequests && o.statuses[throttledStatus] > 0 {
		t.NonStrict("throttled with %d as the profile declares; API Gateway answers 429", throttledStatus)
	}
	return o
}

// bucketBound is the most a token bucket can admit in elapsed: its burst
// plus what refills meanwhile, plus the profile's slack.
func bucketBound(l Limit, elapsed time.Duration, slack int) int {
	return l.BurstLimit + int(math.Ceil(l.RateLimit*elapsed.Seconds())) + slack
}

// waitForRefill lets an idle bucket fill to its burst: burst/rate seconds is
// the documented refill time (spec §3.1), so this wait is the behaviour
// under test, not a synchronisation guess.
func waitForRefill(t *conformance.T, l Limit) {
	d := scenarios.RefillTime(l.RateLimit, l.BurstLimit)
	t.Logf("letting the bucket refill for %v (burst/rate)", d)
	select {
	case <-time.After(d):
	case <-t.Ctx.Done():
	}
}

// refillPoll is how often the refill check polls: four times per token,
// but never faster than target.maxRate.
func refillPoll(t *conformance.T, l Limit) time.Duration {
	return max(time.Duration(0.25/l.RateLimit*float64(time.Second)), time.Second/time.Duration(max(t.Target.Profile.Target.MaxRate, 1)))
}

// throttleUnderLoad runs the Vegeta throttling scenario.
func throttleUnderLoad(t *conformance.T) {
	cfg := throttlingConfig(t)
	sc := runScenario(t, "ThrottleUnderLoad", FeatureThrottling, func(raw io.Writer) (*reports.Scenario, error) {
		return throttle.Run(t.Ctx, throttle.Options{
			URL: t.Target.URL("throttled-load"), RateLimit: cfg.Load.RateLimit, BurstLimit: cfg.Load.BurstLimit, Multiples: loadMultiples,
			Duration: cfg.LoadDuration, ThrottledStatus: cfg.ThrottledStatus, Tolerance: cfg.LoadTolerance,
			AllowNonLoopback: t.Target.Profile.Target.AllowNonLoopback, MaxRate: t.Target.Profile.Target.MaxRate, Raw: raw,
		})
	})
	declared := 0
	for _, ph := range sc.Phases {
		declared += ph.StatusCodes[strconv.Itoa(cfg.ThrottledStatus)]
	}
	if cfg.ThrottledStatus != http.StatusTooManyRequests && declared > 0 {
		t.NonStrict("throttled with %d as the profile declares; API Gateway answers 429", cfg.ThrottledStatus)
	}
	judge(t, sc)
}

// throttledBody wants a throttled response's 429 and grades its message:
// "Too Many Requests" is OBS in spec §3.1 but listed UNCONFIRMED in §14, so
// another message is NON-STRICT, never a failure.
func throttledBody(t *conformance.T, resp *conformance.Response) {
	t.Expect(resp.Status).To(Equal(http.StatusTooManyRequests), "status: %s", resp)
	if msg, _ := resp.Message(); msg != "Too Many Requests" {
		t.NonStrict("throttled body message %q; AWS's \"Too Many Requests\" is OBS only (spec §3.1, §14)", msg)
	}
}

// throttledErrorType grades a throttled response's x-amzn-ErrorType. The
// only source for TooManyRequestsException is LocalStack's parity table,
// not a recording or AWS document (spec §3.1, §4): another value is
// NON-STRICT, never a failure.
func throttledErrorType(t *conformance.T, resp *conformance.Response) {
	if got := resp.Header.Get("x-amzn-ErrorType"); got != "TooManyRequestsException" {
		t.NonStrict("x-amzn-ErrorType %q on a throttled response; TooManyRequestsException is UNCONFIRMED (LocalStack's parity table only)", got)
	}
}

var _ = conformance.Register(conformance.Area{
	Name:  "throttling",
	Title: "Stage and method throttling",
	Checks: []conformance.Check{
		{
			Name:        "ThrottleBurstThenRefill",
			Feature:     FeatureThrottling,
			Section:     "§3.1",
			Description: "A method's token bucket admits its burst at once, throttles the rest, and admits again after 1/rate",
			Needs:       []string{conformance.NeedRoute("throttled")},
			Test: func(t *conformance.T) {
				cfg := throttlingConfig(t)
				url, n := t.Target.URL("throttled"), 2*cfg.Method.BurstLimit+2
				boundBurst(t, url, n) // before waiting for a refill
				waitForRefill(t, cfg.Method)
				responses, elapsed := burst(t, url, n, nil)
				o := classify(t, responses, cfg.ThrottledStatus)
				t.Expect(o.other).To(BeZero(), "every response is accepted or throttled: %v", o.statuses)
				t.Expect(o.accepted).To(BeNumerically(">=", cfg.Method.BurstLimit-cfg.Slack), "a full bucket admits its burst: %v", o.statuses)
				t.Expect(o.accepted).To(BeNumerically("<=", bucketBound(cfg.Method, elapsed, cfg.Slack)), "no more than burst + rate × %v: %v", elapsed, o.statuses)
				t.Expect(o.throttled).To(BeNumerically(">=", 1), "requests beyond the burst are throttled: %v", o.statuses)
				t.Eventually(func(g Gomega) {
					r, err := t.Target.Get(t.Ctx, url, nil)
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(r.Status).To(Equal(http.StatusOK))
				}).WithTimeout(time.Duration(2/cfg.Method.RateLimit*float64(time.Second))+t.Target.Profile.Tolerances.TimeoutLate).
					WithPolling(refillPoll(t, cfg.Method)).Should(Succeed(), "the bucket refills one token per 1/rate")
			},
		},
		{
			Name:        "ThrottledResponseTooManyRequests",
			Feature:     FeatureThrottling,
			Section:     "§3.1, §13.2",
			Description: `A throttled request gets 429 and never reaches the backend; the body {"message":"Too Many Requests"} (OBS, UNCONFIRMED in spec §14), x-amzn-ErrorType TooManyRequestsException (LocalStack's parity table only) and the absence of Retry-After (untagged in the spec) are graded NON-STRICT when they differ`,
			Needs:       []string{conformance.NeedRoute("throttled"), conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				cfg := throttlingConfig(t)
				url, n := t.Target.URL("throttled"), 2*cfg.Method.BurstLimit+2
				boundBurst(t, url, n)
				waitForRefill(t, cfg.Method)
				scope := conformance.NewScope()
				responses, _ := burst(t, url, n, conformance.ScopeHeader(scope))
				o := classify(t, responses, cfg.ThrottledStatus)
				t.Expect(o.sample).NotTo(BeNil(), "no request was throttled: %v", o.statuses)
				if o.sample.Status == http.StatusTooManyRequests {
					throttledBody(t, o.sample)
					throttledErrorType(t, o.sample)
				}
				if ra := o.sample.Header.Get("Retry-After"); ra != "" {
					t.NonStrict("Retry-After %q on a throttled response: no AWS source says either way for throttling (spec §13.2, untagged)", ra)
				}
				t.Expect(t.Invocations(scope)).To(Equal(int64(o.accepted)), "only accepted requests reach the backend")
			},
		},
		{
			Name:        "ThrottleUnderLoad",
			Feature:     FeatureThrottling,
			Section:     "§3.1",
			Description: "Under constant load at 0.5×, 2× and 5× a method's rate limit, the accepted count stays within the token-bucket bound (burst + rate × duration, ± the profile's tolerance) and nothing is throttled below the limit",
			Needs:       []string{conformance.NeedRoute("throttled-load")},
			Scenario:    true,
			Test:        throttleUnderLoad,
		},
		{
			Name:        "MethodThrottleOverridesStage",
			Feature:     FeatureThrottling,
			Section:     "§3.1",
			Description: `A stage's "*/*" throttle applies to every method without its own methodSettings entry, and a method's own entry replaces it: on a stage with a low "*/*", the same burst is throttled on a plain method and not on one with a higher own limit`,
			Needs:       []string{conformance.NeedRoute("throttled"), conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				cfg := throttlingConfig(t)
				ov := cfg.Override
				n := 2*ov.StageLimit.BurstLimit + 2
				throttledPath, _ := t.Target.Profile.Route("throttled")
				inspectPath, _ := t.Target.Profile.Route("inspect")
				ownURL, plainURL := t.Target.StageURL(ov.Stage, throttledPath), t.Target.StageURL(ov.Stage, inspectPath)
				// Two bursts back to back: within one second, both count.
				boundBurst(t, ownURL, 2*n)
				waitForRefill(t, ov.StageLimit)
				own, _ := burst(t, ownURL, n, nil)
				plain, elapsed2 := burst(t, plainURL, n, nil)
				o1, o2 := classify(t, own, cfg.ThrottledStatus), classify(t, plain, cfg.ThrottledStatus)
				t.Expect(o1.throttled).To(BeZero(), "the method's own, higher limit applies, not \"*/*\": %v", o1.statuses)
				t.Expect(o1.accepted).To(Equal(n), "%v", o1.statuses)
				t.Expect(o2.other).To(BeZero(), "%v", o2.statuses)
				t.Expect(o2.throttled).To(BeNumerically(">=", 1), "\"*/*\" throttles a method without its own entry: %v", o2.statuses)
				t.Expect(o2.accepted).To(BeNumerically("<=", bucketBound(ov.StageLimit, elapsed2, cfg.Slack)), "%v", o2.statuses)
			},
		},
	},
})
