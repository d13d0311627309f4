package websocket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	gws "github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for an event in these tests; nothing sleeps.
const wait = 5 * time.Second

// The fake clock's start: connectedAt in GetConnection answers.
var start = time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)

const apiKey = "gatecheckWebSocketKey000006" // reference.websocket.yaml's key

var testCredential = struct{ id, secret string }{"AKIDWEBSOCKETTEST", "websocket-test-secret"}

func newVerifier() *sigv4.Verifier {
	return &sigv4.Verifier{Credentials: []sigv4.Credential{{AccessKeyID: testCredential.id, SecretAccessKey: testCredential.secret, Identity: "tester"}}}
}

// backendEvent is one integration request as the fake backend saw it.
type backendEvent struct {
	Type, ConnectionID, RouteKey, RequestID, DomainName, Stage string
	Method, Path, ContentType                                  string
	Header                                                     http.Header
	Query                                                      url.Values
	Body                                                       []byte
}

// fakeBackend is a tiny integration backend that records every event and
// answers by event and action:
//   - CONNECT with X-Gatecheck-Reject: <status> refuses with that status;
//     "slow" blocks until released or cancelled.
//   - MESSAGE {"action":"fail"} → 500; "slow" blocks; "reply" → "reply:"+body;
//     anything else → "backend:"+body.
type fakeBackend struct {
	srv         *httptest.Server
	events      chan backendEvent
	release     chan struct{}
	releaseOnce sync.Once
	// holdDisconnect makes DISCONNECT block until released or cancelled.
	holdDisconnect atomic.Bool
}

