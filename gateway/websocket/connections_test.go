package websocket

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"
	gws "github.com/gorilla/websocket"
)

func TestPostToConnection(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")

	status, typ, body := h.call(http.MethodPost, "ws", id, []byte("hello"))
	if status != http.StatusOK || typ != "" || len(body) != 0 {
		t.Fatalf("POST: %d %s %q; want 200 with an empty body", status, typ, body)
	}
	if got := readFrame(t, ws); got != "hello" {
		t.Errorf("frame %q", got)
	}

	largest := bytes.Repeat([]byte("x"), MaxPostBytes)
	if status, typ, _ := h.call(http.MethodPost, "ws", id, largest); status != http.StatusOK {
		t.Fatalf("POST %d bytes: %d %s", len(largest), status, typ)
	}
	if got := readFrame(t, ws); len(got) != MaxPostBytes {
		t.Errorf("frame of %d bytes", len(got))
	}
	status, typ, body = h.call(http.MethodPost, "ws", id, append(largest, 'x'))
	if status != http.StatusRequestEntityTooLarge || typ != "PayloadTooLargeException" || !strings.Contains(string(body), "message") {
		t.Errorf("POST %d bytes: %d %s %q; want 413 PayloadTooLargeException", len(largest)+1, status, typ, body)
	}

	// Queued frames go out in order (one writer per connection).
	const n = 300
	for i := range n {
		if status, _, _ := h.call(http.MethodPost, "ws", id, []byte(strconv.Itoa(i))); status != http.StatusOK {
			t.Fatalf("POST %d: %d", i, status)
		}
	}
	for i := range n {
		if got := readFrame(t, ws); got != strconv.Itoa(i) {
			t.Fatalf("frame %d is %q", i, got)
		}
	}
}

func TestConnectionsAuthentication(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	_, id := h.connect("ws")
	for _, tc := range []struct {
		name     string
		sign     func(*http.Request, []byte)
		wantType string
		wantMsg  string
	}{
		{"unsigned", func(*http.Request, []byte) {}, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", func(r *http.Request, b []byte) { sign(t, r, b, "not-the-secret") }, "InvalidSignatureException", "signature"},
		{"bearer token", func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "Bearer abc") }, "IncompleteSignatureException", "Authorization"},
	} {
		// An oversized body is authenticated first, as AWS does: a bad
		// signature is a 403 whatever the size (a good one, a 413: above).
		for _, body := range [][]byte{[]byte("hi"), bytes.Repeat([]byte("x"), MaxPostBytes+1)} {
			req := h.callRequest(http.MethodPost, "ws", id, body)
			tc.sign(req, body)
			status, typ, resp := h.do(req)
			var msg struct{ Message string }
			_ = json.Unmarshal(resp, &msg)
			if status != http.StatusForbidden || typ != tc.wantType || !strings.Contains(msg.Message, tc.wantMsg) {
				t.Errorf("%s (%d bytes): %d %s %q; want 403 %s", tc.name, len(body), status, typ, resp, tc.wantType)
			}
		}
	}
}

func TestGetConnection(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	get := func() connectionInfo {
		t.Helper()
		status, typ, body := h.call(http.MethodGet, "ws", id, nil)
		if status != http.StatusOK {
			t.Fatalf("GET: %d %s %q", status, typ, body)
		}
		var info connectionInfo
		if err := json.Unmarshal(body, &info); err != nil {
			t.Fatalf("GET body %q: %v", body, err)
		}
		return info
	}
	info := get()
	if info.ConnectedAt != "2026-11-25T10:00:00.123Z" || info.LastActiveAt != info.ConnectedAt ||
		info.Identity.SourceIP != "127.0.0.1" || info.Identity.UserAgent != "gatecheck-test/1" {
		t.Errorf("GET = %+v", info)
	}
	h.clock.Advance(5 * time.Second)
	send(t, ws, `{"action":"echo"}`)
	h.backend.nextOf(t, "MESSAGE")
	if info := get(); info.LastActiveAt != "2026-11-25T10:00:05.123Z" || info.ConnectedAt != "2026-11-25T10:00:00.123Z" {
		t.Errorf("after a message: %+v", info)
	}
}

func TestDeleteConnection(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	if status, typ, body := h.call(http.MethodDelete, "ws", id, nil); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s %q", status, typ, body)
	}
	expectClose(t, ws, gws.CloseNormalClosure)
	if ev := h.backend.nextOf(t, "DISCONNECT"); ev.ConnectionID != id || ev.RouteKey != "$disconnect" {
		t.Errorf("$disconnect event %+v", ev)
	}
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		status, typ, body := h.call(method, "ws", id, nil)
		if status != http.StatusGone || typ != "GoneException" || string(body) != "{}\n" {
			t.Errorf("%s after DELETE: %d %s %q; want 410 GoneException {}", method, status, typ, body)
		}
	}
	if h.gw.Connections() != 0 {
		t.Errorf("Connections() = %d", h.gw.Connections())
	}
}

func TestConnectionsPaths(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	for name, path := range map[string]string{
		"@ encoded":      "/ws/%40connections/" + httpbinding.EscapePath(id, true),
		"id not escaped": "/ws/@connections/" + id, // "/" in an id splits it; the gateway joins it back
	} {
		body := []byte(name)
		req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sign(t, req, body, testCredential.secret)
		if status, typ, resp := h.do(req); status != http.StatusOK {
			t.Errorf("%s (%s): %d %s %q", name, path, status, typ, resp)
			continue
		}
		if got := readFrame(t, ws); got != name {
			t.Errorf("frame %q", got)
		}
	}
	for _, tc := range []struct {
		method, stage, id string
		want              int
		wantType          string
	}{
		{http.MethodPost, "ws", "AAAAAAAAAAAAAAA=", http.StatusGone, "GoneException"},
		{http.MethodPost, "short", id, http.StatusGone, "GoneException"}, // connections belong to their stage
		{http.MethodPost, "nope", id, http.StatusForbidden, "ForbiddenException"},
		{http.MethodPut, "ws", id, http.StatusForbidden, "ForbiddenException"},
		{http.MethodPatch, "ws", id, http.StatusForbidden, "ForbiddenException"},
	} {
		if status, typ, body := h.call(tc.method, tc.stage, tc.id, []byte("x")); status != tc.want || typ != tc.wantType {
			t.Errorf("%s /%s/@connections/%s: %d %s %q; want %d %s", tc.method, tc.stage, tc.id, status, typ, body, tc.want, tc.wantType)
		}
	}
}

// A client that does not read lets frames pile up; past the queue bound a
// post is refused with 429.
func TestPostQueueFull(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	// A registered connection whose writer never runs: its queue only fills.
	c := h.gw.newConn(httptest.NewRequest(http.MethodGet, "/ws", nil), h.gw.stages["ws"])
	h.gw.register(c)
	defer c.end(gws.CloseGoingAway, "")
	for i := range maxQueuedMessages {
		if err := c.enqueue(gws.TextMessage, []byte("x")); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	if status, typ, body := h.call(http.MethodPost, "ws", c.id, []byte("one too many")); status != http.StatusTooManyRequests || typ != "LimitExceededException" {
		t.Errorf("POST to a full queue: %d %s %q; want 429 LimitExceededException", status, typ, body)
	}
}
