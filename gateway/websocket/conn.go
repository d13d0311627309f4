package websocket

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"
	"github.com/jonboulle/clockwork"
)

// conn is one client connection. Two goroutines serve it: readLoop reads
// data messages and handles them one at a time, in arrival order (AWS does
// not promise ordering, but checks of callback order rely on it here), and
// writeLoop is the only writer of data frames, draining the outbound
// queue in order. end, callable from anywhere and more than once, starts
// the close; readLoop finishes it and runs $disconnect.
type conn struct {
	g           *Gateway
	id          string
	stage       *stageRuntime
	connectedAt time.Time
	// From the handshake, for $context and route.request.* mappings.
	domainName, sourceIP, userAgent string
	header                          http.Header // nil unless a mapping reads it
	query                           url.Values  // nil unless a mapping reads it

	// ctx is cancelled when the connection ends (or the gateway closes).
	ctx    context.Context
	cancel context.CancelFunc

	ws  *gws.Conn       // set before the goroutines start
	raw *frameLimitConn // the socket under ws

	mu           sync.Mutex
	lastActiveAt time.Time
	queue        []outbound // frames waiting for writeLoop
	ended        bool
	closeCode    int
	closeText    string
	idleTimer    clockwork.Timer
	lifeTimer    clockwork.Timer

	wake       chan struct{} // capacity 1: the queue has frames
	done       chan struct{} // closed by end
	writerDone chan struct{} // closed when writeLoop has sent its close frame
}

type outbound struct {
	kind int // gws.TextMessage or gws.BinaryMessage
	data []byte
}

var (
	errGone      = errors.New("websocket: connection is gone")
	errQueueFull = errors.New("websocket: outbound queue is full")
)

func (g *Gateway) newConn(r *http.Request, stage *stageRuntime) *conn {
	now := g.clock.Now()
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	c := &conn{
		g: g, id: newID(), stage: stage, connectedAt: now, lastActiveAt: now,
		domainName: r.Host, sourceIP: ip, userAgent: r.UserAgent(),
		wake: make(chan struct{}, 1), done: make(chan struct{}), writerDone: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(g.ctx)
	if g.api.readsHandshake {
		c.header, c.query = r.Header, r.URL.Query()
	}
	return c
}

// startTimers arms the idle timeout and the maximum connection duration on
// the gateway's clock. AWS's close code on either expiry is UNCONFIRMED
// (spec §2.1); the emulator sends 1001 (going away).
func (c *conn) startTimers() {
	expire := func() { c.end(gws.CloseGoingAway, "Going away") }
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.idleTimer = c.g.clock.AfterFunc(c.stage.IdleTimeout, expire)
	c.lifeTimer = c.g.clock.AfterFunc(c.stage.MaxConnectionDuration, expire)
}

// touch records a data message from the client: lastActiveAt and the idle
// timer (AWS judges idleness on data messages, not pings; spec §2.1).
func (c *conn) touch() {
	now := c.g.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastActiveAt = now
	if !c.ended && c.idleTimer != nil {
		c.idleTimer.Reset(c.stage.IdleTimeout)
	}
}

// end starts closing the connection with the close code to send: it stops
// new frames and @connections lookups at once, and wakes writeLoop to send
// the close frame. Only the first call counts.
func (c *conn) end(code int, text string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.closeCode, c.closeText = code, text
	c.queue = nil
	idle, life := c.idleTimer, c.lifeTimer
	c.mu.Unlock()
	if idle != nil {
		idle.Stop()
		life.Stop()
	}
	c.g.unregister(c)
	c.cancel()
	close(c.done)
	c.g.log.Debug("websocket: closing", "connectionId", c.id, "code", code)
}

func (c *conn) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// enqueue queues a frame for the client. It fails with errGone once the
// connection is ending and errQueueFull past maxQueuedMessages.
func (c *conn) enqueue(kind int, data []byte) error {
	c.mu.Lock()
	switch {
	case c.ended:
		c.mu.Unlock()
		return errGone
	case len(c.queue) >= maxQueuedMessages:
		c.mu.Unlock()
		return errQueueFull
	}
	c.queue = append(c.queue, outbound{kind: kind, data: data})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // already signalled
	}
	return nil
}

// next takes the oldest queued frame.
func (c *conn) next() (outbound, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || len(c.queue) == 0 {
		return outbound{}, false
	}
	m := c.queue[0]
	c.queue[0] = outbound{}
	c.queue = c.queue[1:]
	if len(c.queue) == 0 {
		c.queue = nil // drop the backing array of a burst
	}
	return m, true
}

// writeLoop writes queued frames in order until the connection ends, then
// sends the close frame.
func (c *conn) writeLoop() {
	defer c.g.wg.Done()
	defer close(c.writerDone)
	for {
		select {
		case <-c.done:
			c.sendClose()
			return
		case <-c.wake:
		}
		for m, ok := c.next(); ok; m, ok = c.next() {
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(m.kind, m.data); err != nil {
				c.end(gws.CloseAbnormalClosure, "") // the client is gone or stopped reading
				break
			}
		}
	}
}

// sendClose sends the close frame (unless the socket is already broken)
// and bounds how long readLoop waits for the client's answer: a
// deadline, as the reader may be blocked in a read.
func (c *conn) sendClose() {
	c.mu.Lock()
	code, text := c.closeCode, c.closeText
	c.mu.Unlock()
	if code != gws.CloseAbnormalClosure {
		// Fails harmlessly with ErrCloseSent when gorilla already answered
		// the client's close or sent 1009 for an oversized message.
		_ = c.ws.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(code, text), time.Now().Add(writeWait))
	}
	_ = c.raw.SetReadDeadline(time.Now().Add(closeGrace))
}

