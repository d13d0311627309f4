package integration_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/integration"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// guard bounds every wait on a channel so a broken gateway fails the test
// instead of hanging it; it is never used to let time pass.
const guard = 10 * time.Second

var epoch = time.Date(2024, 6, 4, 12, 0, 0, 0, time.UTC)

const (
	testRequestID = "3f6c1d2e-8a9b-4c5d-9e0f-112233445566"
	testExtended  = "ZkLN2F0zIAMEbXQ="
	testTraceID   = "Root=1-665f0000-0123456789abcdef01234567"
)

// harness is an integration stage with a fake clock and its own transport.
type harness struct {
	t     *testing.T
	clock *clockwork.FakeClock
	api   *restapi.API
	stage *integration.Stage
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	api := &restapi.API{Name: "t", GatewayResponses: map[string]restapi.GatewayResponse{}}
	clock := clockwork.NewFakeClockAt(epoch)
	return &harness{t: t, clock: clock, api: api, stage: &integration.Stage{
		Clock: clock,
		Client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		Responder: gatewayresponse.New(api),
	}}
}

// ctx is the request context the earlier pipeline stages would have built.
func (h *harness) ctx(in restapi.Integration, resourcePath string, params map[string]string) *request.Context {
	return &request.Context{
		ID:             testRequestID,
		ExtendedID:     testExtended,
		TraceID:        testTraceID,
		Start:          h.clock.Now(),
		SourceIP:       "192.0.2.7",
		API:            h.api,
		Stage:          &restapi.Stage{StageName: "test", Variables: map[string]string{"version": "v1", "color": "blue"}},
		StageVariables: map[string]string{"version": "v1", "color": "blue"},
		Resource:       &restapi.Resource{Path: resourcePath},
		Method:         &restapi.Method{HTTPMethod: "ANY", ResourcePath: resourcePath, Integration: in},
		PathParams:     params,
	}
}

func (h *harness) serve(req *http.Request, c *request.Context) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.stage.ServeHTTP(rec, request.With(req, c))
	return rec
}

// seen is a request as the backend received it.
type seen struct {
	method, path, rawQuery, requestURI string
	header                             http.Header
	body                               string
}

// backend starts a server that records each request and answers with respond.
func backend(t *testing.T, respond http.HandlerFunc) (*httptest.Server, <-chan seen) {
	t.Helper()
	ch := make(chan seen, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- seen{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, requestURI: r.RequestURI, header: r.Header.Clone(), body: string(b)}
		r.Body = io.NopCloser(strings.NewReader(string(b))) // respond may read it too
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func noneIn[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Errorf("unexpected %s: %+v", what, v)
	default:
	}
}

// headerValues returns every value of name whatever the case of its key.
func headerValues(h http.Header, name string) []string {
	var out []string
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

func headerValue(h http.Header, name string) string {
	if vs := headerValues(h, name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// assertGatewayError checks a gateway error response: status, the
// x-amzn-ErrorType header and a {"message": ...} body.
func assertGatewayError(t *testing.T, rec *httptest.ResponseRecorder, status int, errorType, message string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	if got := headerValues(rec.Header(), "x-amzn-ErrorType"); len(got) != 1 || got[0] != errorType {
		t.Errorf("x-amzn-ErrorType = %q, want %q", got, errorType)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || len(m) != 1 || m["message"] != message {
		t.Errorf("body = %s, want {\"message\":%q}", rec.Body, message)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func millis(n int) *int { return &n }

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}
