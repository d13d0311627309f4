// Package wsload is the WebSocket callback scenario: N client connections
// stay open while Vegeta posts M callbacks per second through the
// @connections API, round-robin over the connections. Every callback the
// API accepted (200) must reach its client. It reports the callback requests as any
// Vegeta scenario does (rate, status codes, latency) and the delivery
// latency: from the moment Vegeta sent the POST to the moment the client
// read the frame.
//
// What no AWS source documents is measured and reported, never failed
// (NonStrictReasons): duplicate deliveries (spec §8.3 promises no
// exactly-once delivery), a client's close answered with another code than
// 1000 or not answered at all (close codes and the closing handshake are
// UNCONFIRMED for AWS, spec §2.1 and §14), and 429 LimitExceededException
// answers (a documented refusal, spec §8.3 MODEL, not a loss).
//
// Vegeta has no WebSocket support, so the clients are gorilla/websocket
// connections; the callbacks are plain signed HTTP requests, which Vegeta
// sends on its open-model pacer.
package wsload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gws "github.com/gorilla/websocket"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
)

// Options of one run.
type Options struct {
	// URL is the WebSocket stage, ws://host/{stage}. Its API must answer
	// {"action":"reply"} with a frame carrying "connectionId" (the
	// reference API's reply route), which is how a client learns its id.
	URL    string
	Header http.Header // sent on the handshake (x-api-key)
	Dialer *gws.Dialer
	// Callbacks posts to the stage's @connections API (signed).
	Callbacks *connections.Client

	Connections int           // concurrent client connections
	Rate        int           // callbacks per second, over all connections
	Duration    time.Duration // of the attack
	// Grace bounds the wait for callbacks still in flight after the attack
	// (default 5 s).
	Grace time.Duration

	AllowNonLoopback bool
	MaxRate          int
	Raw              io.Writer // Vegeta's encoding of every callback request
}

// MaxConnections bounds the client connections one run opens.
const MaxConnections = 20000

// client is one connection and what it received.
type client struct {
	conn *gws.Conn
	id   string
	mu   sync.Mutex
	got  map[uint64]int // sequence number → times received
	err  error          // why its reader stopped
	done chan struct{}
}

// prefix marks this scenario's frames, so replies and other frames on the
// same connection are not mistaken for callbacks.
const prefix = "gatecheck-wsload:"

