package usageplan_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/usageplan"
)

var (
	keyed  = &restapi.Method{HTTPMethod: "GET", ResourcePath: "/keyed", APIKeyRequired: true}
	method = &restapi.Method{HTTPMethod: "GET", ResourcePath: "/keyed-method", APIKeyRequired: true}
	open   = &restapi.Method{HTTPMethod: "GET", ResourcePath: "/open"}
	api    = &restapi.API{Resources: []*restapi.Resource{
		{Path: "/keyed", Methods: map[string]*restapi.Method{"GET": keyed}},
		{Path: "/keyed-method", Methods: map[string]*restapi.Method{"GET": method}},
		{Path: "/open", Methods: map[string]*restapi.Method{"GET": open}},
	}}
	disabled = false
)

func stageFile() *restapi.StageFile {
	return &restapi.StageFile{
		Stages: []restapi.Stage{{StageName: "test"}, {StageName: "other"}},
		APIKeys: []restapi.APIKey{
			{ID: "a", Name: "a", Value: "valueA0123456789012345"},
			{ID: "b", Name: "b", Value: "valueB0123456789012345"},
			{ID: "off", Name: "off", Value: "valueOff012345678901234", Enabled: &disabled},
			{ID: "other", Name: "other", Value: "valueOther01234567890123"},
		},
		UsagePlans: []restapi.UsagePlan{
			{ID: "plan", Name: "plan", Throttle: &restapi.Throttle{RateLimit: 1000, BurstLimit: 1000},
				Quota:     &restapi.Quota{Limit: 3, Period: restapi.QuotaDay},
				APIStages: []restapi.UsagePlanStage{{Stage: "test", Throttle: map[string]restapi.Throttle{"/keyed-method/GET": {RateLimit: 1, BurstLimit: 1}}}},
				APIKeys:   []string{"a", "b", "off"}},
			{ID: "other-plan", Name: "other-plan", APIStages: []restapi.UsagePlanStage{{Stage: "other"}}, APIKeys: []string{"other"}},
		},
	}
}

type harness struct {
	clock    *clockwork.FakeClock
	stage    http.Handler
	plans    *usageplan.Plans
	sf       *restapi.StageFile
	reached  int
	throttle bool // a later throttle (stage or account) refuses every request
}

// newHarness composes KeyEnforcer -> (a later throttle) -> QuotaEnforcer
// -> backend, in the gateway's order.
func newHarness(t *testing.T) *harness {
	h := &harness{clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)), sf: stageFile()}
	h.rebuild()
	return h
}

// rebuild loads h.sf again (after a test edits it).
func (h *harness) rebuild() {
	h.plans = usageplan.New(api, h.sf, h.clock)
	responder := gatewayresponse.New(api)
	quota := &usageplan.QuotaEnforcer{Plans: h.plans, Responder: responder, Next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { h.reached++ })}
	later := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.throttle {
			responder.Write(w, r, gatewayresponse.Throttled, "")
			return
		}
		quota.ServeHTTP(w, r)
	})
	h.stage = &usageplan.KeyEnforcer{Plans: h.plans, Responder: responder, Next: later}
}

// call returns status, message-bearing body and x-amzn-ErrorType.
func (h *harness) call(m *restapi.Method, stage, key string) (int, string, string) {
	req := httptest.NewRequest("GET", "/"+stage+m.ResourcePath, nil)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	st := &h.sf.Stages[0]
	if stage == "other" {
		st = &h.sf.Stages[1]
	}
	rec := httptest.NewRecorder()
	h.stage.ServeHTTP(rec, request.With(req, &request.Context{Stage: st, Method: m}))
	return rec.Code, rec.Body.String(), firstOf(rec.Header()["x-amzn-ErrorType"]) // exact-case key, as the gateway writes it
}

