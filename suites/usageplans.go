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
}

func (c *UsagePlansConfig) Validate() []string {
	var p []string
	if c.PlanID == "" {
		p = append(p, "planId is required (the usage plan's id)")
	}
	if c.Quota.Limit < 1 || c.Quota.Limit > 1000 {
		p = append(p, "quota.limit must be 1–1000 (the checks send limit+1 requests)")
	}
	for _, k := range []string{"a", "b"} {
		if c.Keys[k].ID == "" || c.Keys[k].Value == "" {
			p = append(p, fmt.Sprintf("keys.%s needs id and value: two keys in the plan", k))
		}
	}
	if c.MethodThrottle.RateLimit <= 0 || c.MethodThrottle.BurstLimit <= 0 {
		p = append(p, "methodThrottle needs rateLimit and burstLimit")
	}
	return p
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
// /remaining), then waits until GetUsage reports it: the change is
// eventually consistent on AWS.
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
		used, rem := usage(t, g, key)
		g.Expect([]int64{used, rem}).To(Equal([]int64{0, cfg.Quota.Limit}))
	}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "quota of %s reset", key.ID)
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
			Description: `A key's quota admits exactly its limit; the next request gets 429 {"message":"Limit Exceeded"} (LimitExceededException, not the throttle body), no Retry-After, and never reaches the backend`,
			Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedManagement, conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				key := cfg.Keys["a"]
				resetQuota(t, key)
				scope := conformance.NewScope()
				for i := int64(1); i <= cfg.Quota.Limit; i++ {
					r := t.Get(t.Target.URL("keyed"), keyHeader(key, scope))
					t.Expect(r.Status).To(Equal(http.StatusOK), "request %d of a quota of %d: %s", i, cfg.Quota.Limit, r)
				}
				over := t.Get(t.Target.URL("keyed"), keyHeader(key, scope))
				expectGatewayError(t, over, http.StatusTooManyRequests, "Limit Exceeded", "LimitExceededException")
				t.Expect(over.Header.Get("Retry-After")).To(BeEmpty(), "%s", over)
				t.Expect(t.Invocations(scope)).To(Equal(cfg.Quota.Limit), "the request over the quota must not reach the backend")
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
				scope := conformance.NewScope()
				var last *conformance.Response
				for i := int64(0); i <= cfg.Quota.Limit; i++ {
					last = t.Get(t.Target.URL("keyed"), keyHeader(a, scope))
				}
				t.Expect(last.Status).To(Equal(http.StatusTooManyRequests), "key a is exhausted: %s", last)
				r := t.Get(t.Target.URL("keyed"), keyHeader(b, scope))
				t.Expect(r.Status).To(Equal(http.StatusOK), "key b in the same plan is unaffected: %s", r)
			},
		},
		{
			Name:        "UsagePlanMethodThrottle",
			Feature:     FeatureUsagePlans,
			Section:     "§3.2",
			Description: "A plan's per-method throttle applies to that method for each key: a burst beyond it gets 429 Too Many Requests",
			Needs:       []string{conformance.NeedRoute("keyed-method"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := usagePlansConfig(t)
				key := cfg.Keys["b"]
				resetQuota(t, key)
				waitForRefill(t, cfg.MethodThrottle)
				n := cfg.MethodThrottle.BurstLimit + 2
				t.Expect(int64(n)).To(BeNumerically("<=", cfg.Quota.Limit), "profile: the quota must cover methodThrottle.burstLimit + 2")
				responses, elapsed := burst(t, t.Target.URL("keyed-method"), n, keyHeader(key, conformance.NewScope()))
				o := classify(t, responses, http.StatusTooManyRequests)
				t.Expect(o.other).To(BeZero(), "%v", o.statuses)
				t.Expect(o.accepted).To(BeNumerically("<=", bucketBound(cfg.MethodThrottle, elapsed, 0)), "%v", o.statuses)
				t.Expect(o.throttled).To(BeNumerically(">=", 1), "%v", o.statuses)
				expectGatewayError(t, o.sample, http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException")
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
				for i := 0; i < 2; i++ {
					r := t.Get(t.Target.URL("keyed"), keyHeader(key, conformance.NewScope()))
					t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
				}
				t.Eventually(func(g Gomega) {
					used, rem := usage(t, g, key)
					g.Expect([]int64{used, rem}).To(Equal([]int64{2, cfg.Quota.Limit - 2}))
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed())
			},
		},
	},
})
