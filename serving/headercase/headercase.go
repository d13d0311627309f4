// Package headercase recovers the spelling a client gave its header names.
// net/http's server canonicalises them ("tEsT-HEADeR" arrives as
// "Test-Header") and keeps no trace of the original, but API Gateway passes
// a client's own spelling on to a Lambda proxy event (AWS-REC: LocalStack
// test_lambda_aws_proxy_integration, 2024-08-02). So a connection keeps
// the header bytes it reads, and each request, when it reaches the
// handler, claims its own header block from them.
//
// Only the request line and header block are kept: a request's body is
// skipped by its Content-Length as it is read. A connection on which the
// bytes can no longer be told apart (a chunked body, an upgrade, more than
// MaxBuffered bytes unclaimed, a block that does not start with the
// request's own request line) stops recording for good, and its requests
// report no names: a caller then keeps net/http's canonical ones. Nothing
// here decides how a request is framed or routed; net/http does.
package headercase

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// MaxBuffered bounds the unclaimed bytes a connection keeps: net/http's
// largest header block (serving's 64 KiB plus its 4 KiB allowance) with
// room to spare.
const MaxBuffered = 128 << 10

// Listener wraps ln so that its connections record header bytes. Serve
// with a server whose ConnContext is ConnContext and whose handler is
// wrapped by Handler.
func Listener(ln net.Listener) net.Listener { return &listener{ln} }

type listener struct{ net.Listener }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c}, nil
}

// conn records the bytes read from it until it stops (off).
type conn struct {
	net.Conn
	mu   sync.Mutex
	buf  []byte // read, not yet claimed, body bytes left out
	skip int64  // body bytes still to come that are left out
	off  bool
	// The request being served: its header block and, once asked for,
	// its names.
	block   []byte
	current bool
	names   map[string]string
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.record(p[:n])
	}
	return n, err
}

// CloseWrite half-closes the connection when the underlying one can
// (net/http half-closes a connection whose body it did not read).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *conn) record(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return
	}
	if c.skip > 0 {
		d := min(int64(len(b)), c.skip)
		b, c.skip = b[d:], c.skip-d
	}
	if len(c.buf)+len(b) > MaxBuffered {
		c.stop()
		return
	}
	c.buf = append(c.buf, b...)
}

func (c *conn) stop() { c.off, c.buf, c.skip = true, nil, 0 }

// claim takes r's request line and header block off the front of the
// recorded bytes and returns the block (without the request line), or nil
// when the connection has lost track. The block is appended to dst.
func (c *conn) claim(r *http.Request, dst []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claimLocked(r, dst)
}

func (c *conn) claimLocked(r *http.Request, dst []byte) []byte {
	if c.off {
		return nil
	}
	b := bytes.TrimLeft(c.buf, "\r\n") // blank lines before a request line are allowed (RFC 9112 §2.2)
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	want := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
	if !ok || len(line) != want || string(line[:len(r.Method)]) != r.Method ||
		string(line[len(r.Method)+1:len(line)-len(r.Proto)-1]) != r.RequestURI || string(line[len(line)-len(r.Proto):]) != r.Proto {
		c.stop()
		return nil
	}
	end := headerEnd(rest)
	if end < 0 {
		c.stop()
		return nil
	}
	dst = append(dst, rest[:end]...)
	rest = rest[end:]
	switch {
	case r.Header.Get("Upgrade") != "" || len(r.TransferEncoding) > 0 || r.ContentLength < 0:
		// Upgraded or chunked: what follows is not requests framed by
		// Content-Length.
		c.stop()
		return dst
	case r.ContentLength > 0:
		d := min(int64(len(rest)), r.ContentLength)
		rest, c.skip = rest[d:], r.ContentLength-d
	}
	n := copy(c.buf, rest)
	c.buf = c.buf[:n]
	if cap(c.buf) > 4<<10 && n == 0 {
		c.buf = nil // a large block's buffer is not kept for the connection's life
	}
	return dst
}

// headerEnd is the length of the header block at the start of b, its
// closing blank line included; -1 if b holds no complete block.
func headerEnd(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		line := b[i : i+j]
		i += j + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
	}
	return -1
}

type connKey struct{}

// ConnContext is an http.Server ConnContext that makes a recording
// connection known to Handler.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if hc, ok := c.(*conn); ok {
		return context.WithValue(ctx, connKey{}, hc)
	}
	return ctx
}

// Handler claims each HTTP/1 request's header block before next serves
// it. A connection serves its requests one at a time, so the block is the
// connection's own, reused: no allocation unless Names is called.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hc, ok := r.Context().Value(connKey{}).(*conn)
		if !ok || r.ProtoMajor != 1 {
			next.ServeHTTP(w, r)
			return
		}
		hc.serving(r)
		defer hc.served()
		next.ServeHTTP(w, r)
	})
}

// serving claims r's block as the one Names reads until served.
func (c *conn) serving(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	block := c.claimLocked(r, c.block[:0])
	if block != nil {
		c.block = block
	}
	c.current, c.names = block != nil, nil
}

func (c *conn) served() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current, c.names = false, nil
	if cap(c.block) > 4<<10 {
		c.block = nil
	}
}

// Names maps each of r's canonical header names to the spelling the client
// sent (the first, if it sent several); nil when unknown (not served
// through Listener and Handler, HTTP/2, the connection lost track, or r is
// no longer being served).
func Names(r *http.Request) map[string]string {
	c, ok := r.Context().Value(connKey{}).(*conn)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current {
		return nil
	}
	if c.names == nil {
		c.names = parseNames(c.block)
	}
	return c.names
}

func parseNames(raw []byte) map[string]string {
	names := map[string]string{}
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw = rest
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' { // a continuation line
			continue
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 {
			continue
		}
		sent := string(name)
		if canonical := http.CanonicalHeaderKey(sent); names[canonical] == "" {
			names[canonical] = sent
		}
	}
	return names
}
