package suites

import (
	"net/http"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureAPIKeys: API keys on methods with apiKeyRequired (spec §3.3).
const FeatureAPIKeys = "api-keys"

// APIKeysConfig gives the key values the checks send on routes.keyed.
type APIKeysConfig struct {
	Valid      string `yaml:"valid"`      // enabled, in a plan for the stage
	Disabled   string `yaml:"disabled"`   // disabled, in a plan for the stage
	OtherStage string `yaml:"otherStage"` // enabled, in a plan for another stage only
}

// Secrets are the key values: reports show REDACTED in their place.
func (c *APIKeysConfig) Secrets() []string { return []string{c.Valid, c.Disabled, c.OtherStage} }

func (c *APIKeysConfig) Validate() []string {
	if c.Valid == "" || c.Disabled == "" || c.OtherStage == "" {
		return []string{"valid, disabled and otherStage key values are required"}
	}
	return nil
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureAPIKeys, Description: "API keys (spec §3.3)", NewConfig: func() any { return &APIKeysConfig{} }})
}

func apiKeysConfig(t *conformance.T) *APIKeysConfig {
	c, _ := profile.Config[*APIKeysConfig](t.Target.Profile, FeatureAPIKeys)
	return c
}

// rejectedKey is a check that a request with key (from the profile) gets
// 403 Forbidden without reaching the backend.
func rejectedKey(name, description string, key func(*APIKeysConfig) string) conformance.Check {
	return conformance.Check{
		Name:        name,
		Feature:     FeatureAPIKeys,
		Section:     "§3.3",
		Description: description + `: 403 {"message":"Forbidden"} (ForbiddenException) and the backend is not invoked`,
		Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedFixtureCounters},
		Test: func(t *conformance.T) {
			scope := conformance.NewScope()
			h := conformance.ScopeHeader(scope)
			if v := key(apiKeysConfig(t)); v != "" {
				h.Set("x-api-key", v)
			}
			expectGatewayError(t, t.Get(t.Target.URL("keyed"), h), http.StatusForbidden, "Forbidden", "ForbiddenException")
			t.Expect(t.Invocations(scope)).To(BeZero(), "a rejected key must not reach the backend")
		},
	}
}

var _ = conformance.Register(conformance.Area{
	Name:  "api-keys",
	Title: "API keys",
	Checks: []conformance.Check{
		{
			Name:        "APIKeyValid",
			Feature:     FeatureAPIKeys,
			Section:     "§3.3",
			Description: "An enabled key in a plan for the stage reaches the backend",
			Needs:       []string{conformance.NeedRoute("keyed"), conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				scope := conformance.NewScope()
				h := conformance.ScopeHeader(scope)
				h.Set("x-api-key", apiKeysConfig(t).Valid)
				r := t.Get(t.Target.URL("keyed"), h)
				t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
				t.Expect(t.Invocations(scope)).To(Equal(int64(1)))
			},
		},
		rejectedKey("APIKeyMissing", "A method with apiKeyRequired called with no x-api-key header", func(*APIKeysConfig) string { return "" }),
		rejectedKey("APIKeyUnknown", "An x-api-key value that is no key", func(*APIKeysConfig) string { return "gatecheckNoSuchKey0000000000" }),
		rejectedKey("APIKeyDisabled", "A disabled key", func(c *APIKeysConfig) string { return c.Disabled }),
		rejectedKey("APIKeyNotInPlanForStage", "A key whose plans do not cover this stage", func(c *APIKeysConfig) string { return c.OtherStage }),
		{
			Name:        "APIKeyIgnoredWithoutRequirement",
			Feature:     FeatureAPIKeys,
			Section:     "§3.3",
			Description: "A method without apiKeyRequired ignores x-api-key entirely, even a bogus one",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				r := t.Get(t.Target.URL("inspect"), header("x-api-key", "gatecheckNoSuchKey0000000000"))
				t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
			},
		},
	},
})