func newFakeBackend(t *testing.T) *fakeBackend {
	b := &fakeBackend{events: make(chan backendEvent, 8192), release: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(func() { b.releaseAll(); b.srv.Close() })
	return b
}

func (b *fakeBackend) releaseAll() { b.releaseOnce.Do(func() { close(b.release) }) }

func (b *fakeBackend) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev := backendEvent{
		Type: r.Header.Get("X-Gatecheck-Event-Type"), ConnectionID: r.Header.Get("X-Gatecheck-Connection-Id"),
		RouteKey: r.Header.Get("X-Gatecheck-Route-Key"), RequestID: r.Header.Get("X-Gatecheck-Request-Id"),
		DomainName: r.Header.Get("X-Gatecheck-Domain-Name"), Stage: r.Header.Get("X-Gatecheck-Stage"),
		Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
		Header: r.Header, Query: r.URL.Query(), Body: body,
	}
	select {
	case b.events <- ev:
	default:
		http.Error(w, "test backend: event buffer full", http.StatusInsufficientStorage)
		return
	}
	block := func() {
		select {
		case <-r.Context().Done():
		case <-b.release:
		}
	}
	if ev.Type == "CONNECT" {
		switch reject := r.Header.Get("X-Gatecheck-Reject"); reject {
		case "":
		case "slow":
			block()
		default:
			status, _ := strconv.Atoi(reject)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"message":"refused by the backend"}`))
		}
		return
	}
	if ev.Type == "DISCONNECT" && b.holdDisconnect.Load() {
		block()
		return
	}
	if ev.Type != "MESSAGE" {
		return
	}
	var msg struct{ Action string }
	_ = json.Unmarshal(body, &msg)
	switch msg.Action {
	case "fail":
		http.Error(w, "backend failure", http.StatusInternalServerError)
	case "slow":
		block()
	case "reply":
		_, _ = w.Write(append([]byte("reply:"), body...))
	default:
		_, _ = w.Write(append([]byte("backend:"), body...))
	}
}

// next returns the next event, failing the test after a bounded wait.
func (b *fakeBackend) next(t *testing.T) backendEvent {
	t.Helper()
	select {
	case ev := <-b.events:
		return ev
	case <-time.After(wait):
		t.Fatal("no integration call reached the backend")
		return backendEvent{}
	}
}

// nextOf skips events of other types (e.g. a $disconnect racing a test's
// next step) until one of typ arrives.
func (b *fakeBackend) nextOf(t *testing.T, typ string) backendEvent {
	t.Helper()
	for {
		if ev := b.next(t); ev.Type == typ {
			return ev
		}
	}
}

// harness is a gateway on an httptest server, integrated with a fake
// backend, on a fake clock.
type harness struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	backend *fakeBackend
	gw      *Gateway
	srv     *httptest.Server
	client  *http.Client
}

type harnessOption func(*harnessConfig)

type harnessConfig struct {
	backendAddr string // default: the fake backend
	opts        Options
}

func withBackendAddr(addr string) harnessOption {
	return func(c *harnessConfig) { c.backendAddr = addr }
}

func withOptions(f func(*Options)) harnessOption { return func(c *harnessConfig) { f(&c.opts) } }

func newHarness(t *testing.T, api *API, options ...harnessOption) *harness {
	t.Helper()
	backend := newFakeBackend(t)
	clock := clockwork.NewFakeClockAt(start)
	cfg := harnessConfig{backendAddr: backend.srv.Listener.Addr().String()}
	cfg.opts = Options{
		Clock:    clock,
		Verifier: newVerifier(),
		Registry: prometheus.NewRegistry(),
	}
	for _, o := range options {
		o(&cfg)
	}
	api.SetVariable("backend", cfg.backendAddr)
	gw, err := New(api, cfg.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	transport := &http.Transport{}
	// Cleanups run last-in first-out: the gateway closes (and runs
	// $disconnect) while the backend is still up.
	t.Cleanup(func() {
		gw.Close()
		srv.Close()
		transport.CloseIdleConnections()
	})
	return &harness{t: t, clock: clock, backend: backend, gw: gw, srv: srv, client: &http.Client{Transport: transport}}
}

// dial opens a WebSocket to path (e.g. "/ws?x=1"); the socket is closed at
// cleanup.
func (h *harness) dial(path string, header http.Header, dialer *gws.Dialer) (*gws.Conn, *http.Response, error) {
	h.t.Helper()
	if dialer == nil {
		dialer = &gws.Dialer{}
	}
	dialer.HandshakeTimeout = wait
	ws, resp, err := dialer.Dial("ws"+strings.TrimPrefix(h.srv.URL, "http")+path, header)
	if ws != nil {
		h.t.Cleanup(func() { ws.Close() })
	}
	return ws, resp, err
}

func keyHeader() http.Header {
	return http.Header{"X-Api-Key": {apiKey}, "User-Agent": {"gatecheck-test/1"}}
}

// signedHeader is a handshake header SigV4-signed for path (an IAM
// client's), on top of base.
func (h *harness) signedHeader(path string, base http.Header, secret string) http.Header {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	sign(h.t, req, nil, secret)
	out := base.Clone()
	if out == nil {
		out = http.Header{}
	}
	out.Set("Authorization", req.Header.Get("Authorization"))
	out.Set("X-Amz-Date", req.Header.Get("X-Amz-Date"))
	return out
}

// connect opens a connection to stage of the reference API and returns it
// with its id, learnt from the $connect event.
func (h *harness) connect(stage string) (*gws.Conn, string) {
	h.t.Helper()
	ws, resp, err := h.dial("/"+stage, keyHeader(), nil)
	if err != nil {
		h.t.Fatalf("dial: %v (%s)", err, statusOf(resp))
	}
	ev := h.backend.nextOf(h.t, "CONNECT")
	return ws, ev.ConnectionID
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(body)
}

// advance moves the fake clock once n timers are waiting on it.
func (h *harness) advance(n int, d time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.clock.BlockUntilContext(ctx, n); err != nil {
		h.t.Fatalf("waiting for %d timers: %v", n, err)
	}
	h.clock.Advance(d)
}

// callRequest builds an @connections request the way the AWS SDK's
// apigatewaymanagementapi client does (newCallRequest).
func (h *harness) callRequest(method, stage, id string, body []byte) *http.Request {
	h.t.Helper()
	return newCallRequest(h.t, h.srv.URL, method, stage, id, body)
}

// newCallRequest builds an unsigned @connections request with the
// connections client, which sends what the AWS SDK's
// apigatewaymanagementapi client sends (endpoint + "/@connections/" + the
// id escaped by smithy-go, octet-stream body); tests sign it as they need.
func newCallRequest(tb testing.TB, base, method, stage, id string, body []byte) *http.Request {
	tb.Helper()
	c := &connections.Client{Endpoint: base + "/" + stage}
	req, err := c.NewRequest(context.Background(), method, id, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// sign signs req with the SDK's signer, default (double) path escaping.
func sign(t testing.TB, req *http.Request, body []byte, secret string) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testCredential.id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// call sends a signed @connections request and returns status, error type
// and body.
func (h *harness) call(method, stage, id string, body []byte) (int, string, []byte) {
	h.t.Helper()
	req := h.callRequest(method, stage, id, body)
	sign(h.t, req, body, testCredential.secret)
	return h.do(req)
}

func (h *harness) do(req *http.Request) (int, string, []byte) {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		h.t.Errorf("%s %s: no x-amzn-RequestId", req.Method, req.URL)
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body
}

// readFrame reads the next data message within a bounded wait.
func readFrame(t *testing.T, ws *gws.Conn) string {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return string(data)
}

// expectClose reads until the gateway's close frame and checks its code.
func expectClose(t *testing.T, ws *gws.Conn, code int) {
	t.Helper()
	if err := awaitClose(ws, code); err != nil {
		t.Fatal(err)
	}
}

// awaitClose is expectClose for other goroutines.
func awaitClose(ws *gws.Conn, code int) error {
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue // frames queued before the close
		}
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			return fmt.Errorf("connection ended with %v; want close code %d", err, code)
		}
		return nil
	}
}

func send(t *testing.T, ws *gws.Conn, msg string) {
	t.Helper()
	_ = ws.SetWriteDeadline(time.Now().Add(wait))
	if err := ws.WriteMessage(gws.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// errorFrame is an in-band error frame's JSON.
type errorFrame struct {
	Message, ConnectionID, RequestID string
}

func parseErrorFrame(t *testing.T, frame string) errorFrame {
	t.Helper()
	var f struct {
		Message      string `json:"message"`
		ConnectionID string `json:"connectionId"`
		RequestID    string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(frame), &f); err != nil {
		t.Fatalf("error frame %q: %v", frame, err)
	}
	return errorFrame{f.Message, f.ConnectionID, f.RequestID}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
