package wsload_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	gws "github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios"
	"github.com/gatecheck/gatecheck/scenarios/wsload"
)

// options aims a short run at a WebSocket API served on base (ws://host).
func options(base string) wsload.Options {
	return wsload.Options{
		URL:    base + "/ws",
		Header: http.Header{"X-Api-Key": {"gatecheckWebSocketKey000006"}},
		Dialer: &gws.Dialer{HandshakeTimeout: 5 * time.Second},
		Callbacks: &connections.Client{Endpoint: "http" + strings.TrimPrefix(base, "ws") + "/ws", Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(gateway.DefaultCredential.AccessKeyID, gateway.DefaultCredential.SecretAccessKey, "")},
		Connections: 10, Rate: 100, Duration: time.Second, Grace: 2 * time.Second,
	}
}

func embedded(t *testing.T) *runner.Embedded {
	e, err := runner.StartEmbedded(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestEveryCallbackDeliveredOnce(t *testing.T) {
	e := embedded(t)
	sc, err := wsload.Run(context.Background(), options(e.WebSocketURL))
	if err != nil {
		t.Fatal(err)
	}
	ph := sc.Phases[0]
	if sc.Verdict != reports.Passed || ph.Values["delivered"] != ph.Values["accepted"] || ph.Values["closedCleanly"] != 10 {
		t.Fatalf("verdict %s (%s), values %v", sc.Verdict, sc.Reason, ph.Values)
	}
	if d := ph.Latency["delivery"]; d.Count != int(ph.Values["delivered"]) || d.P99 <= 0 {
		t.Fatalf("delivery latency %+v", d)
	}
}

func TestSilentlyDroppedCallbacksFail(t *testing.T) {
	e := embedded(t)
	ws := e.WebSockets[0]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "@connections") && rand.IntN(10) == 0 {
			w.WriteHeader(http.StatusOK) // accepted, never delivered
			return
		}
		ws.ServeHTTP(w, r)
	}))
	defer srv.Close()
	sc, err := wsload.Run(context.Background(), options("ws"+strings.TrimPrefix(srv.URL, "http")))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Verdict != reports.Failed || !strings.Contains(sc.Reason, "lost") {
		t.Fatalf("verdict %s (%s), want failed for lost callbacks", sc.Verdict, sc.Reason)
	}
}

func TestOffLoopbackIsRefused(t *testing.T) {
	o := options("ws://192.0.2.1:8082")
	if _, err := wsload.Run(context.Background(), o); !errors.Is(err, scenarios.ErrRefused) {
		t.Fatalf("want ErrRefused for a non-loopback target, got %v", err)
	}
	o = options("ws://127.0.0.1:1")
	o.Connections = wsload.MaxConnections + 1
	if _, err := wsload.Run(context.Background(), o); !errors.Is(err, scenarios.ErrRefused) {
		t.Fatalf("want ErrRefused for too many connections, got %v", err)
	}
	// The handshakes go out together: more of them than maxRate is a burst
	// beyond the profile's bounds, even when the callback rate is within.
	o = options("ws://127.0.0.1:1")
	o.Connections, o.Rate, o.MaxRate = 200, 50, 100
	if _, err := wsload.Run(context.Background(), o); !errors.Is(err, scenarios.ErrRefused) || !strings.Contains(err.Error(), "200 connections") {
		t.Fatalf("want ErrRefused for 200 connections with maxRate 100, got %v", err)
	}
}

// Connections, readers and the gateways' goroutines all end with the run;
// Vegeta's and the callback client's idle keep-alive connections may not.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}
