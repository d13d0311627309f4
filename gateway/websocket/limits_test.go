package websocket

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/http"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
)

// gorilla's client writes a message in frames of its write buffer size.
func dialFrames(t *testing.T, h *harness, frameBytes int) *gws.Conn {
	t.Helper()
	ws, resp, err := h.dial("/ws", keyHeader(), &gws.Dialer{WriteBufferSize: frameBytes})
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, statusOf(resp))
	}
	h.backend.nextOf(t, "CONNECT")
	return ws
}

func TestSizeLimits(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	for _, tc := range []struct {
		name                 string
		frameBytes, msgBytes int
		wantClose            int // 0: delivered
	}{
		{"128 KB in 32 KB frames", 32 << 10, 128 << 10, 0},
		{"129 KB in 32 KB frames", 32 << 10, 129 << 10, gws.CloseMessageTooBig},
		{"one 40 KB frame", 64 << 10, 40 << 10, gws.CloseMessageTooBig},
		{"one 32 KB frame", 64 << 10, 32 << 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := dialFrames(t, h, tc.frameBytes)
			msg := bytes.Repeat([]byte("m"), tc.msgBytes) // not JSON: $default
			if err := ws.WriteMessage(gws.TextMessage, msg); err != nil {
				t.Fatal(err)
			}
			if tc.wantClose != 0 {
				expectClose(t, ws, tc.wantClose)
				if ev := h.backend.nextOf(t, "DISCONNECT"); ev.RouteKey != "$disconnect" {
					t.Errorf("$disconnect event %+v", ev)
				}
				return
			}
			if ev := h.backend.nextOf(t, "MESSAGE"); len(ev.Body) != tc.msgBytes {
				t.Errorf("the backend got %d bytes", len(ev.Body))
			}
			if got := readFrame(t, ws); len(got) != len("backend:")+tc.msgBytes {
				t.Errorf("route response of %d bytes", len(got))
			}
			ws.Close()
			h.backend.nextOf(t, "DISCONNECT")
		})
	}
}

// The frame parser must follow headers split across reads and every
// length encoding.
func TestFrameLimitParser(t *testing.T) {
	frame := func(n int) []byte {
		var b []byte
		switch {
		case n < 126:
			b = []byte{0x82, 0x80 | byte(n)}
		case n <= 0xffff:
			b = []byte{0x82, 0x80 | 126, 0, 0}
			binary.BigEndian.PutUint16(b[2:], uint16(n))
		default:
			b = []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0}
			binary.BigEndian.PutUint64(b[2:], uint64(n))
		}
		b = append(b, 1, 2, 3, 4) // mask key
		return append(b, make([]byte, n)...)
	}
	var ok []byte
	for _, n := range []int{0, 1, 125, 126, 1000, 65535, 65536, 100000} {
		ok = append(ok, frame(n)...)
	}
	closeFrame := []byte{0x88, 0x82, 1, 2, 3, 4, 0xaa, 0xbb}
	for _, chunk := range []int{1, 3, 7, 4096, len(ok)} {
		f := &frameLimitConn{max: 100000}
		feed := func(b []byte) {
			for len(b) > 0 {
				n := min(chunk, len(b))
				f.scan(b[:n])
				b = b[n:]
			}
		}
		feed(ok)
		if f.exceeded || f.closeReceived {
			t.Fatalf("chunk %d: frames within the limit: exceeded %v, close %v", chunk, f.exceeded, f.closeReceived)
		}
		feed(frame(100001)) // over the limit, then followed to its end
		if !f.exceeded {
			t.Errorf("chunk %d: a frame over the limit passed", chunk)
		}
		feed(closeFrame[:7])
		if f.closeReceived {
			t.Errorf("chunk %d: close seen before its payload ended", chunk)
		}
		feed(closeFrame[7:])
		if !f.closeReceived {
			t.Errorf("chunk %d: the close frame after it was missed", chunk)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("short") // idle 1 s, duration 3 s
	h.advance(2, 900*time.Millisecond)
	send(t, ws, `{"action":"echo"}`) // a data message resets the idle timer
	h.backend.nextOf(t, "MESSAGE")
	h.advance(2, 900*time.Millisecond) // 1.8 s since connect, 0.9 s idle
	if err := ws.WriteMessage(gws.PingMessage, nil); err != nil {
		t.Fatal(err) // a ping is not a data message: it does not reset idleness
	}
	if status, _, _ := h.call(http.MethodGet, "short", id, nil); status != http.StatusOK {
		t.Fatalf("closed before the idle timeout: GET %d", status)
	}
	h.advance(2, 100*time.Millisecond)
	expectClose(t, ws, gws.CloseGoingAway)
	if ev := h.backend.nextOf(t, "DISCONNECT"); ev.ConnectionID != id {
		t.Errorf("$disconnect for %q, want %q", ev.ConnectionID, id)
	}
}

func TestMaxConnectionDuration(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("short")
	for range 3 { // busy, never idle
		h.advance(2, 900*time.Millisecond)
		send(t, ws, `{"action":"echo"}`)
		h.backend.nextOf(t, "MESSAGE")
	}
	h.advance(2, 299*time.Millisecond) // 2.999 s
	if status, _, _ := h.call(http.MethodGet, "short", id, nil); status != http.StatusOK {
		t.Fatalf("closed before the maximum duration: GET %d", status)
	}
	h.advance(2, time.Millisecond)
	expectClose(t, ws, gws.CloseGoingAway)
	h.backend.nextOf(t, "DISCONNECT")
}

func TestDisconnectOnClientClose(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	if err := ws.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, "bye")); err != nil {
		t.Fatal(err)
	}
	expectClose(t, ws, gws.CloseNormalClosure) // the gateway echoes the close
	ev := h.backend.nextOf(t, "DISCONNECT")
	if ev.ConnectionID != id || ev.RouteKey != "$disconnect" || len(ev.Body) != 0 || !idRE.MatchString(ev.RequestID) {
		t.Errorf("$disconnect event %+v", ev)
	}
	if h.gw.Connections() != 0 {
		t.Errorf("Connections() = %d", h.gw.Connections())
	}
}

