// Package management emulates the parts of API Gateway's control-plane REST
// API (the "apigateway" service) that gatecheck drives through the AWS SDK
// for Go v2: usage plans, usage and API keys (and, as other features land,
// stage cache flushes and stage updates). Every call must carry a valid
// SigV4 signature, as on AWS.
package management

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/usageplan"
)

// API is the management endpoint handler.
type API struct {
	Plans    *usageplan.Plans
	Verifier *sigv4.Verifier
	Clock    clockwork.Clock
	// Metrics, when set, is served without authentication at /metrics
	// (Prometheus text format).
	Metrics http.Handler
	// Deployments, when set, are the deployment ids that exist: UpdateStage
	// cannot point a stage or its canary anywhere else.
	Deployments map[string]bool
	mux         *http.ServeMux
}

// New returns the management API over plans. Bodies are verified and kept
// up to maxBody bytes (a copy of verifier with that limit).
func New(plans *usageplan.Plans, verifier *sigv4.Verifier, clock clockwork.Clock) *API {
	bounded := *verifier
	bounded.MaxBodyBytes = maxBody
	a := &API{Plans: plans, Verifier: &bounded, Clock: clock, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /usageplans", a.getUsagePlans)
	a.mux.HandleFunc("GET /usageplans/{id}", a.getUsagePlan)
	a.mux.HandleFunc("GET /usageplans/{id}/usage", a.getUsage)
	a.mux.HandleFunc("PATCH /usageplans/{id}/keys/{keyId}/usage", a.updateUsage)
	a.mux.HandleFunc("GET /apikeys", a.getAPIKeys)
	a.mux.HandleFunc("GET /apikeys/{id}", a.getAPIKey)
	return a
}

// Handle adds a route (for features that add control actions).
func (a *API) Handle(pattern string, h http.HandlerFunc) { a.mux.HandleFunc(pattern, h) }

// maxBody bounds what a control-plane request may send (AWS: 6 MB for an
// API import; nothing here needs more than a patch).
const maxBody = 1 << 20

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" && a.Metrics != nil {
		a.Metrics.ServeHTTP(w, r)
		return
	}
	if _, err := a.Verifier.Verify(r, "apigateway"); err != nil {
		status := http.StatusForbidden
		switch {
		case errors.Is(err, sigv4.ErrTooLarge):
			// A correctly signed body over the limit (or one too long to
			// authenticate). The apigateway model has no error for this;
			// the answer is the emulator's.
			status = http.StatusRequestEntityTooLarge
			w.Header().Set("Connection", "close") // the rest of the body is not read
		case errors.Is(err, sigv4.ErrBody):
			status = http.StatusBadRequest
			w.Header().Set("Connection", "close")
		}
		typ, msg := sigv4.ErrorType(err)
		Error(w, status, typ, msg)
		return
	}
	// Verify kept a hashed body (at most maxBody bytes); an UNSIGNED-PAYLOAD
	// body is still unread and is bounded here.
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	// Handler only looks up (it does not fill r.PathValue); ServeHTTP dispatches.
	if _, pattern := a.mux.Handler(r); pattern == "" {
		Error(w, http.StatusNotFound, "NotFoundException", "Invalid request path "+r.URL.Path)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// Error writes an AWS REST-JSON error the SDKs understand.
func Error(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type throttleJSON struct {
	BurstLimit int     `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type quotaJSON struct {
	Limit  int64  `json:"limit"`
	Offset int64  `json:"offset"`
	Period string `json:"period"`
}

type apiStageJSON struct {
	ApiID    string                  `json:"apiId,omitempty"`
	Stage    string                  `json:"stage"`
	Throttle map[string]throttleJSON `json:"throttle,omitempty"`
}

type usagePlanJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	APIStages   []apiStageJSON `json:"apiStages"`
	Throttle    *throttleJSON  `json:"throttle,omitempty"`
	Quota       *quotaJSON     `json:"quota,omitempty"`
}

func planJSON(p *usageplan.Plan) usagePlanJSON {
	out := usagePlanJSON{ID: p.ID, Name: p.Name, Description: p.Description, APIStages: []apiStageJSON{}}
	if p.Throttle != nil {
		out.Throttle = &throttleJSON{BurstLimit: p.Throttle.BurstLimit, RateLimit: p.Throttle.RateLimit}
	}
	if p.Quota != nil {
		out.Quota = &quotaJSON{Limit: p.Quota.Limit, Offset: p.Quota.Offset, Period: p.Quota.Period}
	}
	for _, as := range p.APIStages {
		s := apiStageJSON{Stage: as.Stage}
		if len(as.Throttle) > 0 {
			s.Throttle = map[string]throttleJSON{}
			for k, t := range as.Throttle {
				s.Throttle[k] = throttleJSON{BurstLimit: t.BurstLimit, RateLimit: t.RateLimit}
			}
		}
		out.APIStages = append(out.APIStages, s)
	}
	return out
}

func (a *API) getUsagePlans(w http.ResponseWriter, r *http.Request) {
	items := []usagePlanJSON{}
	for _, p := range a.Plans.AllPlans() {
		items = append(items, planJSON(p))
	}
	JSON(w, http.StatusOK, map[string]any{"item": items}) // "item" on the wire (the SDK's Items)
}

func (a *API) plan(w http.ResponseWriter, r *http.Request) *usageplan.Plan {
	p := a.Plans.Plan(r.PathValue("id"))
	if p == nil {
		Error(w, http.StatusNotFound, "NotFoundException", "Invalid Usage Plan ID specified")
	}
	return p
}

func (a *API) getUsagePlan(w http.ResponseWriter, r *http.Request) {
	if p := a.plan(w, r); p != nil {
		JSON(w, http.StatusOK, planJSON(p))
	}
}

// usageJSON mirrors the Usage shape: per key, [used, remaining] pairs.
type usageJSON struct {
	UsagePlanID string                `json:"usagePlanId"`
	StartDate   string                `json:"startDate"`
	EndDate     string                `json:"endDate"`
	Items       map[string][][2]int64 `json:"values"` // "values" on the wire (the SDK's Items)
}

// maxUsageDays bounds a GetUsage range.
const maxUsageDays = 366

// usage reports each key's usage for the days start..end (UTC), one
// [used, remaining] pair per day as AWS does. Only the current quota period
// is kept, so its whole use is reported on today and earlier days show 0.
func (a *API) usage(p *usageplan.Plan, keyID string, start, end time.Time) usageJSON {
	now := a.Clock.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	out := usageJSON{UsagePlanID: p.ID, StartDate: start.Format(time.DateOnly), EndDate: end.Format(time.DateOnly), Items: map[string][][2]int64{}}
	for _, id := range p.Keys {
		if keyID != "" && id != keyID {
			continue
		}
		m := a.Plans.Key(id).Membership(p.ID)
		if m == nil || m.Quota == nil {
			continue
		}
		used, remaining := m.Quota.Usage(now)
		days := [][2]int64{}
		for d := start; !d.After(end) && !d.After(today); d = d.AddDate(0, 0, 1) {
			if d.Equal(today) {
				days = append(days, [2]int64{used, remaining})
			} else {
				days = append(days, [2]int64{0, remaining})
			}
		}
		out.Items[id] = days
	}
	return out
}

// today returns the current UTC day twice: the range of UpdateUsage's answer.
func (a *API) today() (time.Time, time.Time) {
	now := a.Clock.Now().UTC()
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return d, d
}

func (a *API) getUsage(w http.ResponseWriter, r *http.Request) {
	p := a.plan(w, r)
	if p == nil {
		return
	}
	q := r.URL.Query()
	var dates [2]time.Time
	for i, name := range []string{"startDate", "endDate"} {
		d, err := time.Parse(time.DateOnly, q.Get(name))
		if err != nil {
			Error(w, http.StatusBadRequest, "BadRequestException", "Invalid "+name+" "+strconv.Quote(q.Get(name))+"; use YYYY-MM-DD")
			return
		}
		dates[i] = d
	}
	if dates[1].Before(dates[0]) || dates[1].Sub(dates[0]) > maxUsageDays*24*time.Hour {
		Error(w, http.StatusBadRequest, "BadRequestException", "endDate must be on or after startDate, within a year")
		return
	}
	JSON(w, http.StatusOK, a.usage(p, q.Get("keyId"), dates[0], dates[1]))
}

type patchRequest struct {
	PatchOperations []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value string `json:"value"`
		From  string `json:"from"`
	} `json:"patchOperations"`
}

func (a *API) updateUsage(w http.ResponseWriter, r *http.Request) {
	p := a.plan(w, r)
	if p == nil {
		return
	}
	keyID := r.PathValue("keyId")
	key := a.Plans.Key(keyID)
	var m *usageplan.Membership
	if key != nil {
		m = key.Membership(p.ID)
	}
	if m == nil {
		Error(w, http.StatusNotFound, "NotFoundException", "Invalid API Key identifier specified")
		return
	}
	var req patchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		Error(w, http.StatusBadRequest, "BadRequestException", "Invalid patch request: "+err.Error())
		return
	}
	// Validate every operation before applying any, so a bad request changes nothing.
	remaining := make([]int64, 0, len(req.PatchOperations))
	for _, op := range req.PatchOperations {
		if op.Op != "replace" || op.Path != "/remaining" {
			Error(w, http.StatusBadRequest, "BadRequestException", "Invalid patch path "+op.Path+" for op "+op.Op+"; only replace /remaining is supported")
			return
		}
		n, err := strconv.ParseInt(strings.TrimSpace(op.Value), 10, 64)
		if err != nil || n < 0 {
			Error(w, http.StatusBadRequest, "BadRequestException", "Invalid remaining value "+strconv.Quote(op.Value))
			return
		}
		remaining = append(remaining, n)
	}
	if m.Quota == nil && len(remaining) > 0 {
		Error(w, http.StatusBadRequest, "BadRequestException", "Usage plan "+p.ID+" has no quota")
		return
	}
	for _, n := range remaining {
		m.Quota.SetRemaining(a.Clock.Now(), n)
	}
	start, end := a.today()
	JSON(w, http.StatusOK, a.usage(p, keyID, start, end))
}

type apiKeyJSON struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Value     string   `json:"value,omitempty"`
	Enabled   bool     `json:"enabled"`
	StageKeys []string `json:"stageKeys"`
}

func keyJSON(k *usageplan.Key, withValue bool) apiKeyJSON {
	out := apiKeyJSON{ID: k.ID, Name: k.Name, Enabled: k.IsEnabled(), StageKeys: []string{}}
	if withValue {
		out.Value = k.Value
	}
	return out
}

func (a *API) getAPIKeys(w http.ResponseWriter, r *http.Request) {
	withValues := r.URL.Query().Get("includeValues") == "true"
	items := []apiKeyJSON{}
	for _, k := range a.Plans.AllKeys() {
		items = append(items, keyJSON(k, withValues))
	}
	JSON(w, http.StatusOK, map[string]any{"item": items}) // "item" on the wire (the SDK's Items)
}

func (a *API) getAPIKey(w http.ResponseWriter, r *http.Request) {
	k := a.Plans.Key(r.PathValue("id"))
	if k == nil {
		Error(w, http.StatusNotFound, "NotFoundException", "Invalid API Key identifier specified")
		return
	}
	JSON(w, http.StatusOK, keyJSON(k, r.URL.Query().Get("includeValue") == "true"))
}
