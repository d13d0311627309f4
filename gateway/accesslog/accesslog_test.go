package accesslog_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/accesslog"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func TestAccessLogLine(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	s := &accesslog.Stage{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Clock: clock, Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := request.From(r.Context())
		c.Stage = &restapi.Stage{StageName: "test"}
		c.Method = &restapi.Method{HTTPMethod: "GET", ResourcePath: "/items/{id}"}
		clock.Advance(42 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("hello"))
		_, _ = w.Write([]byte(" world"))
	})}
	req := httptest.NewRequest("GET", "/test/items/1", nil)
	c := &request.Context{ID: "rid", ExtendedID: "ext", SourceIP: "192.0.2.1", Start: clock.Now()}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, request.With(req, c))
	if rec.Code != 201 || rec.Body.String() != "hello world" {
		t.Errorf("response altered: %d %q", rec.Code, rec.Body)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{
		"requestId": "rid", "extendedRequestId": "ext", "sourceIp": "192.0.2.1", "httpMethod": "GET", "stage": "test",
		"resourcePath": "/items/{id}", "path": "/test/items/1", "status": 201.0, "responseLength": 11.0, "responseLatency": 42.0,
	} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v", k, line[k], want)
		}
	}
}

func TestAccessLogImplicitStatusAndUnrouted(t *testing.T) {
	var buf bytes.Buffer
	s := &accesslog.Stage{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Clock: clockwork.NewFakeClock(), Next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("x"))
		w.WriteHeader(500) // superfluous: the status is already 200
	})}
	s.ServeHTTP(httptest.NewRecorder(), request.With(httptest.NewRequest("GET", "/nowhere", nil), &request.Context{}))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["status"] != 200.0 || line["stage"] != "" || line["resourcePath"] != "" || line["responseLength"] != 1.0 {
		t.Errorf("line = %v", line)
	}
}
