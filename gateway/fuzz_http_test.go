package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/serving"
)

// rawDeadline bounds one input end to end: every complete request in it
// answered, or the connection closed. The fake clock runs some hundred
// times faster than real time, so the longest wait the reference API
// allows (a Lambda delay cut by its 29 s timeout) takes well under it.
const rawDeadline = 10 * time.Second

// The 5xx responses the gateway may make itself (spec §4, §9), by the
// response type the reference API's DEFAULT_5XX template writes: an
// integration that cannot be called as configured, a malformed Lambda
// result, and an integration timeout. INTEGRATION_FAILURE (504, "Network
// error communicating with endpoint") is documented only for a backend that
// cannot be reached: the fixture always can, so it is allowed only when a
// call went elsewhere (the /unreachable route).
var gatewayMade5xx = map[string]int{
	"API_CONFIGURATION_ERROR": http.StatusInternalServerError,
	"DEFAULT_5XX":             http.StatusBadGateway, // a malformed Lambda proxy result
	"INTEGRATION_TIMEOUT":     http.StatusGatewayTimeout,
	"INTEGRATION_FAILURE":     http.StatusGatewayTimeout,
}

// FuzzServeRaw writes raw bytes to the reference gateway's HTTP server
// (serving.NewServer with the REST defaults, as served) over an in-memory connection, with the
// fixture backend behind it, served over in-memory connections too and
// called through a real http.Transport.
//
// Property: no panic (net/http would recover a handler's and close the
// connection: the handler is wrapped to see it); every complete request in the input is answered, or
// the server closes the connection, within rawDeadline (no hang); every
// handler has ended by then too; and no 5xx is made by the gateway except
// the documented ones (gatewayMade5xx). A 5xx the input asked the fixture
// for (/status/503, a Lambda result with statusCode 500) passes through,
// and so does net/http's own 505 for a protocol version it does not
// speak. No memory bound is checked beyond what the gateway enforces
// itself (10 MB per request and per integration response).
func FuzzServeRaw(f *testing.F) {
	for _, seed := range rawSeeds {
		f.Add([]byte(seed))
	}
	apiData, err := fixtures.Files.ReadFile(fixtures.ReferenceAPI)
	if err != nil {
		f.Fatal(err)
	}
	api, err := restapi.Load(fixtures.ReferenceAPI, apiData)
	if err != nil {
		f.Fatal(err)
	}
	stageData, err := fixtures.Files.ReadFile(fixtures.ReferenceStages)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		sf, err := restapi.LoadStages(fixtures.ReferenceStages, stageData)
		if err != nil {
			t.Fatal(err)
		}
		sf.SetVariable("backend", fixtureHost)
		clock := clockwork.NewFakeClock()
		fixture := backend.New(backend.Options{Clock: clock})
		defer fixture.Close()
		fixtureLn, gatewayLn := newPipeListener(), newPipeListener()
		fixtureHandlers := &inFlight{h: fixture}
		fixtureSrv := &http.Server{Handler: fixtureHandlers}
		transport := newFixtureTransport(fixtureLn)
		gw, err := gateway.New(api, sf, gateway.Options{Clock: clock, Transport: transport, LambdaEndpoint: "http://" + fixtureHost})
		if err != nil {
			t.Fatal(err)
		}
		defer gw.Close()
		handlers := &inFlight{h: gw}
		limits := serving.Defaults(serving.REST)
		srv := serving.NewServer(handlers, limits, nil)
		served := make(chan error, 2)
		go func() { served <- fixtureSrv.Serve(fixtureLn) }()
		go func() { served <- serving.Serve(srv, gatewayLn, limits) }()
		ctx, stopClock := context.WithCancel(context.Background())
		clockStopped := driveClock(ctx, clock, 50*time.Millisecond)
		defer func() { stopClock(); <-clockStopped }()

		responses, err := exchange(gatewayLn, input)
		// Closing the client's connection cancels the gateway's requests,
		// and so their calls to the fixture.
		_ = srv.Close()
		gatewayDone := handlers.wait(rawDeadline)
		transport.base.CloseIdleConnections()
		_ = fixtureSrv.Close()
		for range 2 {
			if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
				t.Errorf("Serve: %v", serveErr)
			}
		}
		if !gatewayDone || !fixtureHandlers.wait(rawDeadline) {
			t.Fatalf("%q: handlers still running %v after their connection closed", input, rawDeadline)
		}
		if p := append(handlers.panicked(), fixtureHandlers.panicked()...); len(p) > 0 {
			t.Fatalf("%q: a handler panicked:\n%s", input, strings.Join(p, "\n"))
		}
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		for _, r := range responses {
			checkStatus(t, input, r, transport)
		}
	})
}

