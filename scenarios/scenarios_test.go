package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/scenarios"
)

func TestBounds(t *testing.T) {
	cases := []struct {
		url      string
		rate     int
		duration time.Duration
		allow    bool
		want     string // "" = allowed
	}{
		{"http://127.0.0.1:8080/x", 100, time.Second, false, ""},
		{"http://localhost:8080/x", scenarios.MaxRate, scenarios.MaxDuration, false, ""},
		{"http://[::1]:8080/x", 1, time.Millisecond, false, ""},
		{"http://10.0.0.1/x", 100, time.Second, false, "not on loopback"},
		{"https://api.example.com/x", 100, time.Second, false, "not on loopback"},
		{"https://api.example.com/x", 100, time.Second, true, ""},
		{"http://127.0.0.1/x", 0, time.Second, false, "rate"},
		{"http://127.0.0.1/x", scenarios.MaxRate + 1, time.Second, false, "rate"},
		{"http://127.0.0.1/x", 10, 0, false, "duration"},
		{"http://127.0.0.1/x", 10, scenarios.MaxDuration + time.Second, false, "duration"},
		{"::not a url", 10, time.Second, false, "not a URL"},
	}
	if err := scenarios.Bounds("http://127.0.0.1/x", 600, time.Second, false, 500); err == nil || !strings.Contains(err.Error(), "maxRate") {
		t.Errorf("above the profile's maxRate: %v", err)
	}
	for _, c := range cases {
		err := scenarios.Bounds(c.url, c.rate, c.duration, c.allow, 0)
		if err != nil && !errors.Is(err, scenarios.ErrRefused) {
			t.Errorf("Bounds errors must wrap ErrRefused: %v", err)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Bounds(%q, %d, %v, %v) = %v, want allowed", c.url, c.rate, c.duration, c.allow, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("Bounds(%q, %d, %v, %v) = %v, want an error about %q", c.url, c.rate, c.duration, c.allow, err, c.want)
		}
	}
}

func TestCheckBurst(t *testing.T) {
	cases := []struct {
		url     string
		n       int
		allow   bool
		maxRate int
		want    string // "" = allowed
	}{
		{"http://127.0.0.1:8080/x", 12, false, 5000, ""},
		{"http://127.0.0.1:8080/x", 100, false, 100, ""},
		{"http://127.0.0.1:8080/x", 1168, false, 100, "above the profile's maxRate 100"}, // the burst of issue 10
		{"http://127.0.0.1:8080/x", 101, false, 100, "maxRate"},
		{"http://127.0.0.1:8080/x", scenarios.MaxRate + 1, false, 0, "outside"},
		{"http://127.0.0.1:8080/x", 0, false, 100, "outside"},
		{"http://127.0.0.1:8080/x", -2, false, 100, "outside"}, // 2 × burstLimit + 2 overflowed
		{"https://api.example.com/x", 12, false, 5000, "not on loopback"},
		{"https://api.example.com/x", 12, true, 5000, ""},
		{"::not a url", 12, false, 5000, "not a URL"},
	}
	for _, c := range cases {
		err := scenarios.CheckBurst(c.url, c.n, c.allow, c.maxRate)
		if err != nil && !errors.Is(err, scenarios.ErrRefused) {
			t.Errorf("CheckBurst errors must wrap ErrRefused: %v", err)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckBurst(%q, %d, %v, %d) = %v, want allowed", c.url, c.n, c.allow, c.maxRate, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckBurst(%q, %d, %v, %d) = %v, want an error about %q", c.url, c.n, c.allow, c.maxRate, err, c.want)
		}
	}
}

// An attack reports its progress to the phase observer, last with every
// result counted by status.
func TestAttackReportsProgress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var reports []scenarios.PhaseStatus
	restore := scenarios.SetPhaseObserver(func(s scenarios.PhaseStatus) { reports = append(reports, s) })
	defer restore()
	results := 0
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: srv.URL})
	err := scenarios.Attack(context.Background(), tr, 50, 200*time.Millisecond, "phase-a", func(*vegeta.Result) error { results++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	// Attack returns after the last report: reading reports is race-free.
	last := reports[len(reports)-1]
	if !last.Done || last.Name != "phase-a" || last.Asked != 50 || int(last.Sent) != results || last.Codes != fmt.Sprintf("200:%d", results) {
		t.Fatalf("last report %+v after %d results", last, results)
	}
}
