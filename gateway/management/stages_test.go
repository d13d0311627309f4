package management

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func canaryStage() *restapi.Stage {
	return &restapi.Stage{StageName: "s", DeploymentID: "d1", Variables: map[string]string{"version": "v1", "color": "blue"},
		CanarySettings: &restapi.CanarySettings{PercentTraffic: 10, DeploymentID: "d2", StageVariableOverrides: map[string]string{"version": "v2", "extra": "x"}}}
}

func TestPromotionPatch(t *testing.T) {
	st := canaryStage()
	for _, op := range [][4]string{
		{"replace", "/canarySettings/percentTraffic", "", "0"},
		{"copy", "/variables", "/canarySettings/stageVariableOverrides", ""},
		{"copy", "/deploymentId", "/canarySettings/deploymentId", ""},
	} {
		if err := applyStagePatch(st, op[0], op[1], op[2], op[3]); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	if st.Variables["version"] != "v2" || st.Variables["extra"] != "x" || st.Variables["color"] != "blue" || st.DeploymentID != "d2" {
		t.Fatalf("promoted stage: %+v", st)
	}
	if st.CanarySettings == nil || st.CanarySettings.PercentTraffic != 0 {
		t.Fatal("promotion keeps the canary, at 0 % (spec §6)")
	}
}

func TestPatchErrors(t *testing.T) {
	noCanary := &restapi.Stage{StageName: "s", Variables: map[string]string{}}
	cases := []struct {
		st                    *restapi.Stage
		op, path, from, value string
		want                  string
	}{
		{noCanary, "copy", "/variables", "/canarySettings/stageVariableOverrides", "", "Promotion not available. Canary does not exist."},
		{noCanary, "copy", "/deploymentId", "/canarySettings/deploymentId", "", "Canary does not exist"},
		{canaryStage(), "copy", "/variables", "/stageName", "", "copy is only valid"},
		{canaryStage(), "replace", "/canarySettings/percentTraffic", "", "101", "0 to 100"},
		{canaryStage(), "replace", "/canarySettings/percentTraffic", "", "ten", "0 to 100"},
		{canaryStage(), "replace", "/canarySettings/percentTraffic", "", "NaN", "0 to 100"},
		{canaryStage(), "replace", "/deploymentId", "", "d3", "remove canarySettings"},
		{canaryStage(), "move", "/variables/x", "", "", "Invalid patch path"},
	}
	for _, c := range cases {
		err := applyStagePatch(c.st, c.op, c.path, c.from, c.value)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want an error containing %q", c.op, c.path, err, c.want)
		}
	}
}

func TestVariableAndCanaryFieldPatches(t *testing.T) {
	st := &restapi.Stage{StageName: "s"}
	for _, op := range [][3]string{
		{"replace", "/variables/a", "1"},
		{"replace", "/canarySettings/percentTraffic", "12.5"},
		{"replace", "/canarySettings/stageVariableOverrides/a", "2"},
		{"replace", "/canarySettings/useStageCache", "true"},
		{"replace", "/canarySettings/deploymentId", "d9"},
	} {
		if err := applyStagePatch(st, op[0], op[1], "", op[2]); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	cs := st.CanarySettings
	if st.Variables["a"] != "1" || cs.PercentTraffic != 12.5 || cs.StageVariableOverrides["a"] != "2" || !cs.UseStageCache || cs.DeploymentID != "d9" {
		t.Fatalf("stage: %+v canary %+v", st, cs)
	}
	if err := applyStagePatch(st, "remove", "/variables/a", "", ""); err != nil || len(st.Variables) != 0 {
		t.Fatalf("remove variable: %v %v", err, st.Variables)
	}
	if err := applyStagePatch(st, "remove", "/canarySettings", "", ""); err != nil || st.CanarySettings != nil {
		t.Fatal("remove canarySettings")
	}
}
