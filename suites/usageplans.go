package suites

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureUsagePlans: usage plan throttles and quotas per API key (spec §3.2).
const FeatureUsagePlans = "usage-plans"

// KeyRef names an API key by its id (for the management API) and value
// (for x-api-key).
type KeyRef struct {
	ID    string `yaml:"id"`
	Value string `yaml:"value"`
}

// UsagePlansConfig is what a profile claims for usage-plans.
type UsagePlansConfig struct {
	PlanID string `yaml:"planId"`
	Quota  struct {
		Limit  int64  `yaml:"limit"`
		Period string `yaml:"period"`
	} `yaml:"quota"`
	// Keys "a" and "b": two keys in the plan, used on routes.keyed.
	Keys map[string]KeyRef `yaml:"keys"`
	// MethodThrottle is the plan's per-method throttle on routes.keyed-method.
	MethodThrottle Limit `yaml:"methodThrottle"`
	// Slack is how many requests past a quota or plan throttle are
	// tolerated (AWS: "clients can exceed the quotas").
	Slack int `yaml:"slack"`
}

// Secrets are the key values: reports show REDACTED in their place.
func (c *UsagePlansConfig) Secrets() []string {
	values := make([]string, 0, len(c.Keys))
	for _, k := range c.Keys {
		values = append(values, k.Value)
	}
	return values
}

func (c *UsagePlansConfig) Validate() []string {
	var p []string
	if c.PlanID == "" {
		p = append(p, "planId is required (the usage plan's id)")
	}
	if c.Quota.Limit < 1 || c.Quota.Limit > 1000 {
		p = append(p, fmt.Sprintf("quota.limit: %d must be 1–1000 (the checks send limit+1 requests)", c.Quota.Limit))
	}
	for _, k := range []string{"a", "b"} {
		if c.Keys[k].ID == "" || c.Keys[k].Value == "" {
			p = append(p, fmt.Sprintf("keys.%s needs id and value: two keys in the plan", k))
		}
	}
	p = append(p, validateLimit("methodThrottle", c.MethodThrottle)...)
	if c.Slack < 0 || c.Slack > maxSlack {
		p = append(p, fmt.Sprintf("slack: %d must be 0–%d", c.Slack, maxSlack))
	}
	if n, ok := c.methodBurst(); ok && c.Quota.Limit >= 1 && int64(n) > c.Quota.Limit {
		p = append(p, fmt.Sprintf("quota.limit: %d does not cover UsagePlanMethodThrottle's burst of 2 × methodThrottle.burstLimit + 2 + slack = %d requests (fix: raise quota.limit to at least %d, or lower methodThrottle.burstLimit)", c.Quota.Limit, n, n))
	}
	return p
}

// methodBurst is how many requests UsagePlanMethodThrottle releases
// together: 2 × methodThrottle.burstLimit + 2 + slack; ok is false when
// those values are themselves invalid.
func (c *UsagePlansConfig) methodBurst() (n int, ok bool) {
	if !c.MethodThrottle.sane() || c.Slack < 0 || c.Slack > maxSlack {
		return 0, false
	}
	return 2*c.MethodThrottle.BurstLimit + 2 + c.Slack, true
}

// ValidateBounds checks UsagePlanMethodThrottle's burst against b.
func (c *UsagePlansConfig) ValidateBounds(b profile.Bounds) []string {
	n, ok := c.methodBurst()
	if !ok {
		return nil
	}
	return nonEmpty([]string{overMaxRate("methodThrottle.burstLimit", n,
		fmt.Sprintf("UsagePlanMethodThrottle releases 2 × %d + 2 + slack %d = %d requests together", c.MethodThrottle.BurstLimit, c.Slack, n),
		atMost("burstLimit", (b.MaxRate-2-c.Slack)/2, 1), b)})
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureUsagePlans, Description: "usage plan throttles and quotas (spec §3.2)", NewConfig: func() any { return &UsagePlansConfig{} }})
}

func usagePlansConfig(t *conformance.T) *UsagePlansConfig {
	c, _ := profile.Config[*UsagePlansConfig](t.Target.Profile, FeatureUsagePlans)
	return c
}