func firstOf(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

func TestAPIKeyCases(t *testing.T) {
	cases := []struct {
		name   string
		m      *restapi.Method
		stage  string
		key    string
		status int
	}{
		{"valid key", keyed, "test", "valueA0123456789012345", 200},
		{"missing key", keyed, "test", "", 403},
		{"unknown key", keyed, "test", "valueZ0123456789012345", 403},
		{"disabled key", keyed, "test", "valueOff012345678901234", 403},
		{"key in a plan for another stage only", keyed, "test", "valueOther01234567890123", 403},
		{"key on its own plan's stage", keyed, "other", "valueOther01234567890123", 200},
		{"no apiKeyRequired ignores a bogus key", open, "test", "bogus", 200},
		{"no apiKeyRequired, no key", open, "test", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			status, body, errType := h.call(c.m, c.stage, c.key)
			if status != c.status {
				t.Fatalf("status %d, want %d (%s)", status, c.status, body)
			}
			if status == 403 {
				if body != `{"message":"Forbidden"}` || errType != "ForbiddenException" {
					t.Errorf("403 body %s, type %q", body, errType)
				}
				if h.reached != 0 {
					t.Error("a rejected request reached the next stage")
				}
			}
		})
	}
}

func TestQuotaExhaustionAndPerKeyIsolation(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 3; i++ {
		if s, _, _ := h.call(keyed, "test", "valueA0123456789012345"); s != 200 {
			t.Fatalf("request %d within the quota: %d", i+1, s)
		}
	}
	status, body, errType := h.call(keyed, "test", "valueA0123456789012345")
	if status != 429 || body != `{"message":"Limit Exceeded"}` || errType != "LimitExceededException" {
		t.Fatalf("quota+1: %d %s %q", status, body, errType)
	}
	if s, _, _ := h.call(keyed, "test", "valueB0123456789012345"); s != 200 {
		t.Fatalf("another key in the same plan is unaffected: %d", s)
	}
	if h.reached != 4 {
		t.Fatalf("reached %d, want 4", h.reached)
	}
	// The next UTC day the quota is whole again.
	h.clock.Advance(12 * time.Hour)
	if s, _, _ := h.call(keyed, "test", "valueA0123456789012345"); s != 200 {
		t.Fatalf("new day: %d", s)
	}
}

func TestPlanMethodThrottleOverridesPlanThrottle(t *testing.T) {
	h := newHarness(t)
	s1, _, _ := h.call(method, "test", "valueB0123456789012345")
	s2, body, errType := h.call(method, "test", "valueB0123456789012345")
	if s1 != 200 || s2 != 429 || body != `{"message":"Too Many Requests"}` || errType != "TooManyRequestsException" {
		t.Fatalf("per-method plan throttle (burst 1): %d then %d %s %q", s1, s2, body, errType)
	}
	h.clock.Advance(time.Second)
	if s, _, _ := h.call(method, "test", "valueB0123456789012345"); s != 200 {
		t.Fatalf("after 1 s: %d", s)
	}
	// Throttled requests do not use quota: 2 of 3 used.
	used, remaining := h.plans.Key("b").Membership("plan").Quota.Usage(h.clock.Now())
	if used != 2 || remaining != 1 {
		t.Fatalf("usage %d/%d, want 2 used, 1 remaining", used, remaining)
	}
}

func TestQuotaPeriods(t *testing.T) {
	cases := []struct {
		period string
		start  time.Time
		same   time.Duration // still in the period after this
		next   time.Duration // in the next period after this
	}{
		{restapi.QuotaDay, time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC), 59 * time.Minute, time.Hour},
		// 2026-11-28 is a Saturday: the week ends at Sunday 00:00 UTC.
		{restapi.QuotaWeek, time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC), 59 * time.Minute, time.Hour},
		{restapi.QuotaWeek, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), 6*24*time.Hour + 23*time.Hour, 7 * 24 * time.Hour},
		{restapi.QuotaMonth, time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), 11 * time.Hour, 12 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.period+c.start.String(), func(t *testing.T) {
			clock := clockwork.NewFakeClockAt(c.start)
			sf := &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test"}}, APIKeys: []restapi.APIKey{{ID: "a", Value: "valueA0123456789012345"}},
				UsagePlans: []restapi.UsagePlan{{ID: "p", Quota: &restapi.Quota{Limit: 1, Period: c.period}, APIStages: []restapi.UsagePlanStage{{Stage: "test"}}, APIKeys: []string{"a"}}}}
			q := usageplan.New(api, sf, clock).Key("a").Membership("p").Quota
			if !q.Take(clock.Now()) || q.Take(clock.Now()) {
				t.Fatal("limit 1")
			}
			if q.Take(c.start.Add(c.same)) {
				t.Fatalf("still the same %s at +%v", c.period, c.same)
			}
			if !q.Take(c.start.Add(c.next)) {
				t.Fatalf("a new %s at +%v", c.period, c.next)
			}
		})
	}
}

