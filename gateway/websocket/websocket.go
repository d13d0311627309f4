// Package websocket is the reference gateway's emulation of an Amazon API
// Gateway WebSocket API (spec §8): the WebSocket endpoint at /{stage}, with
// $connect, $disconnect, $default and custom routes integrated over HTTP,
// and the @connections callback API at /{stage}/@connections/{id} on the
// same handler, as AWS serves it on the API's own host.
//
// Follow a connection top to bottom: ServeHTTP → serveHandshake (API key,
// $connect integration, upgrade, registration) → conn.readLoop (one message
// at a time: route, integration, reply frames) and conn.writeLoop (the only
// writer of data frames, draining the outbound queue) → conn.end (any cause)
// → $disconnect. The @connections API (connections.go) only looks
// connections up and queues frames or ends them.
package websocket

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatecheck/gatecheck/gateway/integration"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

// Options tune the gateway; zero values are AWS's behaviour.
type Options struct {
	// Clock drives integration timeouts, idle timeouts, the maximum
	// connection duration and connectedAt/lastActiveAt. Default: real time.
	// Socket read/write deadlines stay on wall time (net.Conn needs it).
	Clock clockwork.Clock
	// Client makes integration calls; its Timeout should be 0 (each call
	// is bounded by the integration's timeoutInMillis on Clock). Default: a
	// pooled client that does not follow redirects.
	Client *http.Client
	// Verifier checks the SigV4 signature of every @connections call
	// (service "execute-api"). Required.
	Verifier *sigv4.Verifier
	// Logger receives debug-level events. Default: discard.
	Logger *slog.Logger
	// Registry, when set, gets the WebSocket metrics (metrics.go).
	Registry prometheus.Registerer
	// MaxMessageBytes and MaxFrameBytes bound client messages and frames
	// (AWS: 131072 and 32768); over either, the connection closes with 1009.
	MaxMessageBytes, MaxFrameBytes int
}

// AWS's limits (spec §2, §8.3).
const (
	DefaultMaxMessageBytes = 128 << 10
	DefaultMaxFrameBytes   = 32 << 10
	MaxPostBytes           = 128 << 10 // PostToConnection payload
)

// Emulator bounds that AWS does not document.
const (
	// maxQueuedMessages bounds a connection's outbound queue; a
	// PostToConnection beyond it is refused with 429 (spec §8.3: "a full
	// client-side buffer").
	maxQueuedMessages = 1024
	// writeWait bounds every socket write so a client that stops reading
	// cannot pin the writer goroutine.
	writeWait = 10 * time.Second
	// closeGrace is how long the gateway waits for the client's close
	// frame (or EOF) after sending its own, draining what the client still
	// sends: closing a socket with unread data makes the kernel send a
	// reset, which can destroy the close frame before the client reads it.
	closeGrace = time.Second
	// maxIntegrationResponseBytes bounds a buffered integration response
	// (REST's 10 MB response limit).
	maxIntegrationResponseBytes = 10 << 20
	// bufferSize is gorilla's per-connection read buffer and pooled write
	// buffer: small, because idle connections should cost little.
	bufferSize = 1024
)

