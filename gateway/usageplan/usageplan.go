// Package usageplan enforces API keys and usage plans (spec §3.2, §3.3): on
// a method with apiKeyRequired, the x-api-key value must be a known,
// enabled key in a plan attached to the stage (else 403 Forbidden); then
// the plan's per-key throttle (or its per-method throttle for this method)
// and the key's quota apply (429 Too Many Requests / Limit Exceeded).
// Methods without apiKeyRequired ignore the header entirely.
package usageplan

import (
	"net/http"
	"slices"
	"strings"

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

// Membership is one key in one plan: its own bucket, per-method buckets
// and quota counter, shared by every stage of the plan.
type Membership struct {
	Plan            *Plan
	throttle        *throttling.Bucket
	methodThrottles map[*restapi.Method]*throttling.Bucket
	Quota           *Quota // nil: no quota
}

// New builds the keys and plans of a stage file for api.
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
			m := &Membership{Plan: plan, methodThrottles: map[*restapi.Method]*throttling.Bucket{}}
			if up.Throttle != nil {
				m.throttle = throttling.NewBucket(*up.Throttle, clock)
			}
			if up.Quota != nil {
				m.Quota = newQuota(*up.Quota, now)
			}
			for _, as := range up.APIStages {
				for path, t := range as.Throttle {
					if method := lookupMethod(api, path); method != nil {
						m.methodThrottles[method] = throttling.NewBucket(t, clock)
					}
				}
				key.byStage[as.Stage] = m
			}
			key.byPlan[up.ID] = m
		}
	}
	return p
}

// lookupMethod resolves a plan's "/{resourcePath}/{httpMethod}" key.
func lookupMethod(api *restapi.API, key string) *restapi.Method {
	i := strings.LastIndexByte(key, '/')
	if i <= 0 {
		return nil
	}
	path, verb := key[:i], key[i+1:]
	for _, res := range api.Resources {
		if res.Path == path {
			return res.Methods[verb]
		}
	}
	return nil
}

// Plan returns a plan by id.
func (p *Plans) Plan(id string) *Plan { return p.plans[id] }

// Key returns a key by id.
func (p *Plans) Key(id string) *Key { return p.keys[id] }

// Membership returns the key's membership in a plan.
func (k *Key) Membership(planID string) *Membership { return k.byPlan[planID] }

// AllKeys lists the keys sorted by id.
func (p *Plans) AllKeys() []*Key {
	ids := make([]string, 0, len(p.keys))
	for id := range p.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	keys := make([]*Key, len(ids))
	for i, id := range ids {
		keys[i] = p.keys[id]
	}
	return keys
}

// AllPlans lists the plans sorted by id.
func (p *Plans) AllPlans() []*Plan {
	ids := make([]string, 0, len(p.plans))
	for id := range p.plans {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	plans := make([]*Plan, len(ids))
	for i, id := range ids {
		plans[i] = p.plans[id]
	}
	return plans
}

// Stage is the pipeline stage for API keys and usage plans.
type Stage struct {
	Plans     *Plans
	Source    string // apiKeySource: HEADER (default) or AUTHORIZER
	Responder *gatewayresponse.Responder
	Next      http.Handler
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	bucket := m.methodThrottles[c.Method]
	if bucket == nil {
		bucket = m.throttle
	}
	if bucket != nil && !bucket.Allow() {
		s.Responder.Write(w, r, gatewayresponse.Throttled, "")
		return
	}
	if m.Quota != nil && !m.Quota.Take(s.Plans.clock.Now()) {
		s.Responder.Write(w, r, gatewayresponse.QuotaExceeded, "")
		return
	}
	s.Next.ServeHTTP(w, r)
}
