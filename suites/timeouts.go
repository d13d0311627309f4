package suites

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureIntegrationTimeout: the integration timeout answered with 504 (spec §1).
const FeatureIntegrationTimeout = "integration-timeout"

// IntegrationTimeoutConfig is what a profile claims for integration-timeout.
type IntegrationTimeoutConfig struct {
	// TimeoutMillis is the integration timeout configured on the delay route.
	TimeoutMillis int `yaml:"timeoutMillis"`
}

func (c *IntegrationTimeoutConfig) Validate() []string {
	if c.TimeoutMillis < 50 || c.TimeoutMillis > 300000 {
		return []string{fmt.Sprintf("timeoutMillis %d must be the delay route's integration timeout: 50–29000 ms (up to 300000 with a raised quota)", c.TimeoutMillis)}
	}
	return nil
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureIntegrationTimeout, Description: "integration timeout answered with 504 (spec §1)", NewConfig: func() any { return &IntegrationTimeoutConfig{} }})
}

func timeoutConfig(t *conformance.T) time.Duration {
	c, _ := profile.Config[*IntegrationTimeoutConfig](t.Target.Profile, FeatureIntegrationTimeout)
	return time.Duration(c.TimeoutMillis) * time.Millisecond
}

// overLimitDelay is how long the backend sleeps in the over-limit checks:
// long enough that a gateway answering when the backend finishes (instead
// of when its timer fires) lands outside the tolerance window.
func overLimitDelay(t *conformance.T) time.Duration {
	timeout := timeoutConfig(t)
	return timeout + t.Target.Profile.Tolerances.TimeoutLate + max(timeout, time.Second)
}

func delayURL(t *conformance.T, d time.Duration) string {
	return t.Target.URL("delay", "ms", strconv.FormatInt(d.Milliseconds(), 10))
}

var _ = conformance.Register(conformance.Area{
	Name:  "timeouts",
	Title: "Integration timeout",
	Checks: []conformance.Check{
		{
			Name:        "IntegrationTimeoutNotExceeded",
			Feature:     FeatureIntegrationTimeout,
			Section:     "§1.1",
			Description: "A backend that answers well within the integration timeout is proxied with its own 200",
			Needs:       []string{conformance.NeedRoute("delay")},
			Test: func(t *conformance.T) {
				resp := t.Get(delayURL(t, timeoutConfig(t)/4), nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				doc, err := resp.Document()
				t.Expect(err).NotTo(HaveOccurred())
				t.Expect(doc.InvocationID).NotTo(BeEmpty())
			},
		},
		{
			Name:        "IntegrationTimeoutExceeded",
			Feature:     FeatureIntegrationTimeout,
			Section:     "§1.1",
			Description: `A backend slower than the integration timeout gets 504 {"message": "Endpoint request timed out"} when the timeout expires, not when the backend finishes`,
			Needs:       []string{conformance.NeedRoute("delay")},
			Test: func(t *conformance.T) {
				timeout, tol := timeoutConfig(t), t.Target.Profile.Tolerances
				resp := t.Get(delayURL(t, overLimitDelay(t)), nil)
				expectGatewayError(t, resp, http.StatusGatewayTimeout, "Endpoint request timed out", "")
				t.Expect(resp.Elapsed).To(BeNumerically(">=", timeout-tol.TimeoutEarly),
					"504 arrived %v after the request, before the %v integration timeout (tolerance %v early)", resp.Elapsed, timeout, tol.TimeoutEarly)
				t.Expect(resp.Elapsed).To(BeNumerically("<=", timeout+tol.TimeoutLate),
					"504 arrived %v after the request, later than the %v integration timeout + %v tolerance", resp.Elapsed, timeout, tol.TimeoutLate)
			},
		},
		{
			Name:        "IntegrationTimeoutBackendStillInvoked",
			Feature:     FeatureIntegrationTimeout,
			Section:     "§1.1",
			Description: "A request that times out was still delivered to the backend, which keeps running after the gateway gives up",
			Needs:       []string{conformance.NeedRoute("delay"), conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				scope := conformance.NewScope()
				resp := t.Get(delayURL(t, overLimitDelay(t)), conformance.ScopeHeader(scope))
				t.Expect(resp.Status).To(Equal(http.StatusGatewayTimeout), "%s", resp)
				t.Expect(t.Invocations(scope)).To(Equal(int64(1)), "the backend should have been invoked exactly once")
			},
		},
	},
})