// Run opens the connections, attacks, waits for deliveries, closes and judges.
func Run(ctx context.Context, o Options) (*reports.Scenario, error) {
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	if o.Connections < 1 || o.Connections > MaxConnections {
		return nil, fmt.Errorf("%w: %d connections is outside 1–%d", scenarios.ErrRefused, o.Connections, MaxConnections)
	}
	if o.Callbacks == nil || o.Dialer == nil {
		return nil, errors.New("wsload: Callbacks and Dialer are required")
	}
	if err := scenarios.Bounds(o.Callbacks.Endpoint, o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, err
	}
	if err := scenarios.Bounds("http"+strings.TrimPrefix(o.URL, "ws"), o.Rate, o.Duration, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, err
	}
	// The handshakes go out together before the attack: a burst.
	if err := scenarios.CheckBurst("http"+strings.TrimPrefix(o.URL, "ws"), o.Connections, o.AllowNonLoopback, o.MaxRate); err != nil {
		return nil, fmt.Errorf("opening %d connections: %w", o.Connections, err)
	}

	in := &inbox{lat: make(chan time.Duration, 4096), arrived: make(chan struct{}, 1)}
	var stats deliveries
	collectDone := make(chan struct{})
	go func() { defer close(collectDone); stats.collect(in.lat) }()

	clients, err := open(ctx, o, in)
	if err != nil {
		closeAll(clients) // readers stop before lat closes
		close(in.lat)
		<-collectDone
		return nil, err
	}

	// The attack: Vegeta paces signed POSTs, round-robin over the clients.
	var seq atomic.Uint64
	var enc vegeta.Encoder
	if o.Raw != nil {
		enc = scenarios.NewRawEncoder(o.Raw)
	}
	targeter := func(tgt *vegeta.Target) error {
		n := seq.Add(1) - 1
		c := clients[n%uint64(len(clients))]
		body := []byte(prefix + strconv.FormatUint(n, 10))
		req, err := o.Callbacks.NewRequest(ctx, http.MethodPost, c.id, body)
		if err != nil {
			return err
		}
		in.sent.Store(n, time.Now())
		// The number rides in a header the transport takes off before the
		// request leaves (it is not signed, and nothing else sees it), so
		// each callback's answer is known by number.
		req.Header.Set(seqHeader, strconv.FormatUint(n, 10))
		tgt.Method, tgt.URL, tgt.Body, tgt.Header = req.Method, req.URL.String(), body, req.Header
		return nil
	}
	answers := &answerLog{}
	atk := scenarios.NewAttackerVia(func(base http.RoundTripper) http.RoundTripper { return &numbered{base: base, log: answers} })
	var m vegeta.Metrics
	timeline := scenarios.NewTimeline(time.Time{})
	attackErr := scenarios.AttackWith(ctx, atk, targeter, o.Rate, o.Duration, "callbacks", func(r *vegeta.Result) error {
		m.Add(r)
		timeline.Add(r)
		if enc != nil {
			return enc.Encode(r)
		}
		return nil
	})
	m.Close()
	if attackErr != nil {
		closeAll(clients) // readers stop before lat closes
		close(in.lat)
		<-collectDone
		return nil, attackErr
	}
	posted := int(seq.Load())
	accepted := int(m.StatusCodes["200"])

	// Wait, bounded by Grace, until every accepted callback arrived.
	grace := time.NewTimer(o.Grace)
	defer grace.Stop()
wait:
	for int(in.distinct.Load()) < accepted {
		select {
		case <-in.arrived:
		case <-grace.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	closes := closeAll(clients)
	close(in.lat)
	<-collectDone
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	lost, dups, unexpected := tally(clients, posted, answers)
	throttled := m.StatusCodes[strconv.Itoa(http.StatusTooManyRequests)]
	ph := reports.Phase{Name: "callbacks", RequestedRate: float64(o.Rate), AchievedRate: m.Rate, DurationSeconds: m.Duration.Seconds(),
		Requests: m.Requests, StatusCodes: m.StatusCodes, Verdict: reports.Passed, Series: timeline.Series(),
		Latency: map[string]reports.Latency{"post": scenarios.Latency(&m), "delivery": stats.latency()},
		Values: map[string]float64{"connections": float64(len(clients)), "posted": float64(posted), "accepted": float64(accepted),
			"throttled": float64(throttled), "delivered": float64(stats.count), "lost": float64(lost), "duplicates": float64(dups),
			"unexpected": float64(unexpected), "closedCleanly": float64(closes.normal), "closedWithOtherCode": float64(closes.other),
			"closeUnanswered": float64(closes.unanswered)}}
	// Loss is a failure whatever the rate achieved; only a run with
	// nothing to fail is invalid when the load generator fell short.
	switch {
	case accepted+throttled < int(m.Requests):
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d of %d callbacks were answered neither 200 nor 429 LimitExceededException (status codes %v, errors %v)",
			int(m.Requests)-accepted-throttled, m.Requests, m.StatusCodes, m.Errors)
	case lost > 0 || unexpected > 0:
		// A 200 from PostToConnection is the message accepted for the
		// connection (spec §8.3, MODEL): one that never arrives is lost.
		ph.Verdict, ph.Reason = reports.Failed, fmt.Sprintf("%d callbacks answered 200 were lost (never arrived), %d frames nobody sent", lost, unexpected)
	case accepted == 0:
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("every one of %d callbacks was answered 429 LimitExceededException, a documented rate limit: no delivery to judge", throttled)
	case !scenarios.AchievedRateOK(&m, o.Rate):
		ph.Verdict, ph.Reason = reports.Invalid, fmt.Sprintf("sent %.0f/s of the %d/s asked: the load generator was the limit", m.Rate, o.Rate)
	default:
		ph.Reason = strings.Join(NonStrictReasons(ph), "; ")
	}
	sc := &reports.Scenario{Verdict: reports.Passed}
	scenarios.AddPhase(sc, &ph)
	return sc, nil
}

// NonStrictReasons lists what a run measured that AWS documents nothing
// against, so a check grades it NON-STRICT instead of failing: duplicate
// deliveries, closes answered with another code than 1000 or not at all,
// callbacks refused with 429.
func NonStrictReasons(ph reports.Phase) []string {
	var r []string
	if n := ph.Values["throttled"]; n > 0 {
		r = append(r, fmt.Sprintf("%.0f of %d callbacks were answered 429 LimitExceededException, a documented rate limit (spec §8.3, MODEL), not a loss; the %.0f accepted were judged",
			n, ph.Requests, ph.Values["accepted"]))
	}
	if n := ph.Values["duplicates"]; n > 0 {
		r = append(r, fmt.Sprintf("%.0f callbacks were delivered more than once: no AWS source promises exactly-once delivery (spec §8.3)", n))
	}
	if n := ph.Values["closedWithOtherCode"]; n > 0 {
		r = append(r, fmt.Sprintf("%.0f of %.0f clients' close 1000 was answered with another close code: close codes are UNCONFIRMED (spec §2.1, §14)", n, ph.Values["connections"]))
	}
	if n := ph.Values["closeUnanswered"]; n > 0 {
		r = append(r, fmt.Sprintf("%.0f of %.0f clients' close got no close frame in answer: RFC 6455 §5.5.1 asks for one, but no AWS source records what API Gateway does", n, ph.Values["connections"]))
	}
	return r
}

// inbox is what the clients' readers share.
type inbox struct {
	sent     sync.Map           // sequence number → time Vegeta sent it
	lat      chan time.Duration // delivery latencies, to the collector
	arrived  chan struct{}      // capacity 1: signalled on every callback frame
	distinct atomic.Int64       // callbacks that arrived at least once
}

// open dials the clients (a few at a time) and learns their ids.
func open(ctx context.Context, o Options, in *inbox) ([]*client, error) {
	clients := make([]*client, o.Connections)
	errs := make(chan error, o.Connections)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial(ctx, o)
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
			go c.read(in)
		}()
	}
	wg.Wait()
	close(errs)
	opened := slices.DeleteFunc(clients, func(c *client) bool { return c == nil })
	if err := <-errs; err != nil {
		return opened, fmt.Errorf("wsload: opening %d connections: %w", o.Connections, err)
	}
	return opened, nil
}

