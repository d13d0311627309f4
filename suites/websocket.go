package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gws "github.com/gorilla/websocket"
	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureWebSocket: WebSocket APIs — $connect, routing, limits (spec §8, §2).
const FeatureWebSocket = "websocket"

// WebSocketConfig is what a profile claims for WebSocket APIs. The API is
// fixtures/apis/reference.websocket.yaml (or its equivalent on AWS),
// integrated with the fixture backend's WebSocket endpoint.
type WebSocketConfig struct {
	Stage string `yaml:"stage"` // the stage the checks connect to
	// ShortStage is a stage whose idle timeout and maximum connection
	// duration are IdleTimeout and MaxConnectionDuration ("" on AWS, where
	// both are fixed at 10 min and 2 h: set them and the stage to test
	// them in real time).
	ShortStage            string        `yaml:"shortStage"`
	IdleTimeout           time.Duration `yaml:"idleTimeout"`
	MaxConnectionDuration time.Duration `yaml:"maxConnectionDuration"`
	// LifetimeSlack is how late after a lifetime limit the close may come.
	LifetimeSlack time.Duration `yaml:"lifetimeSlack"`
	// APIKey is sent on $connect, which requires one ("" if it does not).
	APIKey string `yaml:"apiKey"`
	// TimeoutMillis is the integration timeout of the `slow` route.
	TimeoutMillis int `yaml:"timeoutMillis"`
	// NoDefaultRequiresIAM: the API at target.websocketNoDefaultURL requires
	// IAM authorization on $connect (as fixtures/apis/reference.websocket-nodefault.yaml
	// says), so handshakes to it are SigV4-signed with the profile's
	// credentials, and WebSocketIAMConnect checks unsigned ones are refused.
	NoDefaultRequiresIAM bool `yaml:"noDefaultRequiresIAM"`
	// MaxMessageBytes and MaxFrameBytes: 131072 and 32768 (spec §2).
	MaxMessageBytes int `yaml:"maxMessageBytes"`
	MaxFrameBytes   int `yaml:"maxFrameBytes"`
}

// Secrets is the $connect API key: reports show REDACTED in its place.
func (c *WebSocketConfig) Secrets() []string { return []string{c.APIKey} }

func (c *WebSocketConfig) Validate() []string {
	var p []string
	if c.Stage == "" {
		p = append(p, "stage is required")
	}
	if c.ShortStage != "" && (c.IdleTimeout <= 0 || c.MaxConnectionDuration <= c.IdleTimeout) {
		p = append(p, "with shortStage, idleTimeout must be positive and maxConnectionDuration longer than it")
	}
	if c.TimeoutMillis < 50 || c.TimeoutMillis > 29000 {
		p = append(p, "timeoutMillis must be 50–29000 (spec §1.2)")
	}
	if c.MaxMessageBytes <= c.MaxFrameBytes || c.MaxFrameBytes <= 0 {
		p = append(p, "maxMessageBytes must be larger than maxFrameBytes, both positive")
	}
	return p
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureWebSocket, Description: "WebSocket APIs: $connect, routing, in-band errors, limits (spec §8, §2)", NewConfig: func() any {
		return &WebSocketConfig{Stage: "ws", TimeoutMillis: 29000, MaxMessageBytes: 131072, MaxFrameBytes: 32768, LifetimeSlack: 2 * time.Second,
			IdleTimeout: 10 * time.Minute, MaxConnectionDuration: 2 * time.Hour}
	}})
}

func wsConfig(t *conformance.T) *WebSocketConfig {
	c, ok := profile.Config[*WebSocketConfig](t.Target.Profile, FeatureWebSocket)
	if !ok {
		t.Skipf("needs feature %q claimed (its stage and API key)", FeatureWebSocket)
	}
	return c
}

// event is the fixture's description of one event it received, which the
// reply route and $default send back as a frame.
type event struct {
	ConnectionID string `json:"connectionId"`
	EventType    string `json:"eventType"`
	RouteKey     string `json:"routeKey"`
	RequestID    string `json:"requestId"`
	Body         string `json:"body"`
	Message      string `json:"message"` // set instead on in-band errors
}

func parseEvent(t *conformance.T, frame string) event {
	var e event
	t.Expect(json.Unmarshal([]byte(frame), &e)).To(Succeed(), "the frame is not JSON: %.200s", frame)
	return e
}