// Gateway serves one WebSocket API on its stages. It is an http.Handler;
// Close ends every connection.
type Gateway struct {
	api      *API
	routes   map[string]*Route        // copied at New: edits to API.Routes after New have no effect
	keyName  string                   // the header apiKeySelectionExpression names
	keys     map[string]bool          // accepted API key values
	stages   map[string]*stageRuntime // copied at New: SetVariable later has no effect
	clock    clockwork.Clock
	client   *http.Client
	owned    *http.Transport // the default client's transport, closed by Close
	verifier *sigv4.Verifier // keeps at most a PostToConnection body (MaxPostBytes)
	log      *slog.Logger
	maxMsg   int
	maxFrame int
	upgrader gws.Upgrader

	// ctx is cancelled by Close: it stops in-flight $connect and message
	// integrations so Close returns promptly.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	conns  map[string]*conn // established connections by id
	closed bool
	// wg counts handshakes in progress and connection goroutines (the
	// reader, which runs $disconnect last, and the writer). Add is only
	// called under mu while !closed, or while the caller already holds a
	// count, so it never races Close's Wait.
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds the gateway for a validated API.
func New(api *API, opts Options) (*Gateway, error) {
	if api == nil || len(api.Stages) == 0 || api.selector == nil {
		return nil, errors.New("websocket: a loaded API (websocket.Load) with at least one stage is required")
	}
	if opts.Verifier == nil {
		return nil, errors.New("websocket: Options.Verifier is required: every @connections call must be SigV4-signed")
	}
	if opts.MaxMessageBytes < 0 || opts.MaxFrameBytes < 0 {
		return nil, errors.New("websocket: MaxMessageBytes and MaxFrameBytes must not be negative")
	}
	g := &Gateway{
		api:      api,
		routes:   make(map[string]*Route, len(api.Routes)),
		stages:   make(map[string]*stageRuntime, len(api.Stages)),
		clock:    opts.Clock,
		client:   opts.Client,
		log:      opts.Logger,
		maxMsg:   opts.MaxMessageBytes,
		maxFrame: opts.MaxFrameBytes,
		conns:    map[string]*conn{},
	}
	bounded := *opts.Verifier
	bounded.MaxBodyBytes = MaxPostBytes
	g.verifier = &bounded
	var ok bool
	if g.keyName, ok = apiKeyHeader(api.APIKeySelectionExpression); !ok {
		return nil, fmt.Errorf("websocket: apiKeySelectionExpression %q is not $request.header.<name>", api.APIKeySelectionExpression)
	}
	g.keys = make(map[string]bool, len(api.APIKeys))
	for _, k := range api.APIKeys {
		g.keys[k.Value] = true
	}
	for key, r := range api.Routes {
		if r == nil || r.Integration == nil {
			return nil, fmt.Errorf("websocket: route %s has no integration", key)
		}
		g.routes[key] = r
	}
	if g.clock == nil {
		g.clock = clockwork.NewRealClock()
	}
	if g.client == nil {
		g.owned = integration.NewTransport()
		g.client = &http.Client{Transport: g.owned, CheckRedirect: integration.NoRedirects}
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.maxMsg == 0 {
		g.maxMsg = DefaultMaxMessageBytes
	}
	if g.maxFrame == 0 {
		g.maxFrame = DefaultMaxFrameBytes
	}
	metrics, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	for name, s := range api.Stages {
		g.stages[name] = newStageRuntime(api, s, metrics)
	}
	g.upgrader = gws.Upgrader{
		HandshakeTimeout: writeWait,
		// Non-zero ReadBufferSize makes gorilla read through the
		// frame-limiting conn rather than the server's own bufio.Reader;
		// the write buffer is pooled, held only while a frame is written.
		ReadBufferSize:  bufferSize,
		WriteBufferSize: bufferSize,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true }, // API Gateway does not check Origin
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			writeJSONError(w, status, "", http.StatusText(status))
		},
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	return g, nil
}

// ServeHTTP serves the WebSocket endpoint (GET /{stage} with an Upgrade) and
// the @connections API (/{stage}/@connections/{id}, raw or percent-encoded).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newID()
	w.Header().Set("x-amzn-RequestId", requestID)
	stage, id, isConnections, ok := splitPath(r.URL)
	switch {
	case !ok:
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
	case isConnections:
		g.serveConnections(w, r, stage, id)
	default:
		g.serveHandshake(w, r, stage, requestID)
	}
}

// splitPath reads /{stage} or /{stage}/@connections/{id} from the escaped
// path, so that an id holding an encoded "/" ("%2F") stays one segment.
// ok is false for any other shape.
func splitPath(u *url.URL) (stage, id string, isConnections, ok bool) {
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	stage, err := url.PathUnescape(segs[0])
	if err != nil || stage == "" {
		return "", "", false, false
	}
	if len(segs) == 1 || (len(segs) == 2 && segs[1] == "") {
		return stage, "", false, true
	}
	if first, err := url.PathUnescape(segs[1]); err != nil || first != "@connections" {
		return "", "", false, false
	}
	// An unescaped "/" in an id from a lax client splits it; join it back.
	id, err = url.PathUnescape(strings.Join(segs[2:], "/"))
	if err != nil {
		return "", "", false, false
	}
	return stage, id, true, true
}