func dial(ctx context.Context, o Options) (*client, error) {
	conn, resp, err := o.Dialer.DialContext(ctx, o.URL, o.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("handshake: %s: %w", resp.Status, err)
		}
		return nil, err
	}
	// Learn the id before the reader starts: the reply is the first frame.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteMessage(gws.TextMessage, []byte(`{"action":"reply"}`)); err != nil {
		conn.Close()
		return nil, err
	}
	_, msg, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("reading the reply frame: %w", err)
	}
	var reply struct {
		ConnectionID string `json:"connectionId"`
	}
	if json.Unmarshal(msg, &reply) != nil || reply.ConnectionID == "" {
		conn.Close()
		return nil, fmt.Errorf("the reply frame carries no connectionId: %.100s", msg)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return &client{conn: conn, id: reply.ConnectionID, got: map[uint64]int{}, done: make(chan struct{})}, nil
}

// read records each callback frame until the connection ends.
func (c *client) read(in *inbox) {
	defer close(c.done)
	for {
		_, msg, err := c.conn.ReadMessage()
		now := time.Now()
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		s, ok := strings.CutPrefix(string(msg), prefix)
		if !ok {
			continue // not a callback of this run (a reply, say)
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			n = ^uint64(0) // counted as unexpected
		}
		c.mu.Lock()
		c.got[n]++
		first := c.got[n] == 1
		c.mu.Unlock()
		if t0, ok := in.sent.Load(n); ok {
			in.lat <- now.Sub(t0.(time.Time))
		}
		if first && err == nil {
			in.distinct.Add(1)
		}
		select {
		case in.arrived <- struct{}{}:
		default: // a signal is already pending
		}
	}
}

