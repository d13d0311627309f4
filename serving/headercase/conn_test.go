package headercase

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

func recorded(t testing.TB, raw string) *conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := &conn{Conn: a}
	c.record([]byte(raw))
	return c
}

func request(t testing.TB, method, uri string, h http.Header) *http.Request {
	r, err := http.NewRequest(method, "http://x"+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor = uri, "HTTP/1.1", 1, 1
	if h != nil {
		r.Header = h
	}
	return r
}

// An upgraded connection carries frames, not requests: it stops recording
// (a WebSocket connection must not fill a buffer for its whole life).
func TestUpgradeStopsRecording(t *testing.T) {
	c := recorded(t, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\x81\x05hello")
	if b := c.claim(request(t, "GET", "/ws", http.Header{"Upgrade": {"websocket"}}), nil); !strings.Contains(string(b), "Upgrade") {
		t.Fatalf("block %q", b)
	}
	c.record([]byte("more frames"))
	if !c.off || c.buf != nil {
		t.Errorf("off %v, buffered %q after an upgrade", c.off, c.buf)
	}
}

// A block that does not start with the request's own request line means
// the recording and net/http disagree: stop rather than guess.
func TestMismatchStopsRecording(t *testing.T) {
	for _, uri := range []string{"/other", "/a?x=1"} {
		c := recorded(t, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
		if b := c.claim(request(t, "GET", uri, nil), nil); b != nil || !c.off {
			t.Errorf("%s: block %q off %v", uri, b, c.off)
		}
	}
}

func BenchmarkClaim(b *testing.B) {
	raw := "GET /test/lambda?result=ok HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Go-http-client/1.1\r\nAccept: application/json\r\nX-Amzn-Trace-Id: Root=1-3152b799-8954dae64eda91bc9a23a7e8\r\nAccept-Encoding: gzip\r\n\r\n"
	c := recorded(b, "")
	r := request(b, "GET", "/test/lambda?result=ok", nil)
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		c.record([]byte(raw))
		dst = c.claim(r, dst[:0])
	}
}
