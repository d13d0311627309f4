package canary_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/stats"
)

func stage(percent float64) restapi.Stage {
	return restapi.Stage{StageName: "s", DeploymentID: "d1", Variables: map[string]string{"version": "v1", "color": "blue"},
		CanarySettings: &restapi.CanarySettings{PercentTraffic: percent, DeploymentID: "d2", StageVariableOverrides: map[string]string{"version": "v2", "extra": "x"}}}
}

// pick runs the selector once and returns the request context it produced.
func pick(st *restapi.Stage) *request.Context {
	c := &request.Context{Stage: st, StageVariables: st.Variables, DeploymentID: st.DeploymentID}
	(&canary.Selector{Next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}).ServeHTTP(httptest.NewRecorder(), request.With(httptest.NewRequest("GET", "/s/x", nil), c))
	return c
}

func TestSelectorExtremes(t *testing.T) {
	zero, full := stage(0), stage(100)
	for i := 0; i < 1000; i++ {
		if pick(&zero).IsCanary {
			t.Fatal("0 % routed a request to the canary")
		}
		if !pick(&full).IsCanary {
			t.Fatal("100 % routed a request to the base")
		}
	}
}

func TestSelectorVariablesAndDeployment(t *testing.T) {
	full, zero := stage(100), stage(0)
	c := pick(&full)
	if c.StageVariables["version"] != "v2" || c.StageVariables["color"] != "blue" || c.StageVariables["extra"] != "x" || c.DeploymentID != "d2" {
		t.Fatalf("canary: vars %v deployment %s; want overrides on top of inherited base variables, on d2", c.StageVariables, c.DeploymentID)
	}
	if full.Variables["version"] != "v1" {
		t.Fatal("the selector changed the stage's own variables")
	}
	b := pick(&zero)
	if b.StageVariables["version"] != "v1" || b.StageVariables["extra"] != "" || b.DeploymentID != "d1" {
		t.Fatalf("base: %v %s", b.StageVariables, b.DeploymentID)
	}
}

// At 10 % over 2186 requests the share passes the exact binomial test at
// alpha 1e-6: this test fails spuriously with probability below 1e-6.
func TestSelectorSplit(t *testing.T) {
	st := stage(10)
	n, k := 2186, 0
	for i := 0; i < n; i++ {
		if pick(&st).IsCanary {
			k++
		}
	}
	if lo, hi := stats.Acceptance(n, 0.10, 1e-6); k < lo || k > hi {
		t.Fatalf("%d of %d canary requests at 10 %%: outside [%d, %d]", k, n, lo, hi)
	}
}

func TestStagesUpdateIsCopyOnWriteAndAtomic(t *testing.T) {
	s := canary.NewStages([]restapi.Stage{stage(0)})
	before := s.Get("s")
	after, err := s.Update("s", func(st *restapi.Stage) error {
		st.Variables["version"] = "v9"
		st.CanarySettings.PercentTraffic = 50
		return nil
	})
	if err != nil || after.Variables["version"] != "v9" || s.Get("s").CanarySettings.PercentTraffic != 50 {
		t.Fatalf("update not published: %v %+v", err, s.Get("s"))
	}
	if before.Variables["version"] != "v1" || before.CanarySettings.PercentTraffic != 0 {
		t.Fatal("an update changed the snapshot a request in flight holds")
	}
	if _, err := s.Update("s", func(st *restapi.Stage) error {
		st.Variables["version"] = "broken"
		return errors.New("invalid")
	}); err == nil || s.Get("s").Variables["version"] != "v9" {
		t.Fatal("a failed update was published")
	}
	if _, err := s.Update("nope", func(*restapi.Stage) error { return nil }); err == nil {
		t.Fatal("unknown stage")
	}
}

func TestStagesConcurrentReadsAndUpdates(t *testing.T) {
	s := canary.NewStages([]restapi.Stage{stage(0)})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				_ = pick(s.Get("s"))
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_, _ = s.Update("s", func(st *restapi.Stage) error { st.CanarySettings.PercentTraffic = float64(i % 100); return nil })
			}
		}()
	}
	wg.Wait()
}