func management(t *conformance.T) *apigateway.Client {
	client, err := t.Target.Management(t.Ctx)
	t.Expect(err).NotTo(HaveOccurred(), "management client")
	return client
}

// resetQuota gives key a whole quota again through UpdateUsage (replace
// /remaining), then waits until GetUsage reports that many remaining: the
// change is eventually consistent on AWS. Only remaining is awaited: on AWS
// "used" is the day's metered count and does not go back to 0.
func resetQuota(t *conformance.T, key KeyRef) {
	cfg := usagePlansConfig(t)
	client := management(t)
	remaining := strconv.FormatInt(cfg.Quota.Limit, 10)
	_, err := client.UpdateUsage(t.Ctx, &apigateway.UpdateUsageInput{
		UsagePlanId: aws.String(cfg.PlanID), KeyId: aws.String(key.ID),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String(remaining)}},
	})
	t.Expect(err).NotTo(HaveOccurred(), "UpdateUsage %s/%s", cfg.PlanID, key.ID)
	t.Eventually(func(g Gomega) {
		_, rem := usage(t, g, key)
		g.Expect(rem).To(Equal(cfg.Quota.Limit))
	}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "quota of %s reset", key.ID)
}

// exhaust spends key's quota: it waits (bounded) for the first accepted
// request, as quota enforcement may lag a reset, then sends until the
// first refusal or limit+slack+1 requests. It returns how many were
// accepted and the refusal (nil if none came).
func exhaust(t *conformance.T, key KeyRef, scope string) (int64, *conformance.Response) {
	cfg := usagePlansConfig(t)
	url := t.Target.URL("keyed")
	t.Eventually(func(g Gomega) {
		r, err := t.Target.Get(t.Ctx, url, keyHeader(key, scope))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
	}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "the first request after a quota reset")
	accepted := int64(1)
	for accepted <= cfg.Quota.Limit+int64(cfg.Slack) {
		r := t.Get(url, keyHeader(key, scope))
		if r.Status != http.StatusOK {
			return accepted, r
		}
		accepted++
	}
	return accepted, nil
}

// usage reads a key's [used, remaining] for the current period.
func usage(t *conformance.T, g Gomega, key KeyRef) (int64, int64) {
	cfg := usagePlansConfig(t)
	today := time.Now().UTC().Format(time.DateOnly)
	out, err := management(t).GetUsage(t.Ctx, &apigateway.GetUsageInput{UsagePlanId: aws.String(cfg.PlanID), KeyId: aws.String(key.ID), StartDate: aws.String(today), EndDate: aws.String(today)})
	g.Expect(err).NotTo(HaveOccurred(), "GetUsage")
	days := out.Items[key.ID]
	g.Expect(days).NotTo(BeEmpty(), "GetUsage has no entry for key %s: %v", key.ID, out.Items)
	last := days[len(days)-1]
	g.Expect(last).To(HaveLen(2))
	return last[0], last[1]
}

func keyHeader(k KeyRef, scope string) http.Header {
	h := conformance.ScopeHeader(scope)
	h.Set("x-api-key", k.Value)
	return h
}

