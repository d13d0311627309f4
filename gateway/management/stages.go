package management

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// StageCaches is what the stage cache exposes to control actions.
type StageCaches interface {
	Flush(stage string) bool
	Size(stage string) string
	Resize(stage, size string) error
}

// Stages wires the stage routes: GetStage, UpdateStage (cache size) and
// FlushStageCache, for the API with the given id.
func (a *API) Stages(apiID string, stages []restapi.Stage, caches StageCaches) {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.StageName
	}
	stage := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		if r.PathValue("restapi_id") != apiID {
			Error(w, http.StatusNotFound, "NotFoundException", "Invalid API identifier specified")
			return "", false
		}
		name := r.PathValue("stage_name")
		if !slices.Contains(names, name) {
			Error(w, http.StatusNotFound, "NotFoundException", "Invalid stage identifier specified")
			return "", false
		}
		return name, true
	}
	stageJSON := func(name string) map[string]any {
		size := caches.Size(name)
		out := map[string]any{"stageName": name, "cacheClusterEnabled": size != "", "cacheClusterStatus": "NOT_AVAILABLE"}
		if size != "" {
			out["cacheClusterSize"], out["cacheClusterStatus"] = size, "AVAILABLE"
		}
		return out
	}
	a.Handle("GET /restapis/{restapi_id}/stages/{stage_name}", func(w http.ResponseWriter, r *http.Request) {
		if name, ok := stage(w, r); ok {
			JSON(w, http.StatusOK, stageJSON(name))
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
		// Validate all operations before applying any.
		for _, op := range req.PatchOperations {
			if op.Op != "replace" || op.Path != "/cacheClusterSize" {
				Error(w, http.StatusBadRequest, "BadRequestException", "Invalid patch path "+op.Path+" for op "+op.Op+"; the emulator supports replace /cacheClusterSize")
				return
			}
			if !slices.Contains(restapi.CacheClusterSizes, op.Value) {
				Error(w, http.StatusBadRequest, "BadRequestException", "Invalid cache cluster size "+op.Value)
				return
			}
		}
		for _, op := range req.PatchOperations {
			if err := caches.Resize(name, op.Value); err != nil {
				Error(w, http.StatusBadRequest, "BadRequestException", err.Error())
				return
			}
		}
		JSON(w, http.StatusOK, stageJSON(name))
	})
}
