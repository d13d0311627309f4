package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// StageCaches is what the stage cache exposes to control actions.
type StageCaches interface {
	Flush(stage string) bool
	Size(stage string) string
	Resize(stage, size string) error
}

// Stages wires the stage routes for the API with the given id: GetStage,
// UpdateStage (variables, canary settings and promotion, cache size) and
// FlushStageCache.
func (a *API) Stages(apiID string, stages *canary.Stages, caches StageCaches) {
	stage := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		if r.PathValue("restapi_id") != apiID {
			Error(w, http.StatusNotFound, "NotFoundException", "Invalid API identifier specified")
			return "", false
		}
		name := r.PathValue("stage_name")
		if stages.Get(name) == nil {
			Error(w, http.StatusNotFound, "NotFoundException", "Invalid stage identifier specified")
			return "", false
		}
		return name, true
	}
	a.Handle("GET /restapis/{restapi_id}/stages/{stage_name}", func(w http.ResponseWriter, r *http.Request) {
		if name, ok := stage(w, r); ok {
			JSON(w, http.StatusOK, stageJSON(stages.Get(name), caches.Size(name)))
		}
	})
	a.Handle("DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/data", func(w http.ResponseWriter, r *http.Request) {
		name, ok := stage(w, r)
		if !ok {
			return
		}
		if !caches.Flush(name) {
			Error(w, http.StatusBadRequest, "BadRequestException", "Stage "+name+" has no cache cluster")
			return
		}
		w.WriteHeader(http.StatusAccepted) // FlushStageCache: 202 (spec §5)
	})
	a.Handle("PATCH /restapis/{restapi_id}/stages/{stage_name}", func(w http.ResponseWriter, r *http.Request) {
		name, ok := stage(w, r)
		if !ok {
			return
		}
		var req patchRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			Error(w, http.StatusBadRequest, "BadRequestException", "Invalid patch request: "+err.Error())
			return
		}
		var resize []string
		// The whole patch applies to a copy, published only if every
		// operation is valid (UpdateStage is all or nothing).
		st, err := stages.Update(name, func(st *restapi.Stage) error {
			for _, op := range req.PatchOperations {
				if op.Path == "/cacheClusterSize" && op.Op == "replace" {
					if !slices.Contains(restapi.CacheClusterSizes, op.Value) {
						return fmt.Errorf("Invalid cache cluster size %s", op.Value)
					}
					// Checked here so that the resize below cannot fail
					// after the rest of the patch was published.
					if caches.Size(name) == "" {
						return fmt.Errorf("Stage %s has no cache cluster to resize", name)
					}
					resize = append(resize, op.Value)
					continue
				}
				if err := applyStagePatch(st, op.Op, op.Path, op.From, op.Value); err != nil {
					return err
				}
			}
			for _, id := range []string{st.DeploymentID, canaryDeployment(st)} {
				if id != "" && a.Deployments != nil && !a.Deployments[id] {
					return fmt.Errorf("Invalid deployment identifier specified: %s", id)
				}
			}
			problems := restapi.ValidateStageVariables("variables", st.Variables)
			if st.CanarySettings != nil {
				problems = append(problems, restapi.ValidateStageVariables("canarySettings.stageVariableOverrides", st.CanarySettings.StageVariableOverrides)...)
			}
			if len(problems) > 0 {
				return errors.New(strings.Join(problems, "; "))
			}
			return nil
		})
		if err != nil {
			Error(w, http.StatusBadRequest, "BadRequestException", err.Error())
			return
		}
		for _, size := range resize {
			if err := caches.Resize(name, size); err != nil {
				Error(w, http.StatusBadRequest, "BadRequestException", err.Error())
				return
			}
		}
		JSON(w, http.StatusOK, stageJSON(st, caches.Size(name)))
	})
}

