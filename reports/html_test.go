package reports

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	r := sampleReport()
	r.Scenarios = []Scenario{{Name: "ThrottleUnderLoad", Feature: "throttling", Verdict: Failed, Reason: "2x: too many accepted",
		Phases: []Phase{{Name: "2x", RequestedRate: 400, AchievedRate: 401, Requests: 800, StatusCodes: map[string]int{"200": 449, "429": 351},
			Latency: map[string]Latency{"accepted": {P50: 0.001, P90: 0.002, P99: 0.003, Max: 0.004}}, Values: map[string]float64{"accepted": 449}, Verdict: Failed, Reason: "too many"}}}}
	page, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	out := string(page)
	for _, want := range []string{
		"<title>gatecheck: FAILED",
		"IntegrationTimeoutExceeded", // the failure, with its location
		"conformance/timeouts.go:42",
		"ThrottleUnderLoad", "429: 351", "accepted: 1.000 / 2.000 / 3.000 / 4.000", "accepted=449",
		"profile does not claim jwt-scopes", // an unsupported spec's reason
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Text from the report is escaped, never markup.
	if strings.Contains(out, "<504>") || !strings.Contains(out, "&lt;504&gt;") {
		t.Error("report text reached the page unescaped")
	}
	// Self-contained: nothing to fetch.
	for _, ref := range []string{"src=", "href=", "@import", "<script"} {
		if strings.Contains(out, ref) {
			t.Errorf("the page refers to an outside resource (%s)", ref)
		}
	}
}
