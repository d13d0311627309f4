package reports

import (
	"bytes"
	"strings"
	"testing"
)

// fullReport is a report with every kind of load scenario, with values
// as the scenarios record them (scenarios/*), for the plot tests.
func fullReport() *Report {
	r := sampleReport()
	r.Specs = append(r.Specs,
		Spec{Name: "StageVariableCaseFolding", Area: "routing", Feature: "stage-variables", Section: "§4.2", Kind: KindConformance,
			Description: "a stage variable lookup " + strings.Repeat("with a long description that must wrap rather than widen the page ", 6),
			Verdict:     Passed, Grade: GradeNonStrict, Reason: "answered 200 where AWS answers 400 <declared>", DurationSeconds: 0.05},
		Spec{Name: "WebSocketRouteSelection", Area: "websocket", Feature: "websocket", Section: "§7.1", Kind: KindConformance,
			Description: "route selection by $request.body.action", Verdict: Unsupported, Reason: "profile does not claim websocket"},
		// A long reason without spaces must wrap, not widen the page.
		Spec{Name: "UnreachableBackend", Area: "routing", Feature: "routing", Section: "§4.9", Kind: KindConformance, Description: "an unreachable backend yields 502",
			Verdict: Failed, Reason: "the body was sha256:" + strings.Repeat("0123456789abcdef", 20) + ", want 502"},
	)
	r.Summarize()
	lat := func(ms ...float64) Latency {
		return Latency{Count: 1000, P50: ms[0] / 1000, P90: ms[1] / 1000, P99: ms[2] / 1000, Max: ms[3] / 1000}
	}
	// A phase second by second: n seconds from `from`, each with the codes
	// given, p50 and p99 rising slowly; a second with no codes is a stall.
	series := func(from int, perSecond ...map[string]int) []Second {
		var out []Second
		for i, codes := range perSecond {
			s := Second{At: from + i, StatusCodes: codes}
			for _, n := range codes {
				s.Requests += n
			}
			if s.Requests > 0 {
				s.P50, s.P99 = (0.4+0.05*float64(i))/1000, (2+0.3*float64(i))/1000
			}
			out = append(out, s)
		}
		return out
	}
	ok := func(n int) map[string]int { return map[string]int{"200": n} }
	r.Scenarios = []Scenario{
		{Name: "ThrottleUnderLoad", Feature: "throttling", Verdict: Passed, RawResults: "raw/ThrottleUnderLoad.bin", Phases: []Phase{
			{Name: "1x", RequestedRate: 100, AchievedRate: 100.1, DurationSeconds: 4.99, Requests: 500, StatusCodes: map[string]int{"200": 500},
				Latency: map[string]Latency{"accepted": lat(0.4, 0.7, 1.9, 12.5), "rejected": {}},
				Values: map[string]float64{"accepted": 500, "throttled": 0, "expectedAccepted": 500, "tolerance": 25,
					"acceptedRate": 100.2, "acceptedRateLo95": 99.4, "acceptedRateHi95": 100.2}, Verdict: Passed},
			{Name: "2x", RequestedRate: 200, AchievedRate: 200.2, DurationSeconds: 4.995, Requests: 1000, StatusCodes: map[string]int{"200": 551, "429": 449},
				Latency: map[string]Latency{"accepted": lat(0.5, 0.9, 2.4, 15), "rejected": lat(0.2, 0.3, 0.9, 4)},
				Values: map[string]float64{"accepted": 551, "throttled": 449, "expectedAccepted": 550, "tolerance": 28,
					"acceptedRate": 110.3, "acceptedRateLo95": 104.2, "acceptedRateHi95": 116.3, "firstThrottledAfterSeconds": 0.51}, Verdict: Passed,
				Series: series(0, map[string]int{"200": 150, "429": 50}, map[string]int{"200": 100, "429": 100}, map[string]int{"200": 101, "429": 99},
					map[string]int{"200": 100, "429": 100}, map[string]int{"200": 100, "429": 100})},
		}, Thresholds: []ThresholdResult{}},
		{Name: "CanaryUnderLoad", Feature: "canary", Verdict: Passed, Phases: []Phase{
			{Name: "before promotion", RequestedRate: 1500, AchievedRate: 1499.8, DurationSeconds: 4, Requests: 6000, StatusCodes: map[string]int{"200": 6000},
				Latency: map[string]Latency{"all": lat(0.6, 1.1, 3.2, 21)},
				Values: map[string]float64{"canary": 612, "requests": 6000, "canaryFraction": 0.102, "acceptLo": 540, "acceptHi": 661,
					"plannedRequests": 5200, "power": 0.9, "powerLow": 0.93, "powerHigh": 0.92,
					"window1Fraction": 0.098, "window1Lo": 0.083, "window1Hi": 0.115, "window2Fraction": 0.105, "window2Lo": 0.089, "window2Hi": 0.123,
					"window3Fraction": 0.101, "window3Lo": 0.086, "window3Hi": 0.119, "window4Fraction": 0.104, "window4Lo": 0.088, "window4Hi": 0.122}, Verdict: Passed},
			{Name: "after promotion", RequestedRate: 1500, AchievedRate: 1500.2, DurationSeconds: 4, Requests: 6000, StatusCodes: map[string]int{"200": 5998, "502": 2},
				Latency: map[string]Latency{"all": lat(0.6, 1.2, 3.9, 40)},
				Values:  map[string]float64{"promoted": 5400, "notPromoted": 0, "errorsAcross": 0, "non200Across": 2, "promotionSeconds": 0.012}, Verdict: Passed,
				Series: series(0, map[string]int{"200": 1498, "502": 2}, ok(1500), nil, ok(1500), ok(1500)), // a stall in second 2
				Reason: "NON-STRICT: 2 non-200 responses across the promotion"},
		}},
		{Name: "CacheHitRatioUnderLoad", Feature: "caching", Verdict: Passed, Phases: []Phase{
			{Name: "uniform", RequestedRate: 300, AchievedRate: 300, DurationSeconds: 5, Requests: 1500, StatusCodes: map[string]int{"200": 1500},
				Latency: map[string]Latency{"hit": lat(0.3, 0.5, 1.1, 6), "miss": lat(2.1, 2.8, 4.4, 9)},
				Values: map[string]float64{"keys": 50, "distinctKeys": 50, "hits": 1450, "misses": 50, "hitRatio": 0.9667, "expectedHitRatio": 0.9667,
					"hitRatioLo95": 0.9566, "hitRatioHi95": 0.9745, "maxExpectedMisses": 53}, Verdict: Passed},
			{Name: "zipf", RequestedRate: 300, AchievedRate: 300, DurationSeconds: 5, Requests: 1500, StatusCodes: map[string]int{"200": 1500},
				Latency: map[string]Latency{"hit": lat(0.3, 0.5, 1.0, 5), "miss": lat(2.0, 2.6, 4.0, 8)},
				Values: map[string]float64{"keys": 50, "distinctKeys": 31, "hits": 1469, "misses": 31, "hitRatio": 0.9793, "expectedHitRatio": 0.9793,
					"hitRatioLo95": 0.9707, "hitRatioHi95": 0.9855, "maxExpectedMisses": 34}, Verdict: Passed},
		}},
		{Name: "LatencyOverhead", Feature: "latency-overhead", Verdict: Passed, Phases: []Phase{
			{Name: "direct", RequestedRate: 500, AchievedRate: 500, DurationSeconds: 6, Requests: 3000, StatusCodes: map[string]int{"200": 3000},
				Latency: map[string]Latency{"all": lat(0.15, 0.25, 0.6, 3)}, Verdict: Passed,
				Series: series(0, ok(500), ok(500), nil, nil, ok(500))}, // the gateway's round between
			{Name: "gateway", RequestedRate: 500, AchievedRate: 500, DurationSeconds: 6, Requests: 3000, StatusCodes: map[string]int{"200": 3000},
				Latency: map[string]Latency{"all": lat(0.5, 0.7, 1.4, 8)},
				Values:  map[string]float64{"p50AddedSeconds": 0.00035, "p90AddedSeconds": 0.00045, "p99AddedSeconds": 0.0008}, Verdict: Passed},
		}},
		{Name: "WebSocketCallbacksUnderLoad", Feature: "websocket-callbacks", Verdict: Invalid, Reason: "sent 180/s of the 200/s asked", Phases: []Phase{
			{Name: "callbacks", RequestedRate: 200, AchievedRate: 180, DurationSeconds: 5, Requests: 900, StatusCodes: map[string]int{"0": 3, "200": 890, "410": 7},
				Latency: map[string]Latency{"post": lat(0.8, 1.5, 5, 30), "delivery": lat(1.2, 2, 7, 45)},
				Values:  map[string]float64{"connections": 50, "posted": 900, "delivered": 890}, Verdict: Invalid, Reason: "sent 180/s of the 200/s asked"},
		}},
	}
	return r
}

