// Package serving builds the HTTP servers gatecheck starts (the reference
// gateway's REST, management and WebSocket listeners, and the fixture
// backend) with the same bounded defences: a header deadline, a body
// deadline, a write deadline where responses are not streamed, an idle
// timeout and a cap on concurrent connections. A slow or hostile client can
// then hold at most one connection slot for a bounded time, and never
// memory it has not sent.
package serving

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/serving/headercase"
)

// Limits bound what one client can hold on a server. The zero value of a
// field means "none" except where Defaults documents otherwise; start from
// a Defaults value and override.
type Limits struct {
	// ReadHeaderTimeout bounds the request line and headers, from the
	// first byte of a request.
	ReadHeaderTimeout time.Duration
	// BodyTimeout bounds reading the request body, from the end of the
	// headers to its last byte. A request whose body is not complete by
	// then fails its read (the gateway answers 400) and its connection is
	// closed. 0: no body deadline.
	BodyTimeout time.Duration
	// WriteTimeout bounds a response, from the end of the request headers
	// (body upload and handler time included) to the last byte written. It
	// must exceed BodyTimeout plus the longest integration timeout served.
	// Upgraded WebSocket connections set their own deadline per frame.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle between requests.
	IdleTimeout time.Duration
	// MaxConns caps concurrent connections; further ones wait in the
	// kernel's accept queue until a slot frees. 0: no cap.
	MaxConns int
	// MaxHeaderBytes caps the request line and headers that net/http
	// reads (it allows 4 KiB more for its own bookkeeping); beyond it the
	// client gets 431.
	MaxHeaderBytes int
}

// Kind says which defaults a server gets.
type Kind int

const (
	// REST is the reference gateway's REST API: responses wait for an
	// integration (29 s on AWS), so the write deadline is generous.
	REST Kind = iota
	// Management is the emulated control-plane API: small, quick calls.
	Management
	// WebSocket serves upgrades and @connections calls; upgraded
	// connections set their own per-frame write deadlines.
	WebSocket
	// Fixture is the fixture backend: its delayed routes sleep up to 10
	// minutes before answering, so its write deadline is longer.
	Fixture
)

// Defaults returns the documented limits for a kind of server:
//
//	              header  body  write  idle  conns
//	REST          10s     30s   90s    120s  10000
//	Management    10s     30s   60s    120s  1000
//	WebSocket     10s     30s   90s    120s  10000
//	Fixture       10s     30s   11m    120s  10000
//
// The write deadline runs from the end of the request headers, so it
// covers the body's upload and the handler too: it must exceed the body
// deadline plus the longest integration (REST: 30 s + 29 s). On the
// WebSocket listener it bounds the handshake (and the $connect
// integration) and every answer that is not an upgrade; an upgraded
// connection sets a deadline before each frame it writes.
//
// MaxHeaderBytes is 64 KiB everywhere: the gateway enforces API Gateway's
// own 10,240-byte limit on header values itself, with its own answer.
func Defaults(k Kind) Limits {
	l := Limits{
		ReadHeaderTimeout: 10 * time.Second,
		BodyTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxConns:          10000,
		MaxHeaderBytes:    64 << 10,
	}
	switch k {
	case Management:
		l.WriteTimeout, l.MaxConns = 60*time.Second, 1000
	case Fixture:
		l.WriteTimeout = 11 * time.Minute
	}
	return l
}

// Validate reports every problem with l at once; flagPrefix names the
// flags in messages ("" for none).
func (l Limits) Validate(flagPrefix string) error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-header-timeout", l.ReadHeaderTimeout}, {"body-timeout", l.BodyTimeout}, {"write-timeout", l.WriteTimeout}, {"idle-timeout", l.IdleTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("--%s%s %v: must not be negative (0 turns it off)", flagPrefix, d.name, d.v))
		}
	}
	if l.ReadHeaderTimeout == 0 {
		errs = append(errs, fmt.Errorf("--%sread-header-timeout must be positive: without it a client that never finishes its headers holds a connection forever", flagPrefix))
	}
	if l.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("--%smax-conns %d: must not be negative (0: no cap)", flagPrefix, l.MaxConns))
	}
	if l.MaxHeaderBytes < 0 {
		errs = append(errs, fmt.Errorf("--%smax-header-bytes %d: must not be negative", flagPrefix, l.MaxHeaderBytes))
	}
	if l.WriteTimeout > 0 && l.BodyTimeout > 0 && l.WriteTimeout <= l.BodyTimeout {
		errs = append(errs, fmt.Errorf("--%swrite-timeout %v must exceed --%sbody-timeout %v: the write deadline also covers the body's upload", flagPrefix, l.WriteTimeout, flagPrefix, l.BodyTimeout))
	}
	return errors.Join(errs...)
}

