package overhead_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
)

func TestOverheadMeasuresAddedLatency(t *testing.T) {
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer fast.Close()
	// A "gateway" that adds a fixed 5 ms: the scenario must see it.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(5 * time.Millisecond) }))
	defer slow.Close()
	var raw bytes.Buffer
	res, err := overhead.Run(context.Background(), overhead.Options{DirectURL: fast.URL, GatewayURL: slow.URL, Rate: 100, Duration: time.Second, Rounds: 2, Raw: &raw})
	if err != nil {
		t.Fatal(err)
	}
	if res.Direct.Requests != 100 || res.Gateway.Requests != 100 {
		t.Fatalf("requests = %d/%d, want 100 each", res.Direct.Requests, res.Gateway.Requests)
	}
	if added := res.Gateway.P50 - res.Direct.P50; added < 4*time.Millisecond {
		t.Fatalf("added p50 = %v, want about 5ms", added)
	}
	if !res.Valid {
		t.Fatalf("run judged invalid: %s", res.Invalid)
	}
	// Raw results decode with Vegeta's own decoder.
	dec := vegeta.NewDecoder(&raw)
	var n int
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		n++
	}
	if n != 200 {
		t.Fatalf("decoded %d raw results, want 200", n)
	}
	sc := res.Scenario()
	if sc.Verdict != reports.Passed || len(sc.Phases) != 2 || sc.Phases[0].Name != "direct" || sc.Phases[1].Name != "gateway" {
		t.Fatalf("scenario: %+v", sc)
	}
	gw := sc.Phases[1]
	if added := gw.Values["p50AddedSeconds"]; added < 0.004 || gw.Latency["all"].Count != 100 || gw.StatusCodes["200"] != 100 || gw.AchievedRate < 95 {
		t.Fatalf("gateway phase: %+v", gw)
	}
	var out strings.Builder
	res.Print(&out)
	if !strings.Contains(out.String(), "p99") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestOverheadRefusesNonLoopback(t *testing.T) {
	_, err := overhead.Run(context.Background(), overhead.Options{DirectURL: "http://192.0.2.1/x", GatewayURL: "http://127.0.0.1/x", Rate: 10, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("want a loopback refusal, got %v", err)
	}
}

func TestOverheadFlagsErrorsAsInvalid(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }))
	defer broken.Close()
	res, err := overhead.Run(context.Background(), overhead.Options{DirectURL: ok.URL, GatewayURL: broken.URL, Rate: 50, Duration: 400 * time.Millisecond, Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid || !strings.Contains(res.Invalid, "gateway side had errors") {
		t.Fatalf("want invalid because of gateway errors, got %+v", res)
	}
	if sc := res.Scenario(); sc.Verdict != reports.Invalid || sc.Reason != res.Invalid {
		t.Fatalf("the scenario is invalid with the run's reason: %+v", sc)
	}
}