// dialWS connects to stage of the main WebSocket API (with the API key, if
// the profile has one).
func dialWS(t *conformance.T, stage string) *wsConn {
	return dialWSAt(t, t.Target.Profile.Target.WebSocketURL, stage, "")
}

// handshakeHeader is what a check's client sends on $connect: the
// profile's headers, the API key if $connect requires one, a known
// User-Agent (GetConnection reports it).
func handshakeHeader(t *conformance.T) http.Header {
	h := http.Header{"User-Agent": {"gatecheck-websocket-check"}}
	for k, v := range t.Target.Profile.Target.Headers {
		h.Set(k, v)
	}
	if k := wsConfig(t).APIKey; k != "" {
		h.Set("x-api-key", k)
	}
	return h
}

func dialWSAt(t *conformance.T, base, stage, query string) *wsConn {
	h := handshakeHeader(t)
	if base == t.Target.Profile.Target.WebSocketNoDefaultURL && wsConfig(t).NoDefaultRequiresIAM {
		t.Expect(t.Target.SignHandshake(t.Ctx, base, stage, query, h)).To(Succeed(), "signing the handshake")
	}
	c, resp, err := t.Target.DialWebSocket(t.Ctx, base, stage, query, h)
	t.Expect(err).NotTo(HaveOccurred(), "WebSocket handshake with %s/%s%s (%s)", base, stage, query, statusOf(resp))
	return newWSConn(c)
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// whoAmI asks the reply route for this connection's id.
func (w *wsConn) whoAmI(t *conformance.T) string {
	w.send(t, map[string]string{"action": "reply", "data": "who-am-i"})
	e := parseEvent(t, w.next(t, t.Target.Profile.Waits.Request, "the reply route's frame"))
	t.Expect(e.ConnectionID).NotTo(BeEmpty(), "the reply frame carries $context.connectionId: %+v", e)
	return e.ConnectionID
}

// fixtureEvents reads what the fixture saw for a connection.
func fixtureEvents(t *conformance.T, id string) []event {
	r := t.Get(t.Target.Profile.Target.FixtureURL+"/ws/events?connectionId="+url.QueryEscape(id), nil)
	t.Expect(r.Status).To(Equal(http.StatusOK), "fixture /ws/events: %s", r)
	var evs []event
	t.Expect(json.Unmarshal(r.Body, &evs)).To(Succeed(), "fixture /ws/events: %s", r)
	return evs
}

func routeKeys(evs []event) []string {
	keys := make([]string, len(evs))
	for i, e := range evs {
		keys[i] = e.EventType + " " + e.RouteKey
	}
	return keys
}

// expectInBandError checks an in-band error frame (spec §8.1): the message,
// this connection's id and a request id, and that the connection stays
// open (the reply route still answers).
func expectInBandError(t *conformance.T, w *wsConn, id, frame, message string) {
	e := parseEvent(t, frame)
	t.Expect(e.Message).To(Equal(message), "in-band error frame: %s", frame)
	t.Expect(e.ConnectionID).To(Equal(id), "the error frame names the connection: %s", frame)
	t.Expect(e.RequestID).NotTo(BeEmpty(), "the error frame carries a request id: %s", frame)
	t.Expect(w.whoAmI(t)).To(Equal(id), "the connection stays open after an in-band error")
}

// paddedMessage is a message of exactly n bytes asking the fixture to push
// its data back at once: {"action":"delayed","delayMs":0,"data":"xx…"}.
func paddedMessage(n int) (msg []byte, data string) {
	const head, tail = `{"action":"delayed","delayMs":0,"data":"`, `"}`
	data = strings.Repeat("x", n-len(head)-len(tail))
	return []byte(head + data + tail), data
}

// writeFrames sends msg as one message in frames of at most frame bytes:
// the dialer's write buffer is frame bytes, and gorilla sends a frame each
// time the buffer fills.
func writeFrames(t *conformance.T, c *gws.Conn, msg []byte, frame int) error {
	wr, err := c.NextWriter(gws.TextMessage)
	if err != nil {
		return err
	}
	for sent := 0; sent < len(msg); sent += frame {
		if _, err := wr.Write(msg[sent:min(sent+frame, len(msg))]); err != nil {
			return err
		}
	}
	return wr.Close()
}

// dialFramed connects with a write buffer of frame bytes, so gorilla's
// frames are at most that large.
func dialFramed(t *conformance.T, frame int) *wsConn {
	d := t.Target.Dialer()
	d.WriteBufferSize = frame
	c, resp, err := d.DialContext(t.Ctx, conformance.WebSocketStageURL(t.Target.Profile.Target.WebSocketURL, wsConfig(t).Stage), handshakeHeader(t))
	t.Expect(err).NotTo(HaveOccurred(), "WebSocket handshake (%s)", statusOf(resp))
	return newWSConn(c)
}

func handshakeStatus(t *conformance.T, query string, h http.Header) int {
	return handshakeStatusAt(t, t.Target.Profile.Target.WebSocketURL, query, h)
}

// handshakeStatusAt is the status a handshake to base's stage gets: 101
// when it connects (the connection is closed again at once).
func handshakeStatusAt(t *conformance.T, base, query string, h http.Header) int {
	c, resp, err := t.Target.DialWebSocket(t.Ctx, base, wsConfig(t).Stage, query, h)
	if err == nil {
		_ = c.Close()
		return http.StatusSwitchingProtocols
	}
	t.Expect(resp).NotTo(BeNil(), "the handshake failed without an HTTP answer: %v", err)
	return resp.StatusCode
}

// expectDisconnect waits, up to Waits.Eventually, for the connection's
// $disconnect at the fixture. $disconnect is best effort, not guaranteed
// (spec §8.2, DOC): none is graded NON-STRICT, never failed. One that
// comes carries eventType DISCONNECT (spec §8.4, DOC).
func expectDisconnect(t *conformance.T, id, when string) {
	wait := t.Target.Profile.Waits.Eventually
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := time.NewTicker(t.Target.Profile.Waits.Poll)
	defer poll.Stop()
	for {
		evs := fixtureEvents(t, id)
		for _, e := range evs {
			if e.RouteKey == "$disconnect" {
				t.Expect(e.EventType).To(Equal("DISCONNECT"), "the $disconnect %s: %v", when, routeKeys(evs))
				return
			}
		}
		select {
		case <-poll.C:
		case <-deadline.C:
			t.NonStrict("no $disconnect reached the integration within %v %s: $disconnect is best effort, not guaranteed (spec §8.2, DOC)", wait, when)
			return
		case <-t.Ctx.Done():
			t.Expect(t.Ctx.Err()).NotTo(HaveOccurred(), "waiting for $disconnect %s", when)
			return
		}
	}
}

// expectHandshakeRefused checks an authorization failure on $connect: the
// handshake is rejected with 401 or 403, either of which AWS documents
// (spec §8.2, DOC); which one is not judged.
func expectHandshakeRefused(t *conformance.T, status int, what string) {
	t.Expect(status).To(BeElementOf(http.StatusUnauthorized, http.StatusForbidden), "%s: rejected with 401 or 403, no connection made (101 is a connection)", what)
}

// wsMetrics sums the gateway's WebSocket counters for stage over every
// API (Prometheus text at target.metricsURL), by metric name.
func wsMetrics(t *conformance.T, stage string) map[string]float64 {
	resp := t.Get(t.Target.Profile.Target.MetricsURL, nil)
	t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
	parser := expfmt.NewTextParser(model.UTF8Validation) // the zero TextParser panics on any name (common v0.66+)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(resp.Body)))
	t.Expect(err).NotTo(HaveOccurred(), "metrics are not Prometheus text")
	sums := map[string]float64{}
	for name, f := range families {
		if !strings.HasPrefix(name, "apigateway_websocket_") {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "stage" && l.GetValue() == stage {
					sums[name] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sums
}

var wsNeeds = []string{conformance.NeedWebSocket}
var wsFixtureNeeds = []string{conformance.NeedWebSocket, conformance.NeedFixtureCounters}

var _ = conformance.Register(conformance.Area{
	Name:  "websocket",
	Title: "WebSocket APIs",
	Checks: []conformance.Check{
		{
			Name: "WebSocketConnect", Feature: FeatureWebSocket, Section: "§8.2",
			Description: "$connect: the handshake waits for the $connect integration (one that answers 300 ms late delays it as long) and completes when it answers 2xx; the integration received eventType CONNECT and routeKey $connect for the connection's id",
			Needs:       wsFixtureNeeds,
			Test: func(t *conformance.T) {
				start := time.Now()
				w := dialWSAt(t, t.Target.Profile.Target.WebSocketURL, wsConfig(t).Stage, "?delayMs=300")
				defer w.shut()
				t.Expect(time.Since(start)).To(BeNumerically(">=", 300*time.Millisecond), "the handshake completed before the $connect integration answered")
				id := w.whoAmI(t)
				evs := fixtureEvents(t, id)
				t.Expect(evs).NotTo(BeEmpty(), "the fixture saw no event for connection %s", id)
				t.Expect(evs[0].EventType+" "+evs[0].RouteKey).To(Equal("CONNECT $connect"), "the first event of a connection is its $connect: %v", routeKeys(evs))
			},
		},
		{
			Name: "WebSocketConnectRejected", Feature: FeatureWebSocket, Section: "§8.2",
			Description: "A $connect integration answering non-2xx rejects the handshake: no connection is made (DOC); with the integration's own status, which only an emulator's parity notes report (OBS), so another 4xx/5xx is graded NON-STRICT",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				h := http.Header{}
				if k := wsConfig(t).APIKey; k != "" {
					h.Set("x-api-key", k)
				}
				for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
					got := handshakeStatus(t, fmt.Sprintf("?reject=%d", status), h)
					t.Expect(got).To(BeNumerically(">=", 400), "handshake whose $connect integration answers %d: no connection may be made", status)
					if got != status {
						t.NonStrict("the handshake was rejected with %d where the $connect integration answered %d (AWS passing the status through is OBS only)", got, status)
					}
				}
			},
		},
		{
			Name: "WebSocketAPIKeyOnConnectOnly", Feature: FeatureWebSocket, Section: "§3.4, §8.2",
			Description: "An API key required on $connect: a handshake without it, or with an unknown key, is rejected with 401 or 403 (spec §8.2: either, DOC) and no connection is made; once connected, messages need no key",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				if cfg.APIKey == "" {
					t.Skipf("the profile's $connect requires no API key (websocket.apiKey)")
				}
				expectHandshakeRefused(t, handshakeStatus(t, "", nil), "handshake without x-api-key")
				expectHandshakeRefused(t, handshakeStatus(t, "", http.Header{"X-Api-Key": {"gatecheckNotAKey0000000000"}}), "handshake with an unknown key")
				w := dialWS(t, cfg.Stage)
				defer w.shut()
				w.whoAmI(t) // messages carry no key: routed all the same
			},
		},
		{
			Name: "WebSocketIAMConnect", Feature: FeatureWebSocket, Section: "§8.2",
			Description: "IAM authorization on $connect: an unsigned handshake or one signed with an unknown key is rejected with 401 or 403 (spec §8.2: either, DOC) and no connection is made; a SigV4-signed handshake connects",
			Needs:       []string{conformance.NeedWebSocketNoDefault, conformance.NeedCallbacks},
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				if !cfg.NoDefaultRequiresIAM {
					t.Skipf("the profile's APIs require no IAM authorization on $connect (websocket.noDefaultRequiresIAM)")
				}
				base := t.Target.Profile.Target.WebSocketNoDefaultURL
				expectHandshakeRefused(t, handshakeStatusAt(t, base, "", http.Header{}), "unsigned handshake")
				forged := http.Header{}
				t.Expect(t.Target.SignHandshake(t.Ctx, base, cfg.Stage, "", forged)).To(Succeed())
				forged.Set("Authorization", strings.Replace(forged.Get("Authorization"), "Credential=", "Credential=AKIAGATECHECKFORGED0", 1))
				expectHandshakeRefused(t, handshakeStatusAt(t, base, "", forged), "handshake signed with an unknown access key")
				w := dialWSAt(t, base, cfg.Stage, "")
				defer w.shut()
				w.whoAmI(t)
			},
		},
		{
			Name: "WebSocketCustomRoute", Feature: FeatureWebSocket, Section: "§8.1, §8.4",
			Description: "A message whose route selection expression ($request.body.action) names a custom route reaches that route's integration with the connection id, eventType MESSAGE, the route key and a fresh request id; its route response comes back as a frame",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				w := dialWS(t, wsConfig(t).Stage)
				defer w.shut()
				msg := `{"action":"reply","data":"custom-route"}`
				var ids []string
				var conn string
				for range 2 {
					w.send(t, []byte(msg))
					e := parseEvent(t, w.next(t, t.Target.Profile.Waits.Request, "the reply route's frame"))
					t.Expect(e.EventType).To(Equal("MESSAGE"), "%+v", e)
					t.Expect(e.RouteKey).To(Equal("reply"), "%+v", e)
					t.Expect(e.Body).To(Equal(msg), "the integration received the message as sent: %+v", e)
					t.Expect(e.ConnectionID).NotTo(BeEmpty())
					if conn != "" {
						t.Expect(e.ConnectionID).To(Equal(conn), "one connection, one id")
					}
					conn = e.ConnectionID
					ids = append(ids, e.RequestID)
				}
				t.Expect(ids[0]).NotTo(Equal(ids[1]), "each message has its own request id")
			},
		},
		{
			Name: "WebSocketDefaultRoute", Feature: FeatureWebSocket, Section: "§8.1",
			Description: "Non-JSON messages and messages whose route key matches no route go to $default",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				w := dialWS(t, wsConfig(t).Stage)
				defer w.shut()
				for _, msg := range []string{"plain text, not JSON", `{"action":"no-such-route"}`, `{"other":"field"}`} {
					w.send(t, []byte(msg))
					e := parseEvent(t, w.next(t, t.Target.Profile.Waits.Request, "the $default route's frame"))
					t.Expect(e.RouteKey).To(Equal("$default"), "message %q: %+v", msg, e)
					t.Expect(e.Body).To(Equal(msg))
				}
			},
		},
		{
			Name: "WebSocketNoRoute", Feature: FeatureWebSocket, Section: "§8.1",
			Description: `With no matching route and no $default, the client receives {"message": "Forbidden", "connectionId", "requestId"} and the connection stays open`,
			Needs:       []string{conformance.NeedWebSocketNoDefault},
			Test: func(t *conformance.T) {
				w := dialWSAt(t, t.Target.Profile.Target.WebSocketNoDefaultURL, wsConfig(t).Stage, "")
				defer w.shut()
				id := w.whoAmI(t)
				w.send(t, []byte(`{"action":"no-such-route"}`))
				expectInBandError(t, w, id, w.next(t, t.Target.Profile.Waits.Request, "the Forbidden frame"), "Forbidden")
			},
		},
		{
			Name: "WebSocketIntegrationError", Feature: FeatureWebSocket, Section: "§8.1",
			Description: `A failing integration is reported in-band: {"message": "Internal server error", "connectionId", "requestId"}; the connection stays open`,
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				w := dialWS(t, wsConfig(t).Stage)
				defer w.shut()
				id := w.whoAmI(t)
				w.send(t, map[string]string{"action": "fail"})
				expectInBandError(t, w, id, w.next(t, t.Target.Profile.Waits.Request, "the error frame"), "Internal server error")
			},
		},
		{
			Name: "WebSocketIntegrationTimeout", Feature: FeatureWebSocket, Section: "§1.2",
			Description: `An integration slower than its timeout is reported in-band at the timeout: {"message": "Endpoint request timed out", …}; the connection stays open`,
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				tol := t.Target.Profile.Tolerances
				timeout := time.Duration(cfg.TimeoutMillis) * time.Millisecond
				w := dialWS(t, cfg.Stage)
				defer w.shut()
				id := w.whoAmI(t)
				start := time.Now()
				w.send(t, map[string]any{"action": "slow", "delayMs": cfg.TimeoutMillis + 2000})
				frame := w.next(t, timeout+tol.TimeoutLate+t.Target.Profile.Waits.Request, "the timeout frame")
				elapsed := time.Since(start)
				t.Expect(elapsed).To(BeNumerically(">=", timeout-tol.TimeoutEarly), "the timeout frame came before the integration timeout (%v)", timeout)
				t.Expect(elapsed).To(BeNumerically("<=", timeout+tol.TimeoutLate), "the timeout frame came late: at the backend's pace, not the timeout's")
				expectInBandError(t, w, id, frame, "Endpoint request timed out")
			},
		},
		{
			Name: "WebSocketDisconnect", Feature: FeatureWebSocket, Section: "§8.2, §8.4",
			Description: "When the client closes, a $disconnect that reaches the integration carries eventType DISCONNECT (§8.4, DOC). " +
				"Graded NON-STRICT, never failed: no $disconnect within the wait (best effort, not guaranteed: §8.2, DOC) and a client's close not answered with a close frame (RFC 6455 §5.5.1; no AWS source; the code is not judged)",
			Needs: wsFixtureNeeds,
			Test: func(t *conformance.T) {
				w := dialWS(t, wsConfig(t).Stage)
				defer w.shut()
				id := w.whoAmI(t)
				t.Expect(w.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(time.Second))).To(Succeed(), "sending the client's close")
				wait := time.NewTimer(t.Target.Profile.Waits.Request)
				defer wait.Stop()
				select {
				case <-w.done:
					var ce *gws.CloseError
					if !errors.As(w.err, &ce) || ce.Code == gws.CloseAbnormalClosure { // 1006: gorilla's name for no close frame
						t.NonStrict("the client's close was answered by dropping the connection, with no close frame (RFC 6455 §5.5.1 asks for one; no AWS source records what API Gateway does)")
					}
				case <-wait.C:
					t.NonStrict("the connection was still open %v after the client's close (RFC 6455 §5.5.1 asks for a close frame in answer; no AWS source records what API Gateway does)", t.Target.Profile.Waits.Request)
				}
				expectDisconnect(t, id, "after the client's close")
			},
		},
		{
			Name: "WebSocketMessageTooBig", Feature: FeatureWebSocket, Section: "§2",
			Description: "A message of 128 KB (131,072 bytes) in 32 KB frames reaches the integration whole; one byte more closes the connection with 1009",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				// The message at the limit asks the fixture to push its data
				// back (a route without a route response): the pushed frame
				// proves the whole message reached the integration.
				ok := dialFramed(t, cfg.MaxFrameBytes)
				defer ok.shut()
				msg, data := paddedMessage(cfg.MaxMessageBytes)
				t.Expect(writeFrames(t, ok.Conn, msg, cfg.MaxFrameBytes)).To(Succeed())
				got := ok.next(t, t.Target.Profile.Waits.Request, "the push of a message at the limit")
				t.Expect(len(got)).To(Equal(len(data)), "the whole message reached the integration")
				t.Expect(got == data).To(BeTrue(), "the whole message reached the integration intact")
				over := dialFramed(t, cfg.MaxFrameBytes)
				defer over.shut()
				msg, _ = paddedMessage(cfg.MaxMessageBytes + 1)
				_ = writeFrames(t, over.Conn, msg, cfg.MaxFrameBytes) // the server may close while we write
				t.Expect(over.closed(t, t.Target.Profile.Waits.Request, "a message over the limit")).To(Equal(gws.CloseMessageTooBig))
			},
		},
		{
			Name: "WebSocketFrameTooBig", Feature: FeatureWebSocket, Section: "§2",
			Description: "A single frame over 32 KB closes the connection with 1009, even when the message is under 128 KB",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				w := dialFramed(t, 2*cfg.MaxFrameBytes)
				defer w.shut()
				msg, _ := paddedMessage(cfg.MaxFrameBytes + 1024)
				_ = writeFrames(t, w.Conn, msg, 2*cfg.MaxFrameBytes)
				t.Expect(w.closed(t, t.Target.Profile.Waits.Request, "a frame over the limit")).To(Equal(gws.CloseMessageTooBig))
			},
		},
		{
			Name: "WebSocketBinaryFrameRejected", Feature: FeatureWebSocket, Section: "§8.1",
			Description: "A binary frame is not taken: the connection is closed with 1003 and the message never reaches the integration (DG: \"Binary media types for WebSocket APIs\")",
			Needs:       wsFixtureNeeds,
			Test: func(t *conformance.T) {
				w := dialWS(t, wsConfig(t).Stage)
				defer w.shut()
				id := w.whoAmI(t)
				// A message the reply route would answer, were it taken.
				probe := []byte(`{"action":"reply","data":"binary-frame-probe"}`)
				t.Expect(w.WriteMessage(gws.BinaryMessage, probe)).To(Succeed(), "sending a binary frame")
				t.Expect(w.closed(t, t.Target.Profile.Waits.Request, "the close after a binary frame")).To(Equal(gws.CloseUnsupportedData))
				for _, e := range fixtureEvents(t, id) {
					t.Expect(e.Body).NotTo(ContainSubstring("binary-frame-probe"), "the binary frame reached the integration: %v", routeKeys(fixtureEvents(t, id)))
				}
			},
		},
		{
			Name: "WebSocketMetrics", Feature: FeatureWebSocket, Section: "§8.4",
			Description: "Per-stage WebSocket metrics count what happened: ConnectCount, MessageCount, IntegrationError (a failing integration) and ClientError (no route) move with a connection's traffic",
			Needs:       []string{conformance.NeedWebSocket, conformance.NeedWebSocketNoDefault, conformance.NeedMetrics},
			Test: func(t *conformance.T) {
				stage := wsConfig(t).Stage
				before := wsMetrics(t, stage)
				w := dialWS(t, stage)
				defer w.shut()
				id := w.whoAmI(t)
				w.send(t, map[string]string{"action": "fail"})
				expectInBandError(t, w, id, w.next(t, t.Target.Profile.Waits.Request, "the error frame"), "Internal server error")
				nd := dialWSAt(t, t.Target.Profile.Target.WebSocketNoDefaultURL, stage, "")
				defer nd.shut()
				ndID := nd.whoAmI(t)
				nd.send(t, []byte(`{"action":"no-such-route"}`))
				expectInBandError(t, nd, ndID, nd.next(t, t.Target.Profile.Waits.Request, "the Forbidden frame"), "Forbidden")
				after := wsMetrics(t, stage)
				for name, least := range map[string]float64{
					"apigateway_websocket_connect_count":           2, // two connections
					"apigateway_websocket_message_count":           6, // whoAmI, fail and whoAmI again, on each of two connections (one fewer fail, one more no-route)
					"apigateway_websocket_integration_error_count": 1, // the fixture's 500
					"apigateway_websocket_client_error_count":      1, // no route, no $default
				} {
					t.Expect(after[name]-before[name]).To(BeNumerically(">=", least), "%s moved by %v", name, after[name]-before[name])
				}
			},
		},
		{
			Name: "WebSocketIdleTimeout", Feature: FeatureWebSocket, Section: "§2.1",
			Description: "A connection with no data messages for the idle timeout is closed by the gateway, not before it and not long after (§2.1, DOC; close code UNCONFIRMED, not judged). " +
				"A $disconnect that follows carries eventType DISCONNECT; none within the wait is graded NON-STRICT ($disconnect is best effort, §8.2 DOC)",
			Needs: wsFixtureNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				if cfg.ShortStage == "" {
					t.Skipf("no websocket.shortStage: the idle timeout is tested on a stage whose limits the profile states")
				}
				w := dialWS(t, cfg.ShortStage)
				defer w.shut()
				// The last data message: the gateway received it between
				// sent and answered, so the close is due in that window
				// shifted by the idle timeout.
				sent := time.Now()
				id := w.whoAmI(t)
				answered := time.Now()
				w.closed(t, cfg.IdleTimeout+cfg.LifetimeSlack+t.Target.Profile.Waits.Request, "an idle connection")
				t.Expect(time.Since(sent)).To(BeNumerically(">=", cfg.IdleTimeout), "closed before the idle timeout")
				t.Expect(time.Since(answered)).To(BeNumerically("<=", cfg.IdleTimeout+cfg.LifetimeSlack), "closed long after the idle timeout")
				expectDisconnect(t, id, "after the idle timeout")
			},
		},
		{
			Name: "WebSocketMaxDuration", Feature: FeatureWebSocket, Section: "§2.1",
			Description: "Data messages keep a connection past the idle timeout, but not past the maximum connection duration",
			Needs:       wsNeeds,
			Test: func(t *conformance.T) {
				cfg := wsConfig(t)
				if cfg.ShortStage == "" {
					t.Skipf("no websocket.shortStage: the maximum duration is tested on a stage whose limits the profile states")
				}
				start := time.Now()
				w := dialWS(t, cfg.ShortStage)
				defer w.shut()
				connected := time.Now() // the gateway's clock for the connection starts in between
				tick := time.NewTicker(cfg.IdleTimeout / 4)
				defer tick.Stop()
				deadline := time.After(cfg.MaxConnectionDuration + cfg.LifetimeSlack)
			loop:
				for {
					select {
					case <-tick.C:
						if w.WriteMessage(gws.TextMessage, []byte(`{"action":"keepalive"}`)) != nil {
							break loop
						}
					case <-w.done:
						break loop
					case <-deadline:
						break loop
					}
				}
				w.closed(t, time.Second, "a connection past its maximum duration")
				t.Expect(time.Since(start)).To(BeNumerically(">=", cfg.MaxConnectionDuration), "closed before the maximum duration, though active")
				t.Expect(time.Since(connected)).To(BeNumerically("<=", cfg.MaxConnectionDuration+cfg.LifetimeSlack), "open past the maximum duration")
			},
		},
	},
})
