package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/integration"
)

// The in-memory plumbing of FuzzServeRaw: a listener that hands a server
// one side of net.Pipe per connection (for the gateway's server and for
// the fixture's), a transport that dials the fixture through it, and a
// driver that runs the shared fake clock fast so integration timeouts and
// fixture delays end in milliseconds.

// pipeListener is a net.Listener whose connections are net.Pipe pairs.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return gatewayAddr }

// dial returns the client side of a new connection; the server accepts
// the other side.
func (l *pipeListener) dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- tcpAddressed{server}:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	}
}

var (
	gatewayAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	clientAddr  = &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}
)

// tcpAddressed gives a pipe the addresses of a TCP connection, as the
// gateway reads the client's address from RemoteAddr.
type tcpAddressed struct{ net.Conn }

func (tcpAddressed) LocalAddr() net.Addr  { return gatewayAddr }
func (tcpAddressed) RemoteAddr() net.Addr { return clientAddr }

// fixtureHost is the backend's address in the stage variable and the
// Lambda endpoint; any other host is refused, like 127.0.0.1:1 of the
// reference API's /unreachable route.
const fixtureHost = "fixture.test"

// fixtureTransport is a real http.Transport (so backend requests are
// checked and written as on a network) whose connections to fixtureHost
// are in-memory pipes to the fixture's server. It records what the
// fixture answered, so that a 5xx the input asked the fixture for can be
// told from one the gateway made.
type fixtureTransport struct {
	base *http.Transport

	mu       sync.Mutex
	refused  bool         // a call went to a host other than the fixture
	statuses map[int]bool // statuses the fixture answered, or its Lambda results named
}

func newFixtureTransport(fixture *pipeListener) *fixtureTransport {
	t := &fixtureTransport{statuses: map[int]bool{}}
	t.base = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != fixtureHost+":80" {
				t.mu.Lock()
				t.refused = true
				t.mu.Unlock()
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			return fixture.dial()
		},
		DisableCompression: true,
	}
	return t
}

func (t *fixtureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	statuses := []int{resp.StatusCode}
	if strings.Contains(req.URL.Path, "/functions/") { // a Lambda invocation: its result names a status
		body, err := io.ReadAll(io.LimitReader(resp.Body, integration.MaxResponseBytes+1))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		statuses = append(statuses, lambdaStatus(body))
	}
	t.mu.Lock()
	for _, s := range statuses {
		t.statuses[s] = true
	}
	t.mu.Unlock()
	return resp, nil
}

// lambdaStatus is the statusCode a Lambda proxy result names (a number or
// a string of digits), or 0.
func lambdaStatus(result []byte) int {
	var r struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if json.Unmarshal(result, &r) != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.Trim(string(r.StatusCode), `"`))
	return n
}

func (t *fixtureTransport) passedThrough(status int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.statuses[status]
}

func (t *fixtureTransport) wasRefused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused
}

// driveClock advances clock by step as fast as the scheduler allows until
// ctx ends: virtual time then runs some hundred times faster than real
// time, so a 29 s integration timeout or a fixture delay takes well under
// a second. It returns when the driver has stopped.
func driveClock(ctx context.Context, clock *clockwork.FakeClock, step time.Duration) (stopped <-chan struct{}) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				clock.Advance(step)
			}
		}
	}()
	return done
}

// inFlight counts the requests a handler is serving, so a test can wait
// for handlers to end after their connection closed, and records their
// panics: net/http recovers a handler's panic and only closes the
// connection, which the client cannot tell from an orderly close.
type inFlight struct {
	h  http.Handler
	wg sync.WaitGroup

	mu     sync.Mutex
	panics []string
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.wg.Add(1)
	defer f.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler { // net/http's way to abort a response on purpose
				f.mu.Lock()
				f.panics = append(f.panics, fmt.Sprintf("%s %s: %v\n%s", r.Method, r.RequestURI, p, debug.Stack()))
				f.mu.Unlock()
			}
			panic(p)
		}
	}()
	f.h.ServeHTTP(w, r)
}

// panicked returns the panics recorded so far.
func (f *inFlight) panicked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.panics)
}

// wait returns false if handlers are still running after d.
func (f *inFlight) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