func TestQuotaOffsetAppliesToFirstPeriodOnly(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	sf := &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test"}}, APIKeys: []restapi.APIKey{{ID: "a", Value: "valueA0123456789012345"}},
		UsagePlans: []restapi.UsagePlan{{ID: "p", Quota: &restapi.Quota{Limit: 5, Offset: 3, Period: restapi.QuotaDay}, APIStages: []restapi.UsagePlanStage{{Stage: "test"}}, APIKeys: []string{"a"}}}}
	q := usageplan.New(api, sf, clock).Key("a").Membership("p").Quota
	n := 0
	for q.Take(clock.Now()) {
		n++
	}
	if n != 2 {
		t.Fatalf("first period: %d requests, want limit-offset = 2", n)
	}
	clock.Advance(24 * time.Hour)
	n = 0
	for q.Take(clock.Now()) {
		n++
	}
	if n != 5 {
		t.Fatalf("second period: %d requests, want 5", n)
	}
}

func TestSetRemaining(t *testing.T) {
	h := newHarness(t)
	q := h.plans.Key("a").Membership("plan").Quota
	for q.Take(h.clock.Now()) {
	}
	q.SetRemaining(h.clock.Now(), 3)
	if used, rem := q.Usage(h.clock.Now()); used != 0 || rem != 3 {
		t.Fatalf("after SetRemaining(3): used %d remaining %d", used, rem)
	}
	q.SetRemaining(h.clock.Now(), 1)
	if used, rem := q.Usage(h.clock.Now()); used != 2 || rem != 1 {
		t.Fatalf("after SetRemaining(1): used %d remaining %d", used, rem)
	}
}

// 10,000 keys (AWS's per-account maximum), each with its own bucket and
// quota: report the memory per key.
func BenchmarkTenThousandKeys(b *testing.B) {
	sf := &restapi.StageFile{Stages: []restapi.Stage{{StageName: "test"}}}
	plan := restapi.UsagePlan{ID: "p", Throttle: &restapi.Throttle{RateLimit: 10, BurstLimit: 10}, Quota: &restapi.Quota{Limit: 1000, Period: restapi.QuotaDay}, APIStages: []restapi.UsagePlanStage{{Stage: "test"}}}
	for i := 0; i < restapi.MaxAPIKeys; i++ {
		id := fmt.Sprintf("k%05d", i)
		sf.APIKeys = append(sf.APIKeys, restapi.APIKey{ID: id, Name: id, Value: fmt.Sprintf("value%020d", i)})
		plan.APIKeys = append(plan.APIKeys, id)
	}
	sf.UsagePlans = []restapi.UsagePlan{plan}
	clock := clockwork.NewRealClock()
	b.ReportAllocs()
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		plans := usageplan.New(api, sf, clock)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/restapi.MaxAPIKeys, "bytes/key")
		runtime.KeepAlive(plans)
	}
}

// The usage-plan stages for one key: lookup, throttle and quota.
func BenchmarkUsagePlanStage(b *testing.B) {
	sf := stageFile()
	sf.UsagePlans[0].Quota.Limit = 1 << 40
	sf.UsagePlans[0].Throttle = &restapi.Throttle{RateLimit: 1e12, BurstLimit: 1 << 30}
	plans := usageplan.New(api, sf, clockwork.NewRealClock())
	var reached int
	s := &usageplan.KeyEnforcer{Plans: plans, Responder: gatewayresponse.New(api), Next: &usageplan.QuotaEnforcer{Plans: plans, Responder: gatewayresponse.New(api), Next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached++ })}}
	req := request.With(httptest.NewRequest("GET", "/test/keyed", nil), &request.Context{Stage: &sf.Stages[0], Method: keyed})
	req.Header.Set("x-api-key", "valueA0123456789012345")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ServeHTTP(w, req)
	}
	if reached != b.N {
		b.Fatalf("%d of %d requests passed: the benchmark must measure the accepting path", reached, b.N)
	}
}