// serveHandshake runs $connect: IAM authorization and API key, then the $connect integration
// while the upgrade stays pending, then the upgrade (spec §8.2).
func (g *Gateway) serveHandshake(w http.ResponseWriter, r *http.Request, stageName, requestID string) {
	stage := g.stages[stageName]
	if stage == nil {
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	if !gws.IsWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		writeJSONError(w, http.StatusUpgradeRequired, "", "Upgrade Required")
		return
	}
	// Check what gorilla's Upgrade would refuse before calling $connect,
	// so the integration never sees a handshake that cannot succeed.
	if msg := handshakeProblem(r); msg != "" {
		writeJSONError(w, http.StatusBadRequest, "BadRequestException", msg)
		return
	}
	if !g.acquire() {
		writeJSONError(w, http.StatusServiceUnavailable, "", "Service Unavailable")
		return
	}
	handedOver := false // to the connection's reader goroutine, with the wait-group count
	defer func() {
		if !handedOver {
			g.wg.Done()
		}
	}()

	c := g.newConn(r, stage)
	stage.count.connects.Inc()
	route := g.routes[RouteConnect]
	// IAM authorization first, then the API key (API Gateway's order).
	if route != nil && route.AuthorizationType == AuthorizationIAM {
		if _, err := g.verifier.Verify(r, "execute-api"); err != nil {
			stage.count.clientErrors.Inc()
			typ, msg := sigv4.ErrorType(err)
			if typ == "" {
				typ, msg = "ForbiddenException", "Forbidden"
			}
			status := http.StatusForbidden
			switch {
			case errors.Is(err, sigv4.ErrBody):
				status = http.StatusBadRequest
			case errors.Is(err, sigv4.ErrTooLarge):
				status = http.StatusRequestEntityTooLarge
			}
			g.log.Debug("websocket: $connect refused: IAM authorization failed", "stage", stage.Name, "err", err)
			writeJSONError(w, status, typ, msg)
			return
		}
	}
	if route != nil && route.APIKeyRequired && !g.keys[r.Header.Get(g.keyName)] {
		stage.count.clientErrors.Inc()
		g.log.Debug("websocket: $connect refused: API key missing or unknown", "stage", stage.Name)
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	responseHeader := http.Header{}
	if route != nil {
		res := g.invoke(g.ctx, c, route.Integration, &event{kind: eventConnect, routeKey: RouteConnect, requestID: requestID, at: c.connectedAt})
		switch res.outcome {
		case outcomeTimeout:
			stage.count.executionErrors.Inc()
			writeJSONError(w, http.StatusGatewayTimeout, "InternalServerErrorException", "Endpoint request timed out")
			return
		case outcomeFailed:
			stage.count.executionErrors.Inc()
			writeJSONError(w, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
			return
		case outcomeCancelled:
			writeJSONError(w, http.StatusServiceUnavailable, "", "Service Unavailable")
			return
		case outcomeRejected:
			// The integration's status refuses the connection; its body
			// goes to the client as it came.
			stage.count.integrationErrors.Inc()
			g.log.Debug("websocket: $connect refused by the integration", "stage", stage.Name, "status", res.status)
			ct := res.header.Get("Content-Type")
			if ct == "" {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(res.status)
			_, _ = w.Write(res.body)
			return
		}
		// A $connect integration may choose the subprotocol (spec §8.2).
		if p := res.header.Get("Sec-WebSocket-Protocol"); p != "" {
			responseHeader.Set("Sec-WebSocket-Protocol", p)
		}
	}

	// Registered before the 101 goes out, so a @connections call made as
	// soon as the client sees the upgrade finds the connection; frames
	// queued meanwhile are written after the 101.
	g.register(c)
	hw := &hijackWrapper{ResponseWriter: w, maxFrame: g.maxFrame}
	ws, err := g.upgrader.Upgrade(hw, r, responseHeader)
	if err != nil {
		// Never established: no $disconnect. gorilla has answered the
		// client or the socket is gone.
		g.log.Debug("websocket: upgrade failed", "connectionId", c.id, "err", err)
		c.end(gws.CloseAbnormalClosure, "")
		return
	}
	ws.SetReadLimit(int64(g.maxMsg))
	c.ws, c.raw = ws, hw.conn
	g.log.Debug("websocket: connected", "connectionId", c.id, "stage", stage.Name)
	handedOver = true
	g.wg.Add(1) // the writer; the reader inherits the handshake's count
	go c.writeLoop()
	go c.readLoop()
}

// stageRuntime is a stage as the gateway serves it: a private copy of its
// variables, its integration endpoints and its counters.
type stageRuntime struct {
	Stage
	endpoints map[string]endpoint // by integration name
	count     stageCounters
}

func newStageRuntime(api *API, s *Stage, m *metrics) *stageRuntime {
	rt := &stageRuntime{Stage: *s, endpoints: make(map[string]endpoint, len(api.Integrations)), count: m.forStage(api.ID(), s.Name)}
	rt.Variables = make(map[string]string, len(s.Variables))
	for k, v := range s.Variables {
		rt.Variables[k] = v
	}
	for name, in := range api.Integrations {
		rt.endpoints[name] = renderEndpoint(in, rt.Variables)
	}
	return rt
}

// routeFor picks the route for a data message and the key it is selected
// under: the custom route the route selection expression names, else
// $default, else none (spec §8.1). Non-JSON messages go to $default.
func (g *Gateway) routeFor(msg []byte) (string, *Route) {
	if key, ok := g.api.selector.eval(msg); ok && !strings.HasPrefix(key, "$") {
		if r := g.routes[key]; r != nil {
			return key, r
		}
	}
	return RouteDefault, g.routes[RouteDefault]
}

// handshakeProblem reports what makes r an invalid WebSocket handshake.
func handshakeProblem(r *http.Request) string {
	if r.Method != http.MethodGet {
		return "The WebSocket handshake must be a GET request"
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return "Unsupported WebSocket version; send Sec-WebSocket-Version: 13"
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	if err != nil || len(key) != 16 {
		return "Sec-WebSocket-Key must be the base64 encoding of 16 bytes"
	}
	return ""
}

// acquire counts a new handshake unless the gateway is closed.
func (g *Gateway) acquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

// register makes c reachable through @connections. A connection registered
// after Close began is ended at once (its goroutines then close it).
func (g *Gateway) register(c *conn) {
	g.mu.Lock()
	for g.conns[c.id] != nil { // 88 random bits: practically never
		c.id = newID()
	}
	closed := g.closed
	if !closed {
		g.conns[c.id] = c
	}
	g.mu.Unlock()
	c.startTimers()
	if closed {
		c.end(gws.CloseGoingAway, "Going away")
	}
}

func (g *Gateway) unregister(c *conn) {
	g.mu.Lock()
	if g.conns[c.id] == c {
		delete(g.conns, c.id)
	}
	g.mu.Unlock()
}

// lookup returns the established connection id on stage, or nil.
func (g *Gateway) lookup(stage, id string) *conn {
	g.mu.Lock()
	c := g.conns[id]
	g.mu.Unlock()
	if c == nil || c.stage.Name != stage {
		return nil
	}
	return c
}

// Connections is the number of established connections.
func (g *Gateway) Connections() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Close ends every connection with close code 1001 (going away), stops
// in-flight $connect and message integrations, and waits until every
// connection goroutine has finished, including the $disconnect calls
// (each bounded by its integration timeout, and by disconnectGrace of real
// time once Close has begun). Safe to call more than once.
func (g *Gateway) Close() {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		g.closed = true
		open := make([]*conn, 0, len(g.conns))
		for _, c := range g.conns {
			open = append(open, c)
		}
		g.mu.Unlock()
		g.cancel()
		for _, c := range open {
			c.end(gws.CloseGoingAway, "Going away")
		}
	})
	g.wg.Wait()
	if g.owned != nil {
		g.owned.CloseIdleConnections()
	}
}

// newID returns an id shaped like API Gateway's connection and request ids
// (e.g. "L0SM9cOFvHcCIhw="): standard base64 of 11 random bytes, 16
// characters ending in one "=".
func newID() string {
	var b [11]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b[:])
}

// writeJSONError writes {"message": msg} with status, and x-amzn-ErrorType
// when errorType is set.
func writeJSONError(w http.ResponseWriter, status int, errorType, msg string) {
	if errorType != "" {
		w.Header().Set("x-amzn-ErrorType", errorType)
	}
	writeJSON(w, status, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
