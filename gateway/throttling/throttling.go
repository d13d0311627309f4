package throttling

import (
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// methodKey identifies a method on a stage.
type methodKey struct {
	stage  string
	method *restapi.Method
}

// MethodLimiter enforces stage and method throttles from methodSettings:
// each method on each stage has its own bucket, with its own entry's limits
// or "*/*"'s.
type MethodLimiter struct {
	buckets   map[methodKey]*Bucket
	responder *gatewayresponse.Responder
	next      http.Handler
}

// NewMethodLimiter builds the buckets for every method on every stage.
func NewMethodLimiter(api *restapi.API, stages []restapi.Stage, clock clockwork.Clock, responder *gatewayresponse.Responder, next http.Handler) *MethodLimiter {
	s := &MethodLimiter{buckets: map[methodKey]*Bucket{}, responder: responder, next: next}
	for i := range stages {
		st := &stages[i]
		for _, res := range api.Resources {
			for verb, m := range res.Methods {
				if t, ok := MethodThrottle(st, res.Path, verb); ok {
					s.buckets[methodKey{st.StageName, m}] = NewBucket(t, clock)
				}
			}
		}
	}
	return s
}

// MethodThrottle returns the throttle methodSettings give a method. A
// method's own entry without throttle values gets AWS's defaults, not
// "*/*"'s (recorded against AWS, spec §3.1); partial values are completed
// the same way.
func MethodThrottle(st *restapi.Stage, resourcePath, verb string) (restapi.Throttle, bool) {
	ms, own, ok := st.MethodSettingFor(resourcePath, verb)
	if !ok || (!own && ms.ThrottlingRateLimit == nil && ms.ThrottlingBurstLimit == nil) {
		return restapi.Throttle{}, false // no entry, or "*/*" without throttle values
	}
	t := restapi.Throttle{RateLimit: restapi.DefaultAccountRate, BurstLimit: restapi.DefaultAccountBurst}
	if ms.ThrottlingRateLimit != nil {
		t.RateLimit = *ms.ThrottlingRateLimit
	}
	if ms.ThrottlingBurstLimit != nil {
		t.BurstLimit = *ms.ThrottlingBurstLimit
	}
	return t, true
}

func (s *MethodLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	if c.Stage != nil {
		if b := s.buckets[methodKey{c.Stage.StageName, c.Method}]; b != nil && !b.Allow() {
			s.responder.Write(w, r, gatewayresponse.Throttled, "")
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

// AccountLimiter enforces the account-level limit shared by every request.
type AccountLimiter struct {
	Bucket    *Bucket
	Responder *gatewayresponse.Responder
	Next      http.Handler
}

func (a *AccountLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.Bucket.Allow() {
		a.Responder.Write(w, r, gatewayresponse.Throttled, "")
		return
	}
	a.Next.ServeHTTP(w, r)
}
