package suites_test

// WebSocket behaviours AWS documents loosely or not at all: a gateway that
// differs there passes (NON-STRICT where the spec is silent), never fails.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/websocket"
)

// wsTarget aims the checks at main and noDefault (nil: the embedded ones).
func wsTarget(t *testing.T, main, noDefault http.Handler) *conformance.Target {
	ref := gatewayWith(t, nil, gateway.Options{})
	tg := targetFor(t, ref, ref)
	if main != nil {
		tg.Profile.Target.WebSocketURL = serveWS(t, main)
	}
	if noDefault != nil {
		tg.Profile.Target.WebSocketNoDefaultURL = serveWS(t, noDefault)
	}
	return tg
}

func wantNonStrict(t *testing.T, check string, tg *conformance.Target, want string) {
	t.Helper()
	err := run(t, check, tg)
	var ns *conformance.NonStrict
	if !errors.As(err, &ns) || !strings.Contains(ns.Reason, want) {
		t.Fatalf("%s: want a NON-STRICT pass naming %q, got %v", check, want, err)
	}
}

// $disconnect is best effort, not guaranteed (spec §8.2, DOC).
func TestMissingDisconnectIsNonStrict(t *testing.T) {
	tg := wsTarget(t, mainWS(t, func(api *websocket.API) { delete(api.Routes, websocket.RouteDisconnect) }, websocket.Options{}), nil)
	for _, check := range []string{"WebSocketDisconnect", "WebSocketIdleTimeout"} {
		wantNonStrict(t, check, tg, "best effort")
	}
}

// A client's close left without a close frame in answer breaks RFC 6455
// §5.5.1, but no AWS source records what API Gateway does.
func TestUnansweredClientCloseIsNonStrict(t *testing.T) {
	drop := relayWith(t, serveWS(t, mainWS(t, nil, websocket.Options{})), relayOptions{dropOnClientClose: true})
	wantNonStrict(t, "WebSocketDisconnect", wsTarget(t, drop, nil), "no close frame")
}

// No AWS source promises exactly-once delivery of callbacks (spec §8.3).
func TestDuplicatedCallbacksAreNonStrict(t *testing.T) {
	gw := mainWS(t, nil, websocket.Options{})
	twice := callbacksRewritten(gw, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		first := r.Clone(r.Context())
		first.Body = io.NopCloser(bytes.NewReader(body))
		gw.ServeHTTP(httptest.NewRecorder(), first)
		r.Body = io.NopCloser(bytes.NewReader(body))
		gw.ServeHTTP(w, r)
		return true
	})
	wantNonStrict(t, "CallbackOrdering", wsTarget(t, twice, nil), "exactly-once")
}

// unauthorized answers a refused handshake with 401 where the gateway
// answers 403, and counts how often; upgrades hijack through it.
type unauthorized struct {
	http.ResponseWriter
	rewrote *atomic.Int64
}

func (w unauthorized) WriteHeader(code int) {
	if code == http.StatusForbidden {
		code = http.StatusUnauthorized
		w.rewrote.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w unauthorized) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w unauthorized) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// A $connect authorization failure is rejected with 401 or 403, either
// documented (spec §8.2, DOC): 401 passes as 403 does.
func TestHandshakeRefusedWith401Passes(t *testing.T) {
	var rewrote atomic.Int64
	with401 := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(unauthorized{w, &rewrote}, r)
		})
	}
	tg := wsTarget(t, with401(mainWS(t, nil, websocket.Options{})),
		with401(wsGateway(t, fixtures.ReferenceWebSocketNoDefaultAPI, nil, websocket.Options{})))
	for _, check := range []string{"WebSocketAPIKeyOnConnectOnly", "WebSocketIAMConnect"} {
		before := rewrote.Load()
		if err := run(t, check, tg); err != nil {
			t.Errorf("%s: want a pass for a handshake refused with 401, got %v", check, err)
		}
		if rewrote.Load()-before < 2 {
			t.Errorf("%s: the deviation turned %d refusals into 401, want 2", check, rewrote.Load()-before)
		}
	}
}
