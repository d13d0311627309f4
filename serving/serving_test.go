package serving

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves h with l on loopback and returns its address; the server is
// shut down when the test ends.
func start(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, l, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = Serve(srv, ln, l)
	}()
	t.Cleanup(func() {
		// Shutdown waits for connections still finishing (net/http's
		// half-close lingers 500 ms), so no goroutine outlives the test.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	})
	return ln.Addr().String()
}

func testLimits() Limits {
	l := Defaults(REST)
	l.BodyTimeout = 300 * time.Millisecond
	return l
}

// readAllBody is a handler that reads the whole body and reports the
// outcome in the response.
var readAllBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "read %d", n)
})

func TestSlowBodyIsCutOffAtTheBodyDeadline(t *testing.T) {
	addr := start(t, readAllBody, testLimits())
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Announce 1,000 bytes and send 10.
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // the test's own bound
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the test's bound (the body deadline did not fire): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 from the handler's failed read", resp.StatusCode)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Fatalf("answered after %v, before the 300ms body deadline", took)
	}
	// The connection is closed afterwards.
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after a body timeout")
	}
}

func TestBodyDeadlineDoesNotCutAHandlerThatRunsLonger(t *testing.T) {
	// A body read quickly, then an integration that outlasts the body
	// deadline: the request context must stay alive and the answer arrive.
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(700 * time.Millisecond): // stands for a slow integration
			fmt.Fprint(w, "done")
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusServiceUnavailable)
		}
	})
	addr := start(t, slow, testLimits())
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader("payload")
		}
		req, _ := http.NewRequest(method, "http://"+addr+"/", body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != "done" {
			t.Fatalf("%s: %d %q: the body deadline cut a handler that had read its body", method, resp.StatusCode, got)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestKeepAliveAfterABodyGetsFreshDeadlines(t *testing.T) {
	// Two requests on one connection, the second after longer than the
	// body deadline: the first request's deadline must not leak into it.
	addr := start(t, readAllBody, testLimits())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	for i := 0; i < 2; i++ {
		resp, err := client.Post("http://"+addr+"/", "text/plain", strings.NewReader("abc"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != "read 3" {
			t.Fatalf("request %d: %q", i, got)
		}
		if i == 0 {
			time.Sleep(400 * time.Millisecond) // idle past the first body's deadline, on purpose
		}
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	l := testLimits()
	l.ReadHeaderTimeout = 200 * time.Millisecond
	addr := start(t, readAllBody, l)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n") // never ends the headers
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the server did not close a connection stuck in its headers: %v", err)
	}
}

func TestConnectionCap(t *testing.T) {
	l := testLimits()
	l.MaxConns = 2
	l.ReadHeaderTimeout = 400 * time.Millisecond
	addr := start(t, readAllBody, l)
	// Two connections hold both slots with unfinished headers.
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	}
	// A third is not served while they hold the slots...
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if resp, err := tr.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Fatal("a third connection was served beyond MaxConns 2")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unexpected error: %v", err)
	}
	// ...and is once the header deadline frees them.
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	resp, err := (&http.Client{Transport: tr, Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("not served after the slots freed: %v", err)
	}
	resp.Body.Close()
}

func TestValidateReportsEveryProblem(t *testing.T) {
	l := Limits{BodyTimeout: -1, MaxConns: -3, WriteTimeout: -time.Second}
	err := l.Validate("management-")
	if err == nil {
		t.Fatal("invalid limits accepted")
	}
	for _, want := range []string{"--management-body-timeout", "--management-write-timeout", "--management-read-header-timeout", "--management-max-conns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	for _, k := range []Kind{REST, Management, WebSocket, Fixture} {
		if err := Defaults(k).Validate(""); err != nil {
			t.Errorf("defaults of kind %d invalid: %v", k, err)
		}
	}
}

func TestRegisterFlags(t *testing.T) {
	l := Defaults(REST)
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	l.RegisterFlags(fs, "fixture-", "the fixture")
	if err := fs.Parse([]string{"--fixture-body-timeout=2s", "--fixture-max-conns=7"}); err != nil {
		t.Fatal(err)
	}
	if l.BodyTimeout != 2*time.Second || l.MaxConns != 7 || l.ReadHeaderTimeout != 10*time.Second {
		t.Fatalf("flags not applied: %+v", l)
	}
}

// A handler that answers without reading a large body (the gateway's 413)
// must let the client read the answer: net/http half-closes such a
// connection and waits, which it cannot do through a wrapper that hides
// CloseWrite or a request whose Body it no longer recognises. Both broke
// the embedded run's PayloadOverLimitRejected (a reset while writing).
func TestEarlyAnswerToAnUnreadBodyIsReadable(t *testing.T) {
	l := testLimits()
	l.MaxConns = 4
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	})
	addr := start(t, refuse, l)
	body := strings.NewReader(strings.Repeat("x", 4<<20))
	resp, err := http.Post("http://"+addr+"/", "application/octet-stream", body)
	if err != nil {
		t.Fatalf("the client could not read the early answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// Bytes after a request whose framing net/http hid are never served as a
// request: an HTTP/1.0 request with Transfer-Encoding (which net/http
// ignores) and a chunked request with a Content-Length too. Before, the
// connection stayed open and the "body" was served as the next request.
func TestNoRequestIsSmuggledAfterAmbiguousFraming(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	}), testLimits())
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, raw := range []string{
		"POST /first HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" + smuggled,
		"POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 38\r\n\r\n0\r\n\r\n" + smuggled,
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, raw); err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(conn) // until the server closes
		conn.Close()
		if n := strings.Count(string(answer), "HTTP/1."); n != 1 {
			t.Errorf("%d answers on one connection, want 1 and a close:\n%s", n, answer)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if p == "/smuggled" {
			t.Fatalf("a request smuggled in a body was served: %q", paths)
		}
	}
}