func TestThrottledRequestsDoNotUseQuota(t *testing.T) {
	h := newHarness(t)
	h.throttle = true
	for i := 0; i < 5; i++ {
		if s, _, _ := h.call(keyed, "test", "valueA0123456789012345"); s != 429 {
			t.Fatalf("the later throttle should refuse: %d", s)
		}
	}
	if used, rem := h.plans.Key("a").Membership("plan").Quota.Usage(h.clock.Now()); used != 0 || rem != 3 {
		t.Fatalf("throttled requests used quota: used %d remaining %d", used, rem)
	}
	h.throttle = false
	if s, _, _ := h.call(keyed, "test", "valueA0123456789012345"); s != 200 {
		t.Fatalf("once admitted: %d", s)
	}
}

func TestPlanMethodThrottleAppliesToItsStageOnly(t *testing.T) {
	h := newHarness(t)
	// The plan covers "other" too, without a per-method throttle there.
	h.sf.UsagePlans[0].APIStages = append(h.sf.UsagePlans[0].APIStages, restapi.UsagePlanStage{Stage: "other"})
	h.sf.UsagePlans[1].APIStages = nil
	h.sf.UsagePlans[0].Quota = nil
	h.rebuild()
	for i := 0; i < 3; i++ {
		if s, _, _ := h.call(method, "other", "valueB0123456789012345"); s != 200 {
			t.Fatalf("request %d on stage other: %d; the test stage's per-method throttle leaked", i+1, s)
		}
	}
	s1, _, _ := h.call(method, "test", "valueB0123456789012345")
	s2, _, _ := h.call(method, "test", "valueB0123456789012345")
	if s1 != 200 || s2 != 429 {
		t.Fatalf("on stage test the per-method throttle applies: %d %d", s1, s2)
	}
}

func TestQuotaSharedAcrossPlanStages(t *testing.T) {
	h := newHarness(t)
	h.sf.UsagePlans[0].APIStages = append(h.sf.UsagePlans[0].APIStages, restapi.UsagePlanStage{Stage: "other"})
	h.sf.UsagePlans[1].APIStages = nil
	h.rebuild()
	var codes []int
	for _, stage := range []string{"test", "other", "test", "other"} {
		s, _, _ := h.call(keyed, stage, "valueA0123456789012345")
		codes = append(codes, s)
	}
	if fmt.Sprint(codes) != "[200 200 200 429]" {
		t.Fatalf("codes %v: a quota of 3 counts across both stages of the plan", codes)
	}
}

func TestPlanThrottlePerKey(t *testing.T) {
	h := newHarness(t)
	h.sf.UsagePlans[0].Throttle = &restapi.Throttle{RateLimit: 1, BurstLimit: 1}
	h.sf.UsagePlans[0].Quota = nil
	h.rebuild()
	a1, _, _ := h.call(keyed, "test", "valueA0123456789012345")
	a2, body, _ := h.call(keyed, "test", "valueA0123456789012345")
	b1, _, _ := h.call(keyed, "test", "valueB0123456789012345")
	if a1 != 200 || a2 != 429 || body != `{"message":"Too Many Requests"}` || b1 != 200 {
		t.Fatalf("per-key plan throttle: a %d %d (%s), b %d", a1, a2, body, b1)
	}
}

func TestSetRemainingExtendsBeyondTheLimit(t *testing.T) {
	h := newHarness(t)
	q := h.plans.Key("a").Membership("plan").Quota
	q.SetRemaining(h.clock.Now(), 10) // limit is 3
	if used, rem := q.Usage(h.clock.Now()); used != 0 || rem != 10 {
		t.Fatalf("after extending to 10: used %d remaining %d", used, rem)
	}
	n := 0
	for q.Take(h.clock.Now()) {
		n++
	}
	if n != 10 {
		t.Fatalf("admitted %d, want the extended 10", n)
	}
}