// response is what the client read for one request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// exchange writes input on a new connection and reads the responses
// until every complete request in input is answered or the server closes
// the connection. It fails if neither happens within rawDeadline.
func exchange(ln *pipeListener, input []byte) ([]response, error) {
	conn, err := ln.dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// What net/http reads as whole requests: each must be answered.
	methods := completeRequests(input)
	if err := conn.SetDeadline(time.Now().Add(rawDeadline)); err != nil {
		return nil, err
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = conn.Write(input) // fails once the server closes the connection
	}()
	defer func() { conn.Close(); <-wrote }()
	var out []response
	br := bufio.NewReader(conn)
	for len(out) < len(methods) {
		resp, err := http.ReadResponse(br, &http.Request{Method: methods[len(out)]})
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return out, fmt.Errorf("%d of %d requests answered, then nothing for %v", len(out), len(methods), rawDeadline)
			}
			return out, nil // the server closed the connection
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return out, nil
		}
		if resp.StatusCode < 200 {
			continue // 100 Continue: the final response follows
		}
		out = append(out, response{resp.StatusCode, resp.Header, body})
	}
	return out, nil
}

// completeRequests returns the methods of the whole requests at the start
// of input, as net/http parses them (headers and the body they announce).
func completeRequests(input []byte) []string {
	var methods []string
	br := bufio.NewReader(bytes.NewReader(input))
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return methods
		}
		_, err = io.Copy(io.Discard, req.Body)
		if err != nil {
			return methods
		}
		methods = append(methods, req.Method)
		if req.Close {
			return methods // the server closes after answering it
		}
	}
}

// checkStatus fails on a 5xx the gateway made that is not documented.
func checkStatus(t *testing.T, input []byte, r response, transport *fixtureTransport) {
	t.Helper()
	if r.status < 500 || transport.passedThrough(r.status) {
		return
	}
	if r.status == http.StatusHTTPVersionNotSupported && bytes.HasPrefix(r.body, []byte("505 HTTP Version Not Supported")) {
		return // net/http's own answer to an unknown protocol version
	}
	var e struct {
		Type string `json:"type"`
	}
	if r.header.Get("X-Gatecheck-Default") != "5xx" || json.Unmarshal(r.body, &e) != nil {
		t.Fatalf("%q: a %d that is neither the fixture's nor a gateway response: %s %s", input, r.status, r.header, r.body)
	}
	if want, ok := gatewayMade5xx[e.Type]; !ok || want != r.status {
		t.Fatalf("%q: the gateway made an undocumented %d %s: %s", input, r.status, e.Type, r.body)
	}
	if e.Type == "INTEGRATION_FAILURE" && !transport.wasRefused() {
		t.Fatalf("%q: 504 INTEGRATION_FAILURE although the fixture was reachable: %s", input, r.body)
	}
}

// rawSeeds are the reference API's routes as a client sends them, plus
// framing edge cases.
var rawSeeds = []string{
	"GET /test/inspect HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/inspect/a/b?x=1&x=2 HTTP/1.1\r\nHost: gw\r\nX-Gatecheck-Scope: s\r\n\r\n",
	"GET /test/delay/5 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/delay/5000 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"POST /test/echo HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
	"GET /test/status/503 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/bytes/100 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/lambda?result=ok HTTP/1.1\r\nHost: gw\r\n\r\n",
	"POST /test/lambda?result=invalid-json HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\n{}",
	"GET /test/lambda?delayMs=600000 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/lambda HTTP/1.1\r\nHost: gw\r\nX-Gatecheck-Lambda-Result: eyJzdGF0dXNDb2RlIjo1MDN9\r\n\r\n",
	"GET /test/validated HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/unreachable HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/mock HTTP/1.1\r\nHost: gw\r\nAccept: text/html\r\n\r\n",
	"GET /test/keyed HTTP/1.1\r\nHost: gw\r\nX-Api-Key: gatecheckQuotaKeyA000000001\r\n\r\n",
	"GET /cached/cached?gc=1 HTTP/1.1\r\nHost: gw\r\nCache-Control: max-age=0\r\n\r\n",
	"GET /canary/mock HTTP/1.1\r\nHost: gw\r\n\r\nGET /nostage/x HTTP/1.1\r\nHost: gw\r\n\r\n",
	"POST /test/echo HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST /test/echo HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
	"HEAD /test/bytes/10 HTTP/1.0\r\n\r\n",
	"GET http://gw/test/inspect HTTP/1.1\r\nHost: other\r\n\r\n",
	"GET /test/inspect HTTP/2.0\r\nHost: gw\r\n\r\n",
	"POST /test/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 99999999999\r\n\r\nabc",
	"GET /test/inspect/%2e%2e/%2e%2e/status/500 HTTP/1.1\r\nHost: gw\r\n\r\n",
	"GET /test/inspect HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\nGET /test/inspect HTTP/1.1\r\n\r\n",
	"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
}
