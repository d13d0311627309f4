package headercase_test

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/serving/headercase"
)

// guard bounds every wait; it never lets time pass on its own.
const guard = 10 * time.Second

// seen is what the handler saw of one request.
type seen struct {
	path  string
	names map[string]string
}

// server serves through Listener, ConnContext and Handler; readBody says
// whether the handler reads request bodies.
func server(t *testing.T, readBody bool) (addr string, got <-chan seen) {
	t.Helper()
	ch := make(chan seen, 64)
	srv := &http.Server{
		ConnContext: headercase.ConnContext,
		Handler: headercase.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if readBody {
				_, _ = io.Copy(io.Discard, r.Body)
			}
			ch <- seen{r.URL.Path, maps.Clone(headercase.Names(r))}
			_, _ = io.WriteString(w, "ok")
		})),
		ReadHeaderTimeout: guard,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(headercase.Listener(ln)) }()
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })
	return ln.Addr().String(), ch
}

// send writes raw on one connection and reads n responses.
func send(t *testing.T, addr, raw string, n int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(guard))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i := range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func next(t *testing.T, ch <-chan seen) seen {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(guard):
		t.Fatal("timed out waiting for the handler")
	}
	return seen{}
}

func TestNamesAsSent(t *testing.T) {
	addr, got := server(t, true)
	send(t, addr, "GET /a HTTP/1.1\r\nHost: x\r\ntEsT-HEADeR: aValUE\r\nx-lower: 1\r\nX-LOWER: 2\r\nauthorization: k\r\n\r\n", 1)
	s := next(t, got)
	want := map[string]string{"Host": "Host", "Test-Header": "tEsT-HEADeR", "X-Lower": "x-lower", "Authorization": "authorization"}
	if !maps.Equal(s.names, want) {
		t.Errorf("names = %v, want %v", s.names, want)
	}
}

// Pipelined requests with bodies, read or left to net/http, each get their
// own names; a body that looks like a request is not taken for one.
func TestNamesPipelined(t *testing.T) {
	for _, readBody := range []bool{true, false} {
		addr, got := server(t, readBody)
		body := "GET /fake HTTP/1.1\r\nfAKE: 1\r\n\r\n"
		raw := "POST /1 HTTP/1.1\r\nHost: x\r\nOne-ONE: 1\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body +
			"\r\nGET /2 HTTP/1.1\r\nHost: x\r\ntwo-TWO: 2\r\n\r\n" +
			"PUT /3 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nthree: 3\r\nContent-Length: 3\r\n\r\nabc"
		send(t, addr, raw, 3)
		for _, want := range []seen{
			{"/1", map[string]string{"Host": "Host", "One-One": "One-ONE", "Content-Length": "Content-Length"}},
			{"/2", map[string]string{"Host": "Host", "Two-Two": "two-TWO"}},
			{"/3", map[string]string{"Host": "Host", "Expect": "Expect", "Three": "three", "Content-Length": "Content-Length"}},
		} {
			s := next(t, got)
			if s.path != want.path || !maps.Equal(s.names, want.names) {
				t.Errorf("readBody %v: %s names %v, want %s %v", readBody, s.path, s.names, want.path, want.names)
			}
		}
	}
}

// Where the bytes can no longer be told apart, the connection gives up:
// its requests have no names, and net/http's canonical ones stand.
func TestNamesLostTrack(t *testing.T) {
	addr, got := server(t, true)
	// A chunked body: this request still has its names, the next none.
	send(t, addr, "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nmY: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n"+
		"GET /after HTTP/1.1\r\nHost: x\r\nmY: 2\r\n\r\n", 2)
	if s := next(t, got); s.names["My"] != "mY" {
		t.Errorf("chunked request names %v", s.names)
	}
	if s := next(t, got); s.names != nil {
		t.Errorf("after a chunked body: names %v, want none", s.names)
	}
	// A header block larger than MaxBuffered.
	big := strings.Repeat("x", headercase.MaxBuffered)
	send(t, addr, "GET /big HTTP/1.1\r\nHost: x\r\nbIG: "+big+"\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n", 2)
	for _, p := range []string{"/big", "/next"} {
		if s := next(t, got); s.path != p || s.names != nil {
			t.Errorf("%s after an overflow: names %v, want none", s.path, s.names)
		}
	}
}

func TestNamesUnknownOffTheListener(t *testing.T) {
	srv := httptest.NewServer(headercase.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := headercase.Names(r); n != nil {
			t.Errorf("names %v without the Listener", n)
		}
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
