// Package usageplan enforces API keys and usage plans (spec §3.2, §3.3). On
// a method with apiKeyRequired, KeyEnforcer requires the x-api-key value to
// be a known, enabled key in a plan attached to the stage (else 403
// Forbidden) and applies the plan's per-key throttle, or its per-method
// throttle for this stage and method (429 Too Many Requests). Later in the
// pipeline, after the stage and account throttles, QuotaEnforcer counts the
// request against the key's quota (429 Limit Exceeded), so a request
// throttled anywhere does not use quota. Methods without apiKeyRequired
// ignore the header entirely.
package usageplan

import (
	"net/http"
	"slices"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/throttling"
)

// Plans is the loaded keys and plans with their live counters.
type Plans struct {
	clock   clockwork.Clock
	byValue map[string]*Key
	keys    map[string]*Key
	plans   map[string]*Plan
}

// Plan is a usage plan.
type Plan struct {
	restapi.UsagePlan
	Keys []string // key ids, sorted
}

// Key is an API key and its membership in plans, one per stage.
type Key struct {
	restapi.APIKey
	byStage map[string]*Membership
	byPlan  map[string]*Membership
}

// Membership is one key in one plan: its own bucket and quota, shared by
// every stage of the plan (limits aggregate across stages, spec §3.2), and
// per-method buckets for the stages that declare them.
type Membership struct {
	Plan            *Plan
	throttle        *throttling.Bucket
	methodThrottles map[string]map[*restapi.Method]*throttling.Bucket // stage -> method
	Quota           *QuotaCounter                                     // nil: no quota
}

// New builds the keys and plans of a stage file for api. The stage file
// must have passed restapi.StageFile.ValidateAgainst(api).
func New(api *restapi.API, sf *restapi.StageFile, clock clockwork.Clock) *Plans {
	p := &Plans{clock: clock, byValue: map[string]*Key{}, keys: map[string]*Key{}, plans: map[string]*Plan{}}
	for _, k := range sf.APIKeys {
		key := &Key{APIKey: k, byStage: map[string]*Membership{}, byPlan: map[string]*Membership{}}
		p.keys[k.ID], p.byValue[k.Value] = key, key
	}
	now := clock.Now()
	for _, up := range sf.UsagePlans {
		plan := &Plan{UsagePlan: up, Keys: slices.Sorted(slices.Values(up.APIKeys))}
		p.plans[up.ID] = plan
		for _, keyID := range up.APIKeys {
			key := p.keys[keyID]
			m := &Membership{Plan: plan, methodThrottles: map[string]map[*restapi.Method]*throttling.Bucket{}}
			if up.Throttle != nil {
				m.throttle = throttling.NewBucket(*up.Throttle, clock)
			}
			if up.Quota != nil {
				m.Quota = newQuota(*up.Quota, now)
			}
			for _, as := range up.APIStages {
				buckets := map[*restapi.Method]*throttling.Bucket{}
				for path, t := range as.Throttle {
					if method := api.MethodByPlanKey(path); method != nil {
						buckets[method] = throttling.NewBucket(t, clock)
					}
				}
				m.methodThrottles[as.Stage] = buckets
				key.byStage[as.Stage] = m
			}
			key.byPlan[up.ID] = m
		}
	}
	return p
}

// Plan returns a plan by id.
func (p *Plans) Plan(id string) *Plan { return p.plans[id] }

// Key returns a key by id.
func (p *Plans) Key(id string) *Key { return p.keys[id] }

// Membership returns the key's membership in a plan.
func (k *Key) Membership(planID string) *Membership { return k.byPlan[planID] }

// AllKeys lists the keys sorted by id.
func (p *Plans) AllKeys() []*Key { return sortedValues(p.keys) }

// AllPlans lists the plans sorted by id.
func (p *Plans) AllPlans() []*Plan { return sortedValues(p.plans) }

func sortedValues[V any](m map[string]V) []V {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]V, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// KeyEnforcer checks the API key and applies the plan's throttles.
type KeyEnforcer struct {
	Plans     *Plans
	Source    string // apiKeySource: HEADER (default) or AUTHORIZER
	Responder *gatewayresponse.Responder
	Next      http.Handler
}

func (s *KeyEnforcer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	if c.Method == nil || !c.Method.APIKeyRequired {
		s.Next.ServeHTTP(w, r)
		return
	}
	// With apiKeySource AUTHORIZER the key comes from a Lambda authorizer's
	// usageIdentifierKey; without authorizers there is none, so it is missing.
	var value string
	if s.Source != "AUTHORIZER" {
		value = r.Header.Get("X-Api-Key") // canonical form: no allocation per lookup
	}
	key := s.Plans.byValue[value]
	if key == nil || !key.IsEnabled() || c.Stage == nil {
		s.Responder.Write(w, r, gatewayresponse.InvalidAPIKey, "")
		return
	}
	m := key.byStage[c.Stage.StageName]
	if m == nil {
		s.Responder.Write(w, r, gatewayresponse.InvalidAPIKey, "")
		return
	}
	c.APIKeyID = key.ID
	bucket := m.methodThrottles[c.Stage.StageName][c.Method]
	if bucket == nil {
		bucket = m.throttle
	}
	if bucket != nil && !bucket.Allow() {
		s.Responder.Write(w, r, gatewayresponse.Throttled, "")
		return
	}
	s.Next.ServeHTTP(w, r)
}

// QuotaEnforcer counts an admitted request against its key's quota. It
// runs after every throttle, so throttled requests do not use quota.
type QuotaEnforcer struct {
	Plans     *Plans
	Responder *gatewayresponse.Responder
	Next      http.Handler
}

func (s *QuotaEnforcer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	if c.APIKeyID != "" && c.Stage != nil {
		if m := s.Plans.keys[c.APIKeyID].byStage[c.Stage.StageName]; m != nil && m.Quota != nil && !m.Quota.Take(s.Plans.clock.Now()) {
			s.Responder.Write(w, r, gatewayresponse.QuotaExceeded, "")
			return
		}
	}
	s.Next.ServeHTTP(w, r)
}
