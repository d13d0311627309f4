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

// frameLimitConn watches the client→server byte stream of a hijacked
// connection and fails reads once a frame header announces a payload over
// max. gorilla/websocket enforces only a message limit (SetReadLimit) and
// does not expose frame sizes, so the frame limit is enforced here, below
// its bufio.Reader (Upgrader.ReadBufferSize is non-zero, so gorilla builds
// its reader over this conn instead of reusing the server's). The parser
// also notes the client's close frame, so closing can stop waiting for it.
type frameLimitConn struct {
	net.Conn
	max uint64

	// Parser state, touched only by the connection's reader goroutine.
	hdr           [14]byte // the frame header being collected
	hdrLen        int      // header bytes collected so far
	hdrNeed       int      // header size, known once 2 bytes are in
	remaining     uint64   // payload bytes of the current frame still to pass
	inClose       bool     // the current frame is a close frame
	closeReceived bool     // a whole close frame has passed
	exceeded      bool     // a frame over max was announced
}

func newFrameLimitConn(c net.Conn, max int) *frameLimitConn {
	return &frameLimitConn{Conn: c, max: uint64(max)}
}

func (f *frameLimitConn) Read(p []byte) (int, error) {
	if f.exceeded {
		return 0, errFrameTooLarge
	}
	n, err := f.Conn.Read(p)
	f.scan(p[:n])
	if f.exceeded {
		// The bytes up to the oversized header are valid frames: hand
		// them over; this and later reads fail.
		return n, errFrameTooLarge
	}
	return n, err
}

// scan advances the parser over b. Client frames are masked: 2 header
// bytes, then 0, 2 or 8 bytes of extended length, then a 4-byte mask key.
func (f *frameLimitConn) scan(b []byte) {
	for len(b) > 0 {
		if f.remaining > 0 {
			skip := min(f.remaining, uint64(len(b)))
			f.remaining -= skip
			b = b[skip:]
			if f.remaining == 0 && f.inClose {
				f.closeReceived = true
			}
			continue
		}
		f.hdr[f.hdrLen] = b[0]
		f.hdrLen++
		b = b[1:]
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
		if length > f.max {
			f.exceeded = true
		}
		f.inClose = f.hdr[0]&0x0f == 0x8
		if f.inClose && length == 0 {
			f.closeReceived = true
		}
		f.remaining, f.hdrLen, f.hdrNeed = length, 0, 0
	}
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