// readLoop handles data messages one at a time until the connection ends,
// then closes the socket and runs $disconnect. It owns the handshake's
// wait-group count.
func (c *conn) readLoop() {
	defer c.g.wg.Done()
	code, text := gws.CloseAbnormalClosure, ""
	for {
		kind, data, err := c.ws.ReadMessage() // answers pings and close frames itself
		if err != nil {
			code, text = c.closeCodeFor(err)
			break
		}
		if c.isEnded() {
			break // ended elsewhere (DELETE, timeout, Close): drop late messages
		}
		if kind == gws.BinaryMessage {
			// API Gateway does not take binary frames: it closes with
			// 1003 (DG, "Binary media types for WebSocket APIs").
			c.stage.count.clientErrors.Inc()
			code, text = gws.CloseUnsupportedData, "Binary frames are not supported"
			break
		}
		if !utf8.Valid(data) {
			// RFC 6455 §8.1: a text message that is not UTF-8 fails the
			// connection with 1007 (what AWS does is UNCONFIRMED).
			c.stage.count.clientErrors.Inc()
			code, text = gws.CloseInvalidFramePayloadData, "Invalid UTF-8 in a text message"
			break
		}
		c.touch()
		c.handleMessage(kind, data)
	}
	c.end(code, text)
	<-c.writerDone
	// Once both close frames have passed the server closes the socket
	// first (RFC 6455 §7.1.1); until then wait at most closeGrace (writeLoop
	// set the deadline).
	c.raw.drain()
	_ = c.raw.Close()
	c.g.disconnect(c)
}

// closeCodeFor maps the error that ended reading to the close code to send.
func (c *conn) closeCodeFor(err error) (int, string) {
	var ce *gws.CloseError
	switch {
	case c.raw.exceeded || errors.Is(err, gws.ErrReadLimit): // spec §2: message or frame limit
		return gws.CloseMessageTooBig, "Message too big"
	case c.raw.malformedClose: // RFC 6455 §5.5.1
		return gws.CloseProtocolError, "Close frame with a one-byte body"
	case errors.As(err, &ce): // the client closed; gorilla echoed its code
		return ce.Code, ce.Text
	}
	return gws.CloseAbnormalClosure, ""
}

// handleMessage routes one data message, calls its integration and queues
// what the client gets back (spec §8.1): the route response, or an error
// frame; the connection stays open either way.
func (c *conn) handleMessage(kind int, data []byte) {
	g, count := c.g, &c.stage.count
	requestID := newID()
	count.messages.Inc()
	routeKey, route := g.routeFor(data)
	if route == nil { // no matching route and no $default
		count.clientErrors.Inc()
		c.sendError("Forbidden", requestID)
		return
	}
	// c.ctx ends with the connection: a closed connection must not wait
	// out its integration (up to 29 s) before $disconnect.
	res := g.invoke(c.ctx, c, route.Integration, &event{
		kind: eventMessage, routeKey: routeKey, requestID: requestID, messageID: newID(),
		body: data, at: g.clock.Now(),
	})
	switch res.outcome {
	case outcomeOK:
		if route.ReturnsResponse() && len(res.body) > 0 {
			_ = c.enqueue(gws.TextMessage, res.body)
		}
	case outcomeRejected:
		count.integrationErrors.Inc()
		c.sendError("Internal server error", requestID)
	case outcomeFailed:
		count.executionErrors.Inc()
		c.sendError("Internal server error", requestID)
	case outcomeTimeout:
		count.executionErrors.Inc()
		c.sendError("Endpoint request timed out", requestID)
	case outcomeCancelled: // the gateway is closing
	}
}

// sendError queues API Gateway's in-band error frame, byte for byte as AWS
// writes it: {"message": "Forbidden", "connectionId":"…", "requestId":"…"}.
func (c *conn) sendError(message, requestID string) {
	frame := make([]byte, 0, 96)
	frame = append(frame, `{"message": "`...)
	frame = append(frame, message...) // fixed ASCII texts
	frame = append(frame, `", "connectionId":"`...)
	frame = append(frame, c.id...) // base64: nothing to escape
	frame = append(frame, `", "requestId":"`...)
	frame = append(frame, requestID...)
	frame = append(frame, `"}`...)
	_ = c.enqueue(gws.TextMessage, frame)
}

// info is GetConnection's answer.
func (c *conn) info() connectionInfo {
	c.mu.Lock()
	last := c.lastActiveAt
	c.mu.Unlock()
	var out connectionInfo
	out.ConnectedAt = isoMillis(c.connectedAt)
	out.LastActiveAt = isoMillis(last)
	out.Identity.SourceIP = c.sourceIP
	out.Identity.UserAgent = c.userAgent
	return out
}

type connectionInfo struct {
	ConnectedAt string `json:"connectedAt"`
	Identity    struct {
		SourceIP  string `json:"sourceIp"`
		UserAgent string `json:"userAgent"`
	} `json:"identity"`
	LastActiveAt string `json:"lastActiveAt"`
}

// isoMillis formats t as AWS's ISO-8601 timestamps: UTC, milliseconds.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
