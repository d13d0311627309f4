package websocket

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
)

// errFrameTooLarge ends a connection whose client sent a frame over the
// frame limit (AWS: 32 KB, close code 1009, spec §2).
var errFrameTooLarge = errors.New("websocket: frame exceeds the frame size limit")

// errMalformedClose ends a connection whose client sent a close frame
// with a one-byte body: RFC 6455 §5.5.1 says a body starts with a 2-byte
// status code, and gorilla would take it for a close without one (1005).
var errMalformedClose = errors.New("websocket: close frame with a one-byte body")

// frameLimitConn watches the client→server byte stream of a hijacked
// connection and fails reads once a frame header announces a payload over
// max. gorilla/websocket enforces only a message limit (SetReadLimit) and
// does not expose frame sizes, so the frame limit is enforced here, below
// its bufio.Reader (Upgrader.ReadBufferSize is non-zero, so gorilla builds
// its reader over this conn instead of reusing the server's). The parser
// also notes the client's close frame, so closing can stop waiting for it,
// and fails a close frame with a one-byte body, which gorilla accepts.
type frameLimitConn struct {
	net.Conn
	max uint64

	// Parser state, touched only by the connection's reader goroutine.
	hdr            [14]byte // the frame header being collected
	hdrLen         int      // header bytes collected so far
	hdrNeed        int      // header size, known once 2 bytes are in
	remaining      uint64   // payload bytes of the current frame still to pass
	inClose        bool     // the current frame is a close frame
	closeReceived  bool     // a whole close frame has passed
	exceeded       bool     // a frame over max was announced
	malformedClose bool     // a close frame with a one-byte body was announced
	failed         error    // the first bad header's error: reads fail with it
}

func newFrameLimitConn(c net.Conn, max int) *frameLimitConn {
	return &frameLimitConn{Conn: c, max: uint64(max)}
}

// failure is the error of the first bad header seen, nil while none.
func (f *frameLimitConn) failure() error { return f.failed }

func (f *frameLimitConn) Read(p []byte) (int, error) {
	if err := f.failure(); err != nil {
		return 0, err
	}
	n, err := f.Conn.Read(p)
	cut := f.scan(p[:n])
	if bad := f.failure(); bad != nil {
		// The bytes before the bad frame's header are valid frames:
		// hand them over, withholding the bad header so that gorilla
		// never acts on it; this and later reads fail.
		return cut, bad
	}
	return n, err
}

// scan advances the parser over b. Client frames are masked: 2 header
// bytes, then 0, 2 or 8 bytes of extended length, then a 4-byte mask key.
// Once a frame header is bad (over max, or a one-byte close body), cut is
// how many bytes of b come before that header (0 if it began in an
// earlier read); until then it is len(b).
func (f *frameLimitConn) scan(b []byte) (cut int) {
	cut = len(b)
	bad := f.failure() != nil
	start := 0 // where the header being collected begins in b
	for i := 0; i < len(b); {
		if f.remaining > 0 {
			skip := min(f.remaining, uint64(len(b)-i))
			f.remaining -= skip
			i += int(skip)
			if f.remaining == 0 && f.inClose {
				f.closeReceived = true
			}
			continue
		}
		if f.hdrLen == 0 {
			start = i
		}
		f.hdr[f.hdrLen] = b[i]
		f.hdrLen++
		i++
		if f.hdrLen == 2 {
			f.hdrNeed = 2
			switch f.hdr[1] & 0x7f {
			case 126:
				f.hdrNeed += 2
			case 127:
				f.hdrNeed += 8
			}
			if f.hdr[1]&0x80 != 0 {
				f.hdrNeed += 4
			}
		}
		if f.hdrLen < 2 || f.hdrLen < f.hdrNeed {
			continue
		}
		var length uint64
		switch l := f.hdr[1] & 0x7f; l {
		case 126:
			length = uint64(binary.BigEndian.Uint16(f.hdr[2:4]))
		case 127:
			length = binary.BigEndian.Uint64(f.hdr[2:10])
		default:
			length = uint64(l)
		}
		f.inClose = f.hdr[0]&0x0f == 0x8
		if length > f.max {
			f.exceeded = true
		}
		oneByteClose := f.inClose && length == 1
		if oneByteClose {
			f.malformedClose, f.inClose = true, false // not a close the gateway may wait for
		}
		if f.inClose && length == 0 {
			f.closeReceived = true
		}
		if f.failed == nil {
			switch {
			case length > f.max:
				f.failed = errFrameTooLarge
			case oneByteClose:
				f.failed = errMalformedClose
			}
		}
		if !bad && f.failure() != nil {
			bad, cut = true, start
			if f.hdrNeed > i-start { // the header began in an earlier read
				cut = 0
			}
		}
		f.remaining, f.hdrLen, f.hdrNeed = length, 0, 0
	}
	return cut
}

// drain reads and discards what the client still sends until its close
// frame has arrived, it closes the socket, or the read deadline passes.
// Closing a socket with unread data makes the kernel send a reset, which
// can destroy the close frame before the client reads it.
func (f *frameLimitConn) drain() {
	var buf [4096]byte
	for !f.closeReceived {
		n, err := f.Conn.Read(buf[:])
		f.scan(buf[:n])
		if err != nil {
			return
		}
	}
}

// hijackWrapper hands gorilla's Upgrader a frameLimitConn in place of the
// hijacked connection. gorilla asserts http.Hijacker on the ResponseWriter
// itself, so the wrapper must implement it directly.
type hijackWrapper struct {
	http.ResponseWriter
	maxFrame int
	conn     *frameLimitConn // set by Hijack
}

func (h *hijackWrapper) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("websocket: this connection cannot be taken over (only HTTP/1.1 supports the WebSocket upgrade)")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = newFrameLimitConn(nc, h.maxFrame)
	return h.conn, brw, nil
}
