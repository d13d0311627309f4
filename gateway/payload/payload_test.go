package payload_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/payload"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// sink is a next stage that records the buffered body it was handed.
type sink struct {
	calls int
	body  []byte
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls++
	s.body = request.From(r.Context()).Body
	w.WriteHeader(http.StatusOK)
}

// limit is the payload stage under an API whose DEFAULT_4XX sets status
// 418: a customisation that must not touch the 413.
func limit(maxBytes int64, next http.Handler) http.Handler {
	code := 418
	return limitFor(&restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{"DEFAULT_4XX": {StatusCode: &code}}}, maxBytes, next)
}

func limitFor(api *restapi.API, maxBytes int64, next http.Handler) http.Handler {
	l := &payload.Limit{MaxBytes: maxBytes, Responder: gatewayresponse.New(api), Next: next}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.ServeHTTP(w, request.With(r, &request.Context{}))
	})
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// onlyReader hides the concrete type so httptest.NewRequest cannot learn the length.
type onlyReader struct{ io.Reader }

func assertTooLarge(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", rec.Code)
	}
	if rec.Body.String() != "HTTP content length exceeded 10485760 bytes." {
		t.Errorf("body = %q", rec.Body)
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
	}
	if rec.Header().Get("Connection") != "close" {
		t.Errorf("Connection = %q, want close (the rest of the body is unread)", rec.Header().Get("Connection"))
	}
}

func TestMaxBytesIsTheSpecLimit(t *testing.T) {
	if payload.MaxBytes != 10485760 {
		t.Errorf("MaxBytes = %d, want 10,485,760 (10 MB, spec §2)", payload.MaxBytes)
	}
}

func TestExactlyMaxBytesAccepted(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), payload.MaxBytes/16)
	for name, mk := range map[string]func() *http.Request{
		"Content-Length": func() *http.Request { return httptest.NewRequest("POST", "/test/echo", bytes.NewReader(body)) },
		"chunked": func() *http.Request {
			r := httptest.NewRequest("POST", "/test/echo", onlyReader{bytes.NewReader(body)})
			r.ContentLength = -1
			return r
		},
	} {
		t.Run(name, func(t *testing.T) {
			next := &sink{}
			req := mk()
			rec := httptest.NewRecorder()
			limit(payload.MaxBytes, next).ServeHTTP(rec, req)
			if rec.Code != 200 || next.calls != 1 {
				t.Fatalf("status %d, next called %d times", rec.Code, next.calls)
			}
			if !bytes.Equal(next.body, body) {
				t.Errorf("buffered body: %d bytes, want the %d sent", len(next.body), len(body))
			}
		})
	}
}

func TestOverMaxBytesWithContentLength(t *testing.T) {
	src := &countingReader{r: bytes.NewReader(make([]byte, payload.MaxBytes+1))}
	req := httptest.NewRequest("POST", "/test/echo", src)
	req.ContentLength = payload.MaxBytes + 1
	next := &sink{}
	rec := httptest.NewRecorder()
	limit(payload.MaxBytes, next).ServeHTTP(rec, req)
	assertTooLarge(t, rec)
	if next.calls != 0 {
		t.Error("next stage called for an oversized body")
	}
	if src.n != 0 {
		t.Errorf("%d body bytes read; an announced oversized body must be refused unread", src.n)
	}
}

func TestOverMaxBytesChunked(t *testing.T) {
	for _, size := range []int{payload.MaxBytes + 1, payload.MaxBytes + 4096} {
		src := &countingReader{r: bytes.NewReader(make([]byte, size))}
		req := httptest.NewRequest("POST", "/test/echo", onlyReader{src})
		req.ContentLength = -1
		next := &sink{}
		rec := httptest.NewRecorder()
		limit(payload.MaxBytes, next).ServeHTTP(rec, req)
		assertTooLarge(t, rec)
		if next.calls != 0 {
			t.Errorf("size %d: next stage called", size)
		}
		if src.n > payload.MaxBytes+1+32*1024 {
			t.Errorf("size %d: read %d bytes; reading should stop just past the limit", size, src.n)
		}
	}
}

func TestSmallLimit(t *testing.T) {
	for _, tc := range []struct {
		body    string
		chunked bool
		ok      bool
	}{
		{"", false, true},
		{"12345678", false, true},
		{"123456789", false, false},
		{"12345678", true, true},
		{"123456789", true, false},
	} {
		var rd io.Reader = strings.NewReader(tc.body)
		if tc.chunked {
			rd = onlyReader{rd}
		}
		req := httptest.NewRequest("POST", "/x", rd)
		if tc.chunked {
			req.ContentLength = -1
		}
		next := &sink{}
		rec := httptest.NewRecorder()
		limit(8, next).ServeHTTP(rec, req)
		if tc.ok {
			if rec.Code != 200 || next.calls != 1 || string(next.body) != tc.body {
				t.Errorf("%q chunked=%v: status %d, next %d, body %q", tc.body, tc.chunked, rec.Code, next.calls, next.body)
			}
		} else {
			if rec.Code != 413 || next.calls != 0 {
				t.Errorf("%q chunked=%v: status %d, next %d", tc.body, tc.chunked, rec.Code, next.calls)
			}
		}
	}
}

