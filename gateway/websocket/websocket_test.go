package websocket

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9+/]{15}=$`) // like AWS's L0SM9cOFvHcCIhw=

func TestConnect(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, resp, err := h.dial("/ws", keyHeader(), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial: %v (%s)", err, statusOf(resp))
	}
	ev := h.backend.next(t)
	if ev.Type != "CONNECT" || ev.RouteKey != "$connect" || ev.Stage != "ws" || len(ev.Body) != 0 || ev.Method != http.MethodPost || ev.Path != "/ws/events" {
		t.Errorf("$connect event = %+v", ev)
	}
	if !idRE.MatchString(ev.ConnectionID) || !idRE.MatchString(ev.RequestID) || ev.ConnectionID == ev.RequestID {
		t.Errorf("ids %q, %q do not look like AWS's", ev.ConnectionID, ev.RequestID)
	}
	if ev.DomainName != strings.TrimPrefix(h.srv.URL, "http://") {
		t.Errorf("domainName %q", ev.DomainName)
	}
	if ev.Header.Get("X-Gatecheck-Reject") != "" {
		t.Error("an absent route.request.querystring source must leave the header out")
	}
	if h.gw.Connections() != 1 {
		t.Errorf("Connections() = %d", h.gw.Connections())
	}
	ws.Close()
	h.backend.nextOf(t, "DISCONNECT")
	if got := counter(t, h.gw.stages["ws"].count.connects); got != 1 {
		t.Errorf("ConnectCount = %v", got)
	}
}

func TestConnectRefusedWithoutAPIKey(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	for name, header := range map[string]http.Header{
		"no key":    nil,
		"wrong key": {"X-Api-Key": {"gatecheckWebSocketKey000007"}},
	} {
		_, resp, err := h.dial("/ws", header, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %v (%s); want 403", name, err, statusOf(resp))
		}
		if body, _ := io.ReadAll(resp.Body); string(body) != "{\"message\":\"Forbidden\"}\n" || resp.Header.Get("x-amzn-ErrorType") != "ForbiddenException" {
			t.Errorf("%s: body %q, type %q", name, body, resp.Header.Get("x-amzn-ErrorType"))
		}
	}
	if n := len(h.backend.events); n != 0 {
		t.Errorf("the $connect integration ran %d times; the key check comes first", n)
	}
	if got := counter(t, h.gw.stages["ws"].count.clientErrors); got != 2 {
		t.Errorf("ClientError = %v", got)
	}
}

func TestConnectRejectedByIntegration(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	for _, status := range []int{401, 403, 500} {
		_, resp, err := h.dial("/ws?reject="+strconv.Itoa(status), keyHeader(), nil)
		if err == nil || resp == nil || resp.StatusCode != status {
			t.Fatalf("reject=%d: %v (%s)", status, err, statusOf(resp))
		}
		if ev := h.backend.next(t); ev.Header.Get("X-Gatecheck-Reject") != strconv.Itoa(status) {
			t.Errorf("route.request.querystring.reject not mapped: %v", ev.Header)
		}
	}
	if h.gw.Connections() != 0 {
		t.Errorf("Connections() = %d after rejections", h.gw.Connections())
	}
}

func TestConnectIntegrationUnreachable(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"), withBackendAddr(deadAddr(t)))
	_, resp, err := h.dial("/ws", keyHeader(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("%v (%s); want 500", err, statusOf(resp))
	}
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `"Internal server error"`) {
		t.Errorf("body %q", body)
	}
}

// The upgrade waits for $connect; meanwhile the connection does not exist
// for @connections (410); a $connect past its timeout fails with 504.
func TestConnectPendingAndTimeout(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	type dialResult struct {
		resp *http.Response
		err  error
	}
	dialed := make(chan dialResult, 1)
	go func() {
		ws, resp, err := h.dial("/ws?reject=slow", keyHeader(), nil)
		if ws != nil {
			ws.Close()
		}
		dialed <- dialResult{resp, err}
	}()
	ev := h.backend.next(t)
	if status, typ, _ := h.call(http.MethodPost, "ws", ev.ConnectionID, []byte("early")); status != http.StatusGone || typ != "GoneException" {
		t.Errorf("POST during $connect: %d %s; want 410 GoneException", status, typ)
	}
	h.advance(1, 29*time.Second) // the $connect integration's timer
	res := <-dialed
	if res.err == nil || res.resp == nil || res.resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("%v (%s); want 504", res.err, statusOf(res.resp))
	}
	if body, _ := io.ReadAll(res.resp.Body); !strings.Contains(string(body), `"Endpoint request timed out"`) {
		t.Errorf("body %q", body)
	}
}

func TestConnectCompletesWhenIntegrationAnswers(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	dialed := make(chan *gws.Conn, 1)
	go func() {
		ws, _, _ := h.dial("/ws?reject=slow", keyHeader(), nil)
		dialed <- ws
	}()
	ev := h.backend.next(t)
	if status, _, _ := h.call(http.MethodGet, "ws", ev.ConnectionID, nil); status != http.StatusGone {
		t.Errorf("GET during $connect: %d; want 410", status)
	}
	h.backend.releaseAll() // the backend answers 200
	ws := <-dialed
	if ws == nil {
		t.Fatal("the handshake failed after $connect succeeded")
	}
	if status, _, _ := h.call(http.MethodPost, "ws", ev.ConnectionID, []byte("now")); status != http.StatusOK {
		t.Fatalf("POST after $connect: %d", status)
	}
	if got := readFrame(t, ws); got != "now" {
		t.Errorf("frame %q", got)
	}
}

func TestHandshakeErrors(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	_, resp, err := h.dial("/nope", keyHeader(), nil)
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unknown stage: %v (%s)", err, statusOf(resp))
	}
	if body, _ := io.ReadAll(resp.Body); strings.TrimSpace(string(body)) != `{"message":"Forbidden"}` {
		t.Errorf("unknown stage body %q", body)
	}
	upgrade := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}
	for _, tc := range []struct {
		method, path string
		header       http.Header
		want         int
	}{
		{"GET", "/ws", nil, http.StatusUpgradeRequired},
		{"POST", "/ws", nil, http.StatusUpgradeRequired},
		{"GET", "/ws", upgrade, http.StatusBadRequest}, // no key, no version
		{"POST", "/ws", upgrade, http.StatusBadRequest},
		{"GET", "/", nil, http.StatusForbidden},
		{"GET", "//", nil, http.StatusForbidden},
		{"GET", "/ws/extra", nil, http.StatusForbidden},
		{"GET", "/ws/@connections", nil, http.StatusForbidden},
		{"GET", "/ws/%40connections/", nil, http.StatusForbidden},
		{"GET", "/ws/@connections/a%2Fb", nil, http.StatusForbidden}, // unsigned
		{"GET", "/ws/%2540connections/a", nil, http.StatusForbidden},
		{"PUT", "/ws/@connections/abc", nil, http.StatusForbidden},
		{"OPTIONS", "/ws/@connections/abc", nil, http.StatusForbidden},
	} {
		req, err := http.NewRequest(tc.method, h.srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = tc.path // sent as written, malformed escapes included
		for k, v := range tc.header {
			req.Header[k] = v
		}
		status, _, body := h.do(req)
		if status != tc.want || !json.Valid(body) {
			t.Errorf("%s %s: %d %q; want %d with a JSON body", tc.method, tc.path, status, body, tc.want)
		}
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")

	send(t, ws, `{"action":"echo","data":1}`)
	ev := h.backend.next(t)
	if ev.Type != "MESSAGE" || ev.RouteKey != "echo" || ev.ConnectionID != id || string(ev.Body) != `{"action":"echo","data":1}` ||
		ev.ContentType != "application/json" || !idRE.MatchString(ev.RequestID) {
		t.Errorf("echo event = %+v", ev)
	}
	// Non-JSON goes to $default, whose route response comes back. It is
	// the first frame: echo (no route response) sent none.
	send(t, ws, "hello")
	if ev := h.backend.next(t); ev.RouteKey != "$default" {
		t.Errorf("non-JSON routed to %q", ev.RouteKey)
	}
	if got := readFrame(t, ws); got != "backend:hello" {
		t.Errorf("first frame %q; want the $default route response", got)
	}
	send(t, ws, `{"action":"unknown"}`)
	if ev := h.backend.next(t); ev.RouteKey != "$default" {
		t.Errorf("unknown action routed to %q", ev.RouteKey)
	}
	readFrame(t, ws)
	send(t, ws, `{"action":"$connect"}`) // predefined keys cannot be selected
	if ev := h.backend.next(t); ev.RouteKey != "$default" {
		t.Errorf("$connect action routed to %q", ev.RouteKey)
	}
	readFrame(t, ws)
	send(t, ws, `{"action":"reply","n":2}`)
	if ev := h.backend.next(t); ev.RouteKey != "reply" {
		t.Errorf("reply routed to %q", ev.RouteKey)
	}
	if got := readFrame(t, ws); got != `reply:{"action":"reply","n":2}` {
		t.Errorf("route response %q", got)
	}
	if got := counter(t, h.gw.stages["ws"].count.messages); got != 5 {
		t.Errorf("MessageCount = %v, want 5", got)
	}
}

// API Gateway closes a connection that sends a binary frame with 1003
// (DG, "Binary media types for WebSocket APIs"); a text message that is
// not UTF-8 fails the connection with 1007 (RFC 6455 §8.1). Neither
// reaches the integration.
func TestBinaryAndInvalidTextMessagesClose(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	for _, tc := range []struct {
		kind int
		data []byte
		code int
	}{
		{gws.BinaryMessage, []byte{0, 1, 2}, gws.CloseUnsupportedData},
		{gws.TextMessage, []byte{'{', 0xff, 0xfe, '}'}, gws.CloseInvalidFramePayloadData},
		{gws.TextMessage, []byte("half a rune \xe2\x82"), gws.CloseInvalidFramePayloadData},
	} {
		ws, _ := h.connect("ws")
		_ = ws.SetWriteDeadline(time.Now().Add(wait))
		if err := ws.WriteMessage(tc.kind, tc.data); err != nil {
			t.Fatal(err)
		}
		expectClose(t, ws, tc.code)
		ws.Close()
		if ev := h.backend.next(t); ev.Type != "DISCONNECT" {
			t.Errorf("after the close: %s %s reached the integration; want only $disconnect", ev.Type, ev.RouteKey)
		}
	}
	if got := counter(t, h.gw.stages["ws"].count.clientErrors); got != 3 {
		t.Errorf("ClientError = %v, want 3", got)
	}
}

const combinedAPI = `
name: combined
protocolType: WEBSOCKET
routeSelectionExpression: ${request.body.service}/${request.body.action}
integrations:
  backend:
    integrationType: HTTP_PROXY
    integrationMethod: PUT
    integrationUri: http://${stageVariables.backend}/ws/events?fixed=1
    requestParameters:
      integration.request.header.X-Gatecheck-Event-Type: context.eventType
      integration.request.header.X-Gatecheck-Route-Key: context.routeKey
      integration.request.header.X-Gatecheck-Connection-Id: context.connectionId
      integration.request.querystring.messageId: context.messageId
      integration.request.querystring.connectedAt: context.connectedAt
      integration.request.querystring.sourceIp: context.identity.sourceIp
      integration.request.querystring.userAgent: context.identity.userAgent
      integration.request.querystring.apiId: context.apiId
      integration.request.querystring.token: route.request.querystring.token
      integration.request.header.X-Client: route.request.header.X-Client
      integration.request.header.X-Literal: "'fixed value'"
      integration.request.header.X-Var: stageVariables.backend