// A client that vanishes without a close frame still ends in $disconnect.
func TestDisconnectOnDroppedSocket(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	if tcp, ok := ws.NetConn().(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // reset, no close handshake
	}
	ws.NetConn().Close()
	if ev := h.backend.nextOf(t, "DISCONNECT"); ev.ConnectionID != id {
		t.Errorf("$disconnect for %q", ev.ConnectionID)
	}
}

// A close frame whose body is one byte breaks RFC 6455 §5.5.1 (a body
// starts with a 2-byte status code): the connection fails with 1002.
// gorilla alone takes it for a close without a code and echoes 1005.
func TestOneByteCloseBodyIsAProtocolError(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	ws, id := h.connect("ws")
	_ = ws.NetConn().SetWriteDeadline(time.Now().Add(wait))
	if _, err := ws.NetConn().Write([]byte{0x88, 0x81, 1, 2, 3, 4, 0x03 ^ 1}); err != nil { // masked, body 0x03
		t.Fatal(err)
	}
	expectClose(t, ws, gws.CloseProtocolError)
	if ev := h.backend.nextOf(t, "DISCONNECT"); ev.ConnectionID != id {
		t.Errorf("$disconnect for %q, want %q", ev.ConnectionID, id)
	}
}

// Read hands gorilla the frames before a bad header and never the header
// itself, also when the header is split across reads.
func TestFrameLimitCutsBeforeABadHeader(t *testing.T) {
	valid := []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2} // masked "hi"
	for name, bad := range map[string][]byte{
		"one-byte close body":  {0x88, 0x81, 1, 2, 3, 4, 3 ^ 1},
		"frame over the limit": {0x81, 0x80 | 126, 0x01, 0x00, 1, 2, 3, 4},
	} {
		f := &frameLimitConn{max: 100}
		if cut := f.scan(append(append([]byte{}, valid...), bad...)); cut != len(valid) || f.failure() == nil {
			t.Errorf("%s in one read: cut %d (want %d), failure %v", name, cut, len(valid), f.failure())
		}
		f = &frameLimitConn{max: 100}
		first := append(append([]byte{}, valid...), bad[:3]...)
		if cut := f.scan(first); cut != len(first) || f.failure() != nil {
			t.Errorf("%s, first part: cut %d (want %d), failure %v", name, cut, len(first), f.failure())
		}
		if cut := f.scan(bad[3:]); cut != 0 || f.failure() == nil {
			t.Errorf("%s, rest of the header: cut %d (want 0), failure %v", name, cut, f.failure())
		}
	}
}