func TestNoBody(t *testing.T) {
	next := &sink{}
	rec := httptest.NewRecorder()
	limit(payload.MaxBytes, next).ServeHTTP(rec, httptest.NewRequest("GET", "/test/x", nil))
	if rec.Code != 200 || next.calls != 1 || next.body != nil {
		t.Errorf("status %d, next %d, body %v (want nil for no body)", rec.Code, next.calls, next.body)
	}
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Body = nil
	next = &sink{}
	limit(payload.MaxBytes, next).ServeHTTP(httptest.NewRecorder(), req)
	if next.calls != 1 || next.body != nil {
		t.Errorf("nil Body: next %d, body %v", next.calls, next.body)
	}
}

// failingReader returns some data, then an error (a client that went away).
type failingReader struct{ sent bool }

func (f *failingReader) Read(p []byte) (int, error) {
	if !f.sent {
		f.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errors.New("connection reset by peer")
}

func TestBodyReadError(t *testing.T) {
	// Unlike REQUEST_TOO_LARGE, BAD_REQUEST_BODY follows DEFAULT_4XX.
	req := httptest.NewRequest("POST", "/test/echo", &failingReader{})
	rec := httptest.NewRecorder()
	limit(payload.MaxBytes, &sink{}).ServeHTTP(rec, req)
	if rec.Code != 418 {
		t.Errorf("customised DEFAULT_4XX: status %d, want 418", rec.Code)
	}

	for _, chunked := range []bool{false, true} {
		req = httptest.NewRequest("POST", "/test/echo", &failingReader{})
		req.ContentLength = 100
		if chunked {
			req.ContentLength = -1
		}
		next := &sink{}
		rec = httptest.NewRecorder()
		limitFor(nil, payload.MaxBytes, next).ServeHTTP(rec, req)
		if next.calls != 0 {
			t.Error("next stage called after a body read error")
		}
		if rec.Code != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", rec.Code)
		}
		var m map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["message"] != "Invalid request body" {
			t.Errorf("body = %s", rec.Body)
		}
		if rec.Header()["x-amzn-ErrorType"][0] != "BadRequestException" || rec.Header().Get("Connection") != "close" {
			t.Errorf("headers = %v", rec.Header())
		}
	}
}

// TestOnTheWire sends an oversized chunked body through a real server.
func TestOnTheWire(t *testing.T) {
	next := &sink{}
	srv := httptest.NewServer(limit(1024, next))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(make([]byte, 2048))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/test/echo", pr)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || string(body) != "HTTP content length exceeded 10485760 bytes." || resp.Header.Get("X-Amzn-Errortype") != "" {
		t.Errorf("got %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if next.calls != 0 {
		t.Error("next stage called")
	}

	resp, err = client.Post(srv.URL+"/test/echo", "text/plain", strings.NewReader(strings.Repeat("x", 1024)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || next.calls != 1 || len(next.body) != 1024 {
		t.Errorf("at the limit: %d, next %d, %d bytes", resp.StatusCode, next.calls, len(next.body))
	}
}

// A request that announces 10 MiB and sends a few bytes costs memory for
// those bytes only: the stage must not reserve the announced length.
func TestDeclaredLengthReservesNothing(t *testing.T) {
	req := httptest.NewRequest("POST", "/test/echo", onlyReader{strings.NewReader("short")})
	req.ContentLength = payload.MaxBytes
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	limit(payload.MaxBytes, &sink{}).ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > 1<<20 {
		t.Fatalf("the payload stage allocated %d bytes for a 5-byte body announced as %d", used, payload.MaxBytes)
	}
}

// The budget bounds body bytes held at once across requests: a body that
// would go over it gets 503 without reaching the next stage, and a body
// holds its share until its answer is written.
func TestBodyBudget(t *testing.T) {
	budget, err := payload.NewBudget(100)
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	holding := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if string(request.From(r.Context()).Body) == strings.Repeat("a", 80) {
			close(entered)
			<-release // the first request holds its 80 bytes here
		}
		w.WriteHeader(http.StatusOK)
	})
	l := &payload.Limit{MaxBytes: payload.MaxBytes, Budget: budget, Responder: gatewayresponse.New(&restapi.API{}), Next: holding}
	serve := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, request.With(httptest.NewRequest("POST", "/test/echo", strings.NewReader(body)), &request.Context{}))
		return rec
	}
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- serve(strings.Repeat("a", 80)) }()
	<-entered
	if budget.InUse() != 80 {
		t.Fatalf("in use %d while the first body is held, want 80", budget.InUse())
	}
	if rec := serve(strings.Repeat("b", 50)); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != `{"message":"Service Unavailable"}` {
		t.Fatalf("a body over the budget: %d %s, want 503", rec.Code, rec.Body)
	}
	if rec := serve(strings.Repeat("c", 20)); rec.Code != http.StatusOK {
		t.Fatalf("a body within what is left: %d", rec.Code)
	}
	close(release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("first request: %d", rec.Code)
	}
	if budget.InUse() != 0 {
		t.Fatalf("in use %d after every answer, want 0", budget.InUse())
	}
	if rec := serve(strings.Repeat("d", 100)); rec.Code != http.StatusOK {
		t.Fatalf("a body of the whole budget once it is free: %d", rec.Code)
	}
	if _, err := payload.NewBudget(0); err == nil {
		t.Error("a zero budget was accepted")
	}
}