func TestHTMLPlots(t *testing.T) {
	page, err := HTML(fullReport())
	if err != nil {
		t.Fatal(err)
	}
	out := string(page)
	// One latency and one status plot per scenario; throttling, cache and
	// the canary's before-promotion phase have their own.
	for kind, want := range map[string]int{"latency": 5, "status": 5, "throttle": 1, "cache": 1, "canary": 1} {
		if got := strings.Count(out, `class="plot plot-`+kind+`"`); got != want {
			t.Errorf("%d %s plots, want %d", got, kind, want)
		}
	}
	for _, want := range []string{
		"token-bucket bound (expected ± tolerance)", "expected hit ratio", "acceptance region (whole phase)", "centre of the acceptance region",
		"0 (no response)", "429: 449", // a status segment wide enough to be labelled
		`<details><summary><b>jwt-scopes</b>: 2 spec(s)`, `<details><summary><b>websocket</b>: 1 spec(s)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Over time: one plot per phase with a series; a stall breaks the
	// lines (two polylines per quantile) and draws no bar.
	if got := strings.Count(out, `class="plot plot-time"`); got != 3 {
		t.Errorf("%d plots over time, want 3 (the phases with a series)", got)
	}
	for _, want := range []string{
		"ThrottleUnderLoad · 2x: per second", "second 1 · 429: 100 of 200", "second 4 p99: 3.200 ms (200 requests)",
		"CanaryUnderLoad · after promotion: per second", "second 0 · 502: 2 of 1500",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plots over time lack %q", want)
		}
	}
	after := out[strings.Index(out, "CanaryUnderLoad · after promotion: per second"):]
	after = after[:strings.Index(after, "</svg>")]
	if n := strings.Count(after, `<polyline class="ln q50"`); n != 2 {
		t.Errorf("the after-promotion p50 line has %d runs, want 2 (broken at the stalled second)", n)
	}
	if strings.Contains(after, "second 2 ") {
		t.Error("the stalled second drew a mark")
	}
	if strings.Contains(out, "00000000") || strings.Contains(out, "99999999") {
		t.Error("a number on the page carries float noise")
	}
	// Text in the plots is escaped like the rest of the page.
	r := fullReport()
	r.Scenarios[0].Phases[0].Name = "<b>1x</b>"
	page2, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page2), "<b>1x</b>") || !strings.Contains(string(page2), "&lt;b&gt;1x&lt;/b&gt;") {
		t.Error("a phase name reached the plots unescaped")
	}
	// The declared share is drawn when the scenario records it.
	r.Scenarios[1].Phases[0].Values["percent"] = 10
	page3, _ := HTML(r)
	if !strings.Contains(string(page3), "declared share 10.0 %") {
		t.Error("the canary plot does not draw the declared share from Values[\"percent\"]")
	}
	// Deterministic: the same report gives the same bytes (maps are
	// iterated in random order, so a slip shows in a few renderings).
	for range 5 {
		again, _ := HTML(fullReport())
		if !bytes.Equal(again, page) {
			t.Fatal("two renderings of the same report differ")
		}
	}
}