// applyStagePatch applies one UpdateStage operation with AWS's semantics
// (spec §6): promotion copies the canary's overrides into the variables and
// its deployment into the stage; it does not remove the canary.
func applyStagePatch(st *restapi.Stage, op, path, from, value string) error {
	canaryFields := func() error {
		if st.CanarySettings == nil {
			return errors.New("Promotion not available. Canary does not exist.")
		}
		return nil
	}
	switch {
	case op == "copy" && path == "/variables" && from == "/canarySettings/stageVariableOverrides":
		if err := canaryFields(); err != nil {
			return err
		}
		if st.Variables == nil {
			st.Variables = map[string]string{}
		}
		for k, v := range st.CanarySettings.StageVariableOverrides {
			st.Variables[k] = v
		}
	case op == "copy" && path == "/deploymentId" && from == "/canarySettings/deploymentId":
		if err := canaryFields(); err != nil {
			return err
		}
		st.DeploymentID = st.CanarySettings.DeploymentID
	case op == "copy":
		return fmt.Errorf("Invalid copy from %s to %s: copy is only valid from /canarySettings/deploymentId to /deploymentId and from /canarySettings/stageVariableOverrides to /variables", from, path)
	case op == "remove" && path == "/canarySettings":
		st.CanarySettings = nil
	case (op == "replace" || op == "add") && strings.HasPrefix(path, "/variables/"):
		if st.Variables == nil {
			st.Variables = map[string]string{}
		}
		st.Variables[strings.TrimPrefix(path, "/variables/")] = value
	case op == "remove" && strings.HasPrefix(path, "/variables/"):
		delete(st.Variables, strings.TrimPrefix(path, "/variables/"))
	case op == "replace" && path == "/deploymentId":
		if st.CanarySettings != nil {
			return errors.New("Stage has a canary: remove canarySettings before pointing the stage at another deployment")
		}
		st.DeploymentID = value
	case (op == "replace" || op == "add") && strings.HasPrefix(path, "/canarySettings/"):
		if st.CanarySettings == nil {
			st.CanarySettings = &restapi.CanarySettings{}
		}
		return applyCanaryField(st.CanarySettings, strings.TrimPrefix(path, "/canarySettings/"), value)
	default:
		return fmt.Errorf("Invalid patch path %s for op %s", path, op)
	}
	return nil
}

func applyCanaryField(cs *restapi.CanarySettings, field, value string) error {
	switch {
	case field == "percentTraffic":
		p, err := strconv.ParseFloat(value, 64)
		if err != nil || !(p >= 0 && p <= 100) { // also rejects NaN
			return fmt.Errorf("Invalid percentTraffic %q: a number from 0 to 100", value)
		}
		cs.PercentTraffic = p
	case field == "deploymentId":
		cs.DeploymentID = value
	case field == "useStageCache":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("Invalid useStageCache %q", value)
		}
		cs.UseStageCache = b
	case strings.HasPrefix(field, "stageVariableOverrides/"):
		if cs.StageVariableOverrides == nil {
			cs.StageVariableOverrides = map[string]string{}
		}
		cs.StageVariableOverrides[strings.TrimPrefix(field, "stageVariableOverrides/")] = value
	default:
		return fmt.Errorf("Invalid patch path /canarySettings/%s", field)
	}
	return nil
}

func canaryDeployment(st *restapi.Stage) string {
	if st.CanarySettings == nil {
		return ""
	}
	return st.CanarySettings.DeploymentID
}

func stageJSON(st *restapi.Stage, cacheSize string) map[string]any {
	out := map[string]any{"stageName": st.StageName, "deploymentId": st.DeploymentID, "variables": st.Variables,
		"cacheClusterEnabled": cacheSize != "", "cacheClusterStatus": "NOT_AVAILABLE"}
	if cacheSize != "" {
		out["cacheClusterSize"], out["cacheClusterStatus"] = cacheSize, "AVAILABLE"
	}
	if cs := st.CanarySettings; cs != nil {
		out["canarySettings"] = map[string]any{"percentTraffic": cs.PercentTraffic, "deploymentId": cs.DeploymentID,
			"stageVariableOverrides": cs.StageVariableOverrides, "useStageCache": cs.UseStageCache}
	}
	return out
}