routes:
  users/get: {target: backend}
  $default: {target: backend}
  $disconnect: {target: backend}
stages:
  prod: {stageVariables: {backend: 127.0.0.1:9090}}
`

func TestCombinedExpressionAndMappings(t *testing.T) {
	api, err := Load("combined.yaml", []byte(combinedAPI))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, api)
	ws, _, err := h.dial("/prod?token=abc", http.Header{"X-Client": {"tester"}, "User-Agent": {"ua/1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, ws, `{"service":"users","action":"get"}`)
	ev := h.backend.next(t)
	if ev.RouteKey != "users/get" || ev.Method != http.MethodPut {
		t.Errorf("routed to %q with %s", ev.RouteKey, ev.Method)
	}
	want := map[string]string{"fixed": "1", "connectedAt": strconv.FormatInt(start.UnixMilli(), 10), "sourceIp": "127.0.0.1",
		"userAgent": "ua/1", "apiId": "combined", "token": "abc"}
	for k, v := range want {
		if got := ev.Query.Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if !idRE.MatchString(ev.Query.Get("messageId")) {
		t.Errorf("messageId %q", ev.Query.Get("messageId"))
	}
	if ev.Header.Get("X-Client") != "tester" || ev.Header.Get("X-Literal") != "fixed value" || ev.Header.Get("X-Var") != h.backend.srv.Listener.Addr().String() {
		t.Errorf("mapped headers %v", ev.Header)
	}
	send(t, ws, `{"service":"users"}`) // "users/" matches no route
	if ev := h.backend.next(t); ev.RouteKey != "$default" {
		t.Errorf("routed to %q", ev.RouteKey)
	}
	ws.Close()
	dis := h.backend.nextOf(t, "DISCONNECT")
	if dis.RouteKey != "$disconnect" || dis.Query.Has("messageId") || len(dis.Body) != 0 || dis.ConnectionID != ev.ConnectionID {
		t.Errorf("$disconnect event = %+v", dis)
	}
}

func TestNoMatchingRouteAnswersForbidden(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket-nodefault.yaml"))
	ws, resp, err := h.dial("/ws", h.signedHeader("/ws", nil, testCredential.secret), nil)
	if err != nil {
		t.Fatalf("%v (%s)", err, statusOf(resp))
	}
	id := h.backend.next(t).ConnectionID
	for _, msg := range []string{`{"action":"nope"}`, "not json"} {
		send(t, ws, msg)
		f := parseErrorFrame(t, readFrame(t, ws))
		if f.Message != "Forbidden" || f.ConnectionID != id || !idRE.MatchString(f.RequestID) {
			t.Errorf("%s: frame %+v", msg, f)
		}
	}
	send(t, ws, `{"action":"reply"}`) // the connection stayed open
	if ev := h.backend.next(t); ev.Type != "MESSAGE" || ev.RouteKey != "reply" {
		t.Errorf("event %+v", ev)
	}
	if got := readFrame(t, ws); got != `reply:{"action":"reply"}` {
		t.Errorf("frame %q", got)
	}
}

// The runner's deviation checks edit routes between Load and New; the
// gateway serves the edited table and reports the key a route was chosen by.
func TestRoutesEditedBeforeNew(t *testing.T) {
	api := loadFixture(t, "reference.websocket-nodefault.yaml")
	api.Routes[RouteDefault] = api.Routes["reply"]
	h := newHarness(t, api)
	ws, _, err := h.dial("/ws", h.signedHeader("/ws", nil, testCredential.secret), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.backend.nextOf(t, "CONNECT")
	delete(api.Routes, RouteDefault) // after New: no effect
	send(t, ws, `{"action":"nope"}`)
	if ev := h.backend.next(t); ev.RouteKey != RouteDefault {
		t.Errorf("routeKey %q, want $default", ev.RouteKey)
	}
	if got := readFrame(t, ws); got != `backend:{"action":"nope"}` { // reply's route response
		t.Errorf("frame %q", got)
	}
}

// IAM authorization on $connect (spec §8.2): only a SigV4-signed handshake
// connects, and a refused one never reaches the integration.
func TestIAMOnConnect(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket-nodefault.yaml"))
	for name, header := range map[string]http.Header{
		"unsigned":     nil,
		"wrong secret": h.signedHeader("/ws", nil, "not-the-secret"),
	} {
		_, resp, err := h.dial("/ws", header, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s handshake: %v (%s), want 403", name, err, statusOf(resp))
		}
	}
	if _, resp, err := h.dial("/ws", h.signedHeader("/ws", nil, testCredential.secret), nil); err != nil {
		t.Fatalf("signed handshake: %v (%s)", err, statusOf(resp))
	}
	if ev := h.backend.next(t); ev.Type != "CONNECT" {
		t.Errorf("the first event the integration saw is %+v: a refused handshake reached it", ev)
	}
}

func TestIntegrationErrorFrames(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")

	send(t, ws, `{"action":"fail"}`)
	f := parseErrorFrame(t, readFrame(t, ws))
	ev := h.backend.next(t)
	if f.Message != "Internal server error" || f.ConnectionID != id || f.RequestID != ev.RequestID {
		t.Errorf("frame %+v for request %s", f, ev.RequestID)
	}

	send(t, ws, `{"action":"slow"}`)
	ev = h.backend.next(t)
	h.advance(3, time.Second) // idle, duration and the slow integration's 1 s timer
	f = parseErrorFrame(t, readFrame(t, ws))
	if f.Message != "Endpoint request timed out" || f.ConnectionID != id || f.RequestID != ev.RequestID {
		t.Errorf("frame %+v for request %s", f, ev.RequestID)
	}

	send(t, ws, `{"action":"reply"}`) // still open
	if got := readFrame(t, ws); got != `reply:{"action":"reply"}` {
		t.Errorf("frame %q", got)
	}
	count := h.gw.stages["ws"].count
	if counter(t, count.integrationErrors) != 1 || counter(t, count.executionErrors) != 1 {
		t.Errorf("IntegrationError %v, ExecutionError %v; want 1, 1", counter(t, count.integrationErrors), counter(t, count.executionErrors))
	}
}

func TestMessageIntegrationUnreachable(t *testing.T) {
	// combinedAPI has no $connect, so the handshake needs no backend.
	api, err := Load("x.yaml", []byte(combinedAPI))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, api, withBackendAddr(deadAddr(t)))
	ws, _, err := h.dial("/prod", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, ws, "x")
	if f := parseErrorFrame(t, readFrame(t, ws)); f.Message != "Internal server error" {
		t.Errorf("frame %+v", f)
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestCloseEndsEveryConnection(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs after every other cleanup
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	var clients []*gws.Conn
	for range 3 {
		ws, _ := h.connect("ws")
		clients = append(clients, ws)
	}
	send(t, clients[0], `{"action":"slow"}`) // in flight when Close starts
	h.backend.nextOf(t, "MESSAGE")

	// Clients read while Close runs, as real ones do, so they answer the
	// close frames and Close need not wait out closeGrace.
	closed := make(chan error, len(clients))
	for _, ws := range clients {
		go func() { closed <- awaitClose(ws, gws.CloseGoingAway) }()
	}
	h.gw.Close()
	if h.gw.Connections() != 0 {
		t.Errorf("Connections() = %d after Close", h.gw.Connections())
	}
	for range clients {
		if err := <-closed; err != nil {
			t.Error(err)
		}
	}
	for range clients {
		h.backend.nextOf(t, "DISCONNECT")
	}
	h.gw.Close() // twice is fine
	_, resp, err := h.dial("/ws", keyHeader(), nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v (%s)", err, statusOf(resp))
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, file := range []string{"reference.websocket.yaml", "reference.websocket-nodefault.yaml"} {
		g, err := New(loadFixture(t, file), Options{Verifier: newVerifier(), Registry: reg})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		g.Close()
	}
	if _, err := New(loadFixture(t, "reference.websocket.yaml"), Options{}); err == nil {
		t.Error("New without a Verifier should fail")
	}
}

// Close is bounded even when $disconnect hangs and the gateway's clock is a
// fake one that is never advanced (so the integration timeout never fires):
// before, Close waited forever.
func TestCloseIsBoundedWhenDisconnectHangs(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	h.backend.holdDisconnect.Store(true)
	ws, _ := h.connect("ws")
	defer ws.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.gw.Close()
	}()
	select {
	case <-done:
	case <-time.After(disconnectGrace + wait):
		h.backend.releaseAll() // let the test end
		<-done
		t.Fatal("Close waited on a hanging $disconnect")
	}
	if ev := h.backend.nextOf(t, "DISCONNECT"); ev.RouteKey != "$disconnect" {
		t.Errorf("disconnect event %+v", ev)
	}
}