// closeCount is how the server answered the clients' close frames.
type closeCount struct {
	normal     int // with a close frame of code 1000
	other      int // with a close frame of another code
	unanswered int // with no close frame: the connection dropped, or stayed open
}

// closeAll closes every connection with a close frame and waits, bounded,
// for the server's close in return.
func closeAll(clients []*client) (n closeCount) {
	for _, c := range clients {
		_ = c.conn.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(time.Second))
	}
	deadline := time.NewTimer(5 * time.Second) // for all the clients together
	defer deadline.Stop()
	expired := false
	for _, c := range clients {
		if !expired {
			select {
			case <-c.done:
			case <-deadline.C:
				expired = true
			}
		}
		_ = c.conn.Close()
		<-c.done
		c.mu.Lock()
		var ce *gws.CloseError
		switch {
		case !errors.As(c.err, &ce) || ce.Code == gws.CloseAbnormalClosure: // 1006: gorilla's name for no close frame
			n.unanswered++
		case ce.Code == gws.CloseNormalClosure:
			n.normal++
		default:
			n.other++
		}
		c.mu.Unlock()
	}
	return n
}

// seqHeader carries a callback's number from the targeter to the
// transport, which removes it.
const seqHeader = "X-Gatecheck-Callback-Seq"

// answerLog records which numbered callbacks were answered 200.
type answerLog struct{ accepted sync.Map } // number → struct{}

// numbered is the attack's transport: it takes the callback's number off
// the request and logs a 200 answer under it.
type numbered struct {
	base http.RoundTripper
	log  *answerLog
}

func (t *numbered) RoundTrip(r *http.Request) (*http.Response, error) {
	seq := r.Header.Get(seqHeader)
	if seq != "" {
		r = r.Clone(r.Context()) // a RoundTripper must not modify its request
		r.Header.Del(seqHeader)
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK && seq != "" {
		if n, perr := strconv.ParseUint(seq, 10, 64); perr == nil {
			t.log.accepted.Store(n, struct{}{})
		}
	}
	return resp, err
}

// tally compares what was accepted with what arrived, number by number: an
// accepted callback (200) must arrive, whatever else arrived; one that
// arrives more than once is counted (dups).
func tally(clients []*client, posted int, answers *answerLog) (lost, dups, unexpected int) {
	got := map[uint64]int{}
	for _, c := range clients {
		c.mu.Lock()
		for n, k := range c.got {
			got[n] += k
		}
		c.mu.Unlock()
	}
	for n, k := range got {
		if n >= uint64(posted) {
			unexpected += k
		} else if k > 1 {
			dups += k - 1
		}
	}
	answers.accepted.Range(func(k, _ any) bool {
		if got[k.(uint64)] == 0 {
			lost++
		}
		return true
	})
	return lost, dups, unexpected
}

// deliveries collects delivery latencies.
type deliveries struct {
	count int
	all   []time.Duration
}

func (d *deliveries) collect(lat <-chan time.Duration) {
	for l := range lat {
		d.count++
		d.all = append(d.all, l)
	}
}

func (d *deliveries) latency() reports.Latency {
	if len(d.all) == 0 {
		return reports.Latency{}
	}
	slices.Sort(d.all)
	q := func(p float64) float64 { return d.all[min(len(d.all)-1, int(p*float64(len(d.all))))].Seconds() }
	return reports.Latency{Count: len(d.all), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: d.all[len(d.all)-1].Seconds()}
}