// RegisterFlags adds one flag per limit to fs, named with prefix (e.g.
// "management-" gives --management-body-timeout), defaulting to l's values.
func (l *Limits) RegisterFlags(fs *flag.FlagSet, prefix, what string) {
	fs.DurationVar(&l.ReadHeaderTimeout, prefix+"read-header-timeout", l.ReadHeaderTimeout, what+": time a client has to send its request line and headers")
	fs.DurationVar(&l.BodyTimeout, prefix+"body-timeout", l.BodyTimeout, what+": time a client has to send a request body after its headers (0: none)")
	fs.DurationVar(&l.WriteTimeout, prefix+"write-timeout", l.WriteTimeout, what+": time from the end of the request headers to the end of the response (0: none)")
	fs.DurationVar(&l.IdleTimeout, prefix+"idle-timeout", l.IdleTimeout, what+": how long a keep-alive connection may stay idle")
	fs.IntVar(&l.MaxConns, prefix+"max-conns", l.MaxConns, what+": concurrent connections; more wait in the accept queue (0: no cap)")
	fs.IntVar(&l.MaxHeaderBytes, prefix+"max-header-bytes", l.MaxHeaderBytes, what+": bytes of request line and headers net/http reads before answering 431")
}

// NewServer returns an http.Server for h with l's deadlines. Serve it with
// Serve, which applies the connection cap. net/http's own error lines
// (a handler's panic, a TLS or accept error) go to logger, through the
// secret redaction every log line gets; nil discards them.
func NewServer(h http.Handler, l Limits, logger *slog.Logger) *http.Server {
	h = closeAfterAmbiguousFraming{next: h}
	if l.BodyTimeout > 0 {
		h = &bodyDeadline{next: h, timeout: l.BodyTimeout}
	}
	h = headercase.Handler(h) // the header names as sent (headercase.Names), on connections Serve accepted
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(redact.NewHandler(logger.Handler()), slog.LevelError),
		ConnContext:       headercase.ConnContext,
	}
}

// Serve serves srv on ln with at most l.MaxConns connections at a time.
func Serve(srv *http.Server, ln net.Listener, l Limits) error {
	if l.MaxConns > 0 {
		ln = &limitListener{Listener: ln, slots: make(chan struct{}, l.MaxConns), done: make(chan struct{})}
	}
	return srv.Serve(headercase.Listener(ln))
}

// limitListener accepts at most cap(slots) connections at a time; Accept
// waits for a slot, so further clients wait in the kernel's accept queue.
// It is golang.org/x/net/netutil.LimitListener but for one thing: its
// connections keep CloseWrite, which net/http needs to half-close a
// connection whose request body it did not read (a 413) before closing
// it, so the client reads the answer instead of a reset.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitedConn frees its slot when closed (once).
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection when the underlying one can.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// closeAfterAmbiguousFraming closes the connection after any request whose
// framing net/http may have read differently from a proxy in front:
// RFC 9112 tells a server to close after a request that carried both
// Transfer-Encoding and Content-Length (§6.3), and to treat an HTTP/1.0
// request's Transfer-Encoding as faulty framing (§6.1). net/http deletes
// both headers before a handler sees them (and ignores Transfer-Encoding
// on HTTP/1.0, Go issue 12785), then reads whatever follows as the next
// request: request smuggling. So every HTTP/1.0 request and every chunked
// request gets Connection: close. Chunked and HTTP/1.0 clients lose
// keep-alive; no other request pays anything.
type closeAfterAmbiguousFraming struct{ next http.Handler }

func (c closeAfterAmbiguousFraming) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoAtLeast(1, 1) && len(r.TransferEncoding) == 0 {
		c.next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Connection", "close")
	c.next.ServeHTTP(w, r)
}

// bodyDeadline bounds the time a request body may take. net/http's own
// ReadTimeout cannot do this: it also covers the time the handler spends
// after the body (an integration may take 29 s), and a read deadline that
// passes while the handler runs cancels the request's context. So the
// deadline is set when the handler starts and cleared when the body has
// been read to its end.
type bodyDeadline struct {
	next    http.Handler
	timeout time.Duration
}

func (b *bodyDeadline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Upgrade") != "" {
		// No body to wait for (net/http already watches the connection
		// for the next request or a hang-up), or an upgrade, whose
		// connection is taken over with whatever deadline it has.
		b.next.ServeHTTP(w, r)
		return
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(b.timeout)) == nil {
		// A shallow copy: net/http inspects its own request's Body after
		// the handler (to half-close a connection whose body was left
		// unread), so the wrapper must not replace it there.
		r2 := new(http.Request)
		*r2 = *r
		r2.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		r = r2
	}
	b.next.ServeHTTP(w, r)
}

// deadlineBody clears the read deadline once the body has ended, so the
// rest of the request (and net/http's background read that notices a
// client hang-up) is not cut short. After any other error (the deadline
// passed, a broken chunked encoding) the deadline stays, so net/http's
// attempt to discard the rest of the body cannot block.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	if err == io.EOF && !d.done {
		d.done = true
		_ = d.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
