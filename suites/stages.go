package suites

import (
	"encoding/json"
	"fmt"
	"net/http"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureStages: stages and stage variables (spec §7).
const FeatureStages = "stages"

// StagesConfig names two stages of the same API and the value each gives
// the stage variable `color`, which routes.mock renders.
type StagesConfig struct {
	Colors map[string]string `yaml:"colors"` // stage name -> its `color` variable
}

func (c *StagesConfig) Validate() []string {
	if len(c.Colors) < 2 {
		return []string{"colors needs two stages with different `color` stage variables"}
	}
	seen := map[string]bool{}
	for _, v := range c.Colors {
		if seen[v] {
			return []string{"colors: each stage must give `color` a different value"}
		}
		seen[v] = true
	}
	return nil
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureStages, Description: "stages and stage variables (spec §7)", NewConfig: func() any { return &StagesConfig{} }})
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// mockDoc is what routes.mock renders from $context and $stageVariables.
type mockDoc struct {
	RequestID string `json:"requestId"`
	Stage     string `json:"stage"`
	Version   string `json:"version"`
	Color     string `json:"color"`
	Extra     string `json:"extra"`
	Undefined string `json:"undefined"`
	Canary    string `json:"canary"`
	// Deployment is $context.deploymentId: the deployment that served.
	Deployment string `json:"deployment"`
}

func mockOn(t *conformance.T, stage string) mockDoc {
	path, _ := t.Target.Profile.Route("mock")
	r := t.Get(t.Target.StageURL(stage, path), nil)
	t.Expect(r.Status).To(Equal(http.StatusOK), "%s", r)
	var d mockDoc
	t.Expect(json.Unmarshal(r.Body, &d)).To(Succeed(), "the mock body is not the reference template's JSON: %s", r)
	return d
}

var _ = conformance.Register(conformance.Area{
	Name:  "stages",
	Title: "Stages and stage variables",
	Checks: []conformance.Check{
		{
			Name: "StageVariablesPerStage", Feature: FeatureStages, Section: "§7",
			Description: "Each stage of one API resolves its own stage variables and $context.stage",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				cfg, _ := profile.Config[*StagesConfig](t.Target.Profile, FeatureStages)
				for stage, color := range cfg.Colors {
					d := mockOn(t, stage)
					t.Expect(d.Stage).To(Equal(stage), "$context.stage")
					t.Expect(d.Color).To(Equal(color), fmt.Sprintf("$stageVariables.color on stage %s", stage))
				}
			},
		},
		{
			Name: "UndefinedStageVariableEmpty", Feature: FeatureStages, Section: "§7",
			Description: `An undefined stage variable renders as ""`,
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				t.Expect(mockOn(t, t.Target.Profile.Target.Stage).Undefined).To(BeEmpty())
			},
		},
		{
			Name: "UnknownStageIsNotServed", Feature: FeatureStages, Section: "§7, §9",
			Description: "A stage name the API does not have is not served: 403 Missing Authentication Token",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				path, _ := t.Target.Profile.Route("mock")
				missingAuthToken(t, t.Get(t.Target.StageURL("gatecheck-nostage", path), nil))
			},
		},
	},
})
