package slowclients_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/scenarios/slowclients"
	"github.com/gatecheck/gatecheck/serving"
)

// serve runs a small server that reads bodies, with the given limits.
func serve(t *testing.T, l serving.Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := serving.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			w.Header().Set("Connection", "close")
			http.Error(w, "body", http.StatusBadRequest)
		}
	}), l, nil)
	done := make(chan struct{})
	go func() { defer close(done); _ = serving.Serve(srv, ln, l) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func run(t *testing.T, url string, kind slowclients.Kind) *slowclients.Result {
	t.Helper()
	res, err := slowclients.Run(context.Background(), slowclients.Options{
		NormalURL: url + "/ok", SlowURL: url + "/slow", Clients: 20, Kind: kind,
		Rate: 50, Duration: 600 * time.Millisecond, Rounds: 1, Hold: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCrowdIsCutOffAtTheDeadline(t *testing.T) {
	l := serving.Defaults(serving.REST)
	l.BodyTimeout, l.ReadHeaderTimeout = time.Second, time.Second
	url := serve(t, l)
	for _, kind := range []slowclients.Kind{slowclients.SlowBody, slowclients.SlowHeaders} {
		res := run(t, url, kind)
		if res.Cut != 20 || res.Held != 0 || res.CutMin < 900*time.Millisecond || res.CutMax > 1900*time.Millisecond {
			t.Errorf("%s: %d cut (after %v to %v), %d held; want all 20 cut at the 1 s deadline", kind, res.Cut, res.CutMin, res.CutMax, res.Held)
		}
		if res.Idle.Requests == 0 || res.Attack.Requests == 0 || res.Idle.Success != 1 || res.Attack.Success != 1 {
			t.Errorf("%s: normal load %+v / %+v", kind, res.Idle, res.Attack)
		}
	}
}

// Against a server without a body deadline the crowd is held: the
// scenario can fail.
func TestCrowdHeldWithoutADeadline(t *testing.T) {
	l := serving.Defaults(serving.REST)
	l.BodyTimeout = 0
	res := run(t, serve(t, l), slowclients.SlowBody)
	if res.Held != 20 || res.Cut != 0 {
		t.Fatalf("%d cut, %d held; want all 20 held by a server with no body deadline", res.Cut, res.Held)
	}
}
