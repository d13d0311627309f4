package requestid_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/requestid"
)

var start = time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)

// run sends req through the stage and returns the response and the context
// the next stage saw.
func run(t *testing.T, req *http.Request, status int) (*httptest.ResponseRecorder, *request.Context) {
	t.Helper()
	var seen *request.Context
	s := &requestid.Stage{Clock: clockwork.NewFakeClockAt(start), Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = request.From(r.Context())
		w.WriteHeader(status)
	})}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if seen == nil {
		t.Fatal("next stage not called")
	}
	return rec, seen
}

func exact(h http.Header, name string) string {
	if v := h[name]; len(v) == 1 {
		return v[0]
	}
	return ""
}

func isUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && len(s) == 36 && u.String() == s
}

func TestClientUUIDHonoured(t *testing.T) {
	const id = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("x-amzn-RequestId", id)
	rec, c := run(t, req, 200)
	if c.ID != id || exact(rec.Header(), "x-amzn-RequestId") != id {
		t.Errorf("context id %q, header %q; want the client's %q", c.ID, exact(rec.Header(), "x-amzn-RequestId"), id)
	}
	// Upper-case hex is a UUID too; it is returned canonical.
	req = httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("X-Amzn-RequestId", strings.ToUpper(id))
	_, c = run(t, req, 200)
	if c.ID != id {
		t.Errorf("upper-case UUID: id %q", c.ID)
	}
}

func TestNonUUIDReplaced(t *testing.T) {
	for _, bad := range []string{
		"abc",
		"not-a-uuid-but-exactly-36-chars-long",
		"6f1c2d3e4a5b4c6d8e7f0a1b2c3d4e5f",              // no dashes
		"{6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f}",        // braces
		"urn:uuid:6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f", // URN form
		"6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5z",          // not hex
		"6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f\x00",      // trailing byte
		strings.Repeat("a", 10000),
	} {
		req := httptest.NewRequest("GET", "/test/x", nil)
		req.Header.Set("x-amzn-RequestId", bad)
		rec, c := run(t, req, 200)
		// Only check containment for values a UUID cannot contain: a fresh
		// UUID contains "abc" by chance about 0.7 % of the time.
		if c.ID == bad || (len(bad) > 8 && strings.Contains(c.ID, bad)) || !isUUID(c.ID) {
			t.Errorf("client id %q: got %q, want a fresh UUID", bad, c.ID)
		}
		if exact(rec.Header(), "x-amzn-RequestId") != c.ID {
			t.Errorf("header %q != context %q", exact(rec.Header(), "x-amzn-RequestId"), c.ID)
		}
	}
}

func TestRequestIDFunction(t *testing.T) {
	if got := requestid.RequestID(""); !isUUID(got) {
		t.Errorf("RequestID(\"\") = %q", got)
	}
	a, b := requestid.RequestID(""), requestid.RequestID("")
	if a == b {
		t.Errorf("two fresh ids are equal: %q", a)
	}
	if u := uuid.MustParse(a); u.Version() != 4 {
		t.Errorf("fresh id %q is not a v4 UUID", a)
	}
	const id = "00000000-0000-0000-0000-000000000000"
	if got := requestid.RequestID(id); got != id {
		t.Errorf("RequestID(nil UUID) = %q", got)
	}
}

func TestIDsOnEveryResponse(t *testing.T) {
	extended := regexp.MustCompile(`^[A-Za-z0-9+/]{15}=$`)
	seen := map[string]bool{}
	for _, status := range []int{200, 403, 500, 504} {
		rec, c := run(t, httptest.NewRequest("GET", "/test/x", nil), status)
		if rec.Code != status {
			t.Errorf("status %d", rec.Code)
		}
		id, ext := exact(rec.Header(), "x-amzn-RequestId"), exact(rec.Header(), "x-amz-apigw-id")
		if !isUUID(id) || id != c.ID {
			t.Errorf("x-amzn-RequestId %q (context %q)", id, c.ID)
		}
		if !extended.MatchString(ext) || ext != c.ExtendedID {
			t.Errorf("x-amz-apigw-id %q (context %q), want 16 base64 characters", ext, c.ExtendedID)
		}
		if _, err := base64.StdEncoding.DecodeString(ext); err != nil {
			t.Errorf("x-amz-apigw-id %q is not base64: %v", ext, err)
		}
		if seen[id] || seen[ext] {
			t.Errorf("id repeated across requests: %q %q", id, ext)
		}
		seen[id], seen[ext] = true, true
	}
	// The extended id can never be set by the client.
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("x-amz-apigw-id", "client-chosen")
	rec, c := run(t, req, 200)
	if c.ExtendedID == "client-chosen" || exact(rec.Header(), "x-amz-apigw-id") == "client-chosen" {
		t.Error("client set the extended request id")
	}
}

func TestIDsOnTheWire(t *testing.T) {
	s := &requestid.Stage{Clock: clockwork.NewRealClock(), Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !isUUID(resp.Header.Get("x-amzn-RequestId")) || len(resp.Header.Get("x-amz-apigw-id")) != 16 {
		t.Errorf("headers %v", resp.Header)
	}
}

func TestTraceID(t *testing.T) {
	rec, c := run(t, httptest.NewRequest("GET", "/test/x", nil), 200)
	re := regexp.MustCompile(`^Root=1-([0-9a-f]{8})-([0-9a-f]{24})$`)
	m := re.FindStringSubmatch(c.TraceID)
	if m == nil {
		t.Fatalf("generated trace id %q is not an X-Ray Root", c.TraceID)
	}
	if epoch, _ := strconv.ParseInt(m[1], 16, 64); epoch != start.Unix() {
		t.Errorf("trace epoch %s = %d, want the request time %d", m[1], epoch, start.Unix())
	}
	_, c2 := run(t, httptest.NewRequest("GET", "/test/x", nil), 200)
	if c2.TraceID == c.TraceID {
		t.Error("two requests got the same trace id")
	}
	if _, ok := rec.Header()["X-Amzn-Trace-Id"]; ok {
		t.Error("the request id stage must not answer with the trace id itself")
	}

	const client = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("X-Amzn-Trace-Id", client)
	_, c = run(t, req, 200)
	if c.TraceID != client {
		t.Errorf("client trace id replaced: %q", c.TraceID)
	}
}

func TestContextFields(t *testing.T) {
	req := httptest.NewRequest("POST", "/test/x", nil)
	req.RemoteAddr = "198.51.100.9:61000"
	_, c := run(t, req, 200)
	if !c.Start.Equal(start) || c.SourceIP != "198.51.100.9" {
		t.Errorf("start %v source %q", c.Start, c.SourceIP)
	}
	req.RemoteAddr = "[2001:db8::1]:443"
	if _, c = run(t, req, 200); c.SourceIP != "2001:db8::1" {
		t.Errorf("IPv6 source %q", c.SourceIP)
	}
	req.RemoteAddr = "garbage"
	if _, c = run(t, req, 200); c.SourceIP != "" {
		t.Errorf("unparsable RemoteAddr gave source %q", c.SourceIP)
	}
}