var _ = conformance.Register(conformance.Area{
	Name:  "usage-plans",
	Title: "Usage plans and quotas",
	Checks: []conformance.Check{
		{
			Name:        "QuotaBoundary",
			Feature:     FeatureUsagePlans,
			Section:     "§3.2, §13.2",
			Description: `A key's quota admits exactly its limit; the next request gets 429, no Retry-After, and never reaches the backend. Its body {"message":"Limit Exceeded"} (LimitExceededException, not the throttle body) belongs to gateway-responses: another body is NON-STRICT when the profile does not claim that feature`,
			Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedManagement, conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				key := cfg.Keys["a"]
				resetQuota(t, key)
				scope := conformance.NewScope()
				accepted, over := exhaust(t, key, scope)
				t.Expect(accepted).To(BeNumerically(">=", cfg.Quota.Limit), "the whole quota of %d is admitted", cfg.Quota.Limit)
				t.Expect(over).NotTo(BeNil(), "no request was refused after %d (quota %d + slack %d)", accepted, cfg.Quota.Limit, cfg.Slack)
				expectGatewayError(t, over, http.StatusTooManyRequests, "Limit Exceeded", "LimitExceededException")
				t.Expect(over.Header.Get("Retry-After")).To(BeEmpty(), "%s", over)
				t.Expect(t.Invocations(scope)).To(Equal(accepted), "the request over the quota must not reach the backend")
			},
		},
		{
			Name:        "QuotaPerKeyIsolation",
			Feature:     FeatureUsagePlans,
			Section:     "§3.2",
			Description: "Quotas are counted per API key: when one key's quota is exhausted, another key in the same plan is unaffected",
			Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				a, b := cfg.Keys["a"], cfg.Keys["b"]
				resetQuota(t, a)
				resetQuota(t, b)
				_, over := exhaust(t, a, conformance.NewScope())
				t.Expect(over).NotTo(BeNil(), "key a's quota never ran out")
				expectGatewayError(t, over, http.StatusTooManyRequests, "Limit Exceeded", "LimitExceededException")
				r := t.Get(t.Target.URL("keyed"), keyHeader(b, conformance.NewScope()))
				t.Expect(r.Status).To(Equal(http.StatusOK), "key b in the same plan is unaffected: %s", r)
			},
		},
		{
			Name:        "UsagePlanMethodThrottle",
			Feature:     FeatureUsagePlans,
			Section:     "§3.2",
			Description: "A plan's per-method throttle applies to that method for each key separately: a burst beyond it gets 429 Too Many Requests, and another key is unaffected",
			Needs:       []string{conformance.NeedRoute("keyed-method"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				a, b := cfg.Keys["a"], cfg.Keys["b"]
				url, n := t.Target.URL("keyed-method"), 2*cfg.MethodThrottle.BurstLimit+2+cfg.Slack
				if int64(n) > cfg.Quota.Limit {
					t.ConfigError("features.usage-plans.quota.limit %d does not cover the burst of 2 × methodThrottle.burstLimit + 2 + slack = %d requests", cfg.Quota.Limit, n)
				}
				boundBurst(t, url, n)
				resetQuota(t, a)
				resetQuota(t, b)
				waitForRefill(t, cfg.MethodThrottle)
				responses, elapsed := burst(t, url, n, keyHeader(b, conformance.NewScope()))
				o := classify(t, responses, http.StatusTooManyRequests)
				t.Expect(o.other).To(BeZero(), "%v", o.statuses)
				t.Expect(o.accepted).To(BeNumerically("<=", bucketBound(cfg.MethodThrottle, elapsed, cfg.Slack)), "%v", o.statuses)
				t.Expect(o.throttled).To(BeNumerically(">=", 1), "%v", o.statuses)
				throttledBody(t, o.sample)
				throttledErrorType(t, o.sample)
				r := t.Get(t.Target.URL("keyed-method"), keyHeader(a, conformance.NewScope()))
				t.Expect(r.Status).To(Equal(http.StatusOK), "key a has its own bucket for the method: %s", r)
			},
		},
		{
			Name:        "UsageReported",
			Feature:     FeatureUsagePlans,
			Section:     "§3.2",
			Description: "GetUsage reports a key's used and remaining quota, counting every accepted request",
			Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				key := cfg.Keys["b"]
				resetQuota(t, key)
				var used0, rem0 int64
				t.Eventually(func(g Gomega) { used0, rem0 = usage(t, g, key) }).WithTimeout(t.Target.Profile.Waits.Eventually).Should(Succeed())
				for i := 0; i < 2; i++ {
					r := t.Get(t.Target.URL("keyed"), keyHeader(key, conformance.NewScope()))
					t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
				}
				t.Eventually(func(g Gomega) {
					used, rem := usage(t, g, key)
					g.Expect([]int64{used - used0, rem0 - rem}).To(Equal([]int64{2, 2}), "used and remaining move by the 2 requests")
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed())
			},
		},
	},
})
