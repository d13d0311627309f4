package suites

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/wsload"
)

// FeatureCallbacks: the @connections management API through which
// backends push to WebSocket clients (spec §8.3).
const FeatureCallbacks = "websocket-callbacks"

// CallbacksConfig sizes the callback load scenario.
type CallbacksConfig struct {
	LoadConnections int           `yaml:"loadConnections"` // concurrent clients
	LoadRate        int           `yaml:"loadRate"`        // callbacks per second over all clients
	LoadDuration    time.Duration `yaml:"loadDuration"`
}

func (c *CallbacksConfig) Validate() []string {
	var p []string
	if c.LoadConnections < 1 || c.LoadConnections > wsload.MaxConnections {
		p = append(p, fmt.Sprintf("loadConnections: %d must be 1–%d", c.LoadConnections, wsload.MaxConnections))
	}
	if c.LoadRate < 1 {
		p = append(p, fmt.Sprintf("loadRate: %d must be positive", c.LoadRate))
	}
	if msg := validateLoadDuration("loadDuration", c.LoadDuration, time.Second); msg != "" {
		p = append(p, msg)
	}
	return p
}

// ValidateBounds checks the callback scenario against b: its attack rate,
// and its connections, which open together before the attack.
func (c *CallbacksConfig) ValidateBounds(b profile.Bounds) []string {
	return nonEmpty([]string{
		overRate("loadRate", c.LoadRate, "CallbacksUnderLoad", b),
		overMaxRate("loadConnections", c.LoadConnections,
			fmt.Sprintf("CallbacksUnderLoad opens %d WebSocket connections together before its attack", c.LoadConnections),
			atMost("loadConnections", b.MaxRate, 1), b),
	})
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureCallbacks, Description: "WebSocket @connections callbacks: PostToConnection, GetConnection, DeleteConnection (spec §8.3)", NewConfig: func() any {
		return &CallbacksConfig{LoadConnections: 100, LoadRate: 500, LoadDuration: 5 * time.Second}
	}})
}

// callbacksUnderLoad runs the wsload scenario.
func callbacksUnderLoad(t *conformance.T) {
	cfg, _ := profile.Config[*CallbacksConfig](t.Target.Profile, FeatureCallbacks)
	ws := wsConfig(t)
	opts := wsload.Options{
		URL: conformance.WebSocketStageURL(t.Target.Profile.Target.WebSocketURL, ws.Stage), Header: handshakeHeader(t), Dialer: t.Target.Dialer(),
		Callbacks: callbackClient(t), Connections: cfg.LoadConnections, Rate: cfg.LoadRate, Duration: cfg.LoadDuration,
		AllowNonLoopback: t.Target.Profile.Target.AllowNonLoopback, MaxRate: t.Target.Profile.Target.MaxRate,
	}
	sc := runScenario(t, "CallbacksUnderLoad", FeatureCallbacks, func(raw io.Writer) (*reports.Scenario, error) {
		opts.Raw = raw
		return wsload.Run(t.Ctx, opts)
	})
	if sc.Verdict == reports.Passed {
		for _, ph := range sc.Phases {
			for _, r := range wsload.NonStrictReasons(ph) {
				t.NonStrict("%s", r)
			}
		}
	}
	judge(t, sc)
}

var callbackNeeds = []string{conformance.NeedWebSocket, conformance.NeedCallbacks}

// callbackOrdering posts numbered messages one after another, each
// awaited (so the check knows which were answered 200), and reads them
// back, bounded by markers posted after them.
func callbackOrdering(t *conformance.T) {
	w, id := connected(t)
	defer w.shut()
	c := callbackClient(t)
	const n = 200
	prefix := "seq-" + uuid.NewString()[:8] + "-"
	accepted := map[int]bool{}
	throttled := 0
	for i := range n {
		err := c.PostToConnection(t.Ctx, id, []byte(prefix+strconv.Itoa(i)))
		switch {
		case err == nil:
			accepted[i] = true
		case connections.StatusOf(err) == http.StatusTooManyRequests:
			throttled++ // LimitExceededException: refused, not lost (spec §8.3, MODEL)
		default:
			t.Expect(err).NotTo(HaveOccurred(), "PostToConnection %d of %d to an open connection", i, n)
		}
	}
	if len(accepted) == 0 {
		t.Invalid("every one of %d posts was answered 429 LimitExceededException, a documented rate limit: no delivery to judge", n)
	}
	seen := map[int]int{}       // message → times it arrived
	markers := map[string]int{} // marker → times it arrived
	var order []int             // messages in the order of their first arrival
	missing := func() []int {
		var m []int
		for i := range n {
			if accepted[i] && seen[i] == 0 {
				m = append(m, i)
			}
		}
		return m
	}
	// Pass 0 reads until its marker and every accepted message arrived;
	// pass 1 until its marker, catching late duplicates. Each waits at
	// most Waits.Request for each frame.
	for pass := range 2 {
		marker := fmt.Sprintf("marker-%d-%s", pass, uuid.NewString())
		markers[marker] = 0
		err := c.PostToConnection(t.Ctx, id, []byte(marker))
		markerSeen := false
		if connections.StatusOf(err) == http.StatusTooManyRequests {
			throttled++
			markerSeen = true // refused: not awaited
		} else {
			t.Expect(err).NotTo(HaveOccurred(), "posting a marker")
		}
		for !markerSeen || (pass == 0 && len(missing()) > 0) {
			f, ok := w.poll(t, t.Target.Profile.Waits.Request, "the numbered messages")
			if !ok {
				break
			}
			if k, ok := markers[f]; ok {
				markers[f] = k + 1
				markerSeen = markerSeen || f == marker
				continue
			}
			s, ours := strings.CutPrefix(f, prefix)
			i, err := strconv.Atoi(s)
			t.Expect(ours && err == nil && i >= 0 && i < n).To(BeTrue(), "a frame nobody posted: %.100q", f)
			if seen[i]++; seen[i] == 1 {
				order = append(order, i)
			}
		}
		t.Expect(missing()).To(BeEmpty(), "messages answered 200 that never arrived (none came for %v)", t.Target.Profile.Waits.Request)
		t.Expect(markerSeen).To(BeTrue(), "the marker answered 200 never arrived (none came for %v)", t.Target.Profile.Waits.Request)
	}
	outOfOrder, dups, refusedArrived := 0, 0, 0
	for i := range n {
		if !accepted[i] && seen[i] > 0 {
			refusedArrived++
		}
		dups += max(seen[i]-1, 0)
	}
	for _, k := range markers {
		dups += max(k-1, 0)
	}
	for k, highest := 0, -1; k < len(order); k++ {
		if order[k] < highest {
			outOfOrder++
		}
		highest = max(highest, order[k])
	}
	if throttled > 0 {
		t.NonStrict("%d posts were answered 429 LimitExceededException, a documented rate limit (spec §8.3, MODEL): refused, not judged", throttled)
	}
	if refusedArrived > 0 {
		t.NonStrict("%d messages answered 429 arrived all the same (no AWS source says what a refused message does)", refusedArrived)
	}
	if outOfOrder > 0 {
		t.NonStrict("%d of %d messages arrived after a later one: no AWS source promises in-order delivery (spec §8.3)", outOfOrder, len(order))
	}
	if dups > 0 {
		t.NonStrict("%d duplicate deliveries: no AWS source promises exactly-once delivery (spec §8.3)", dups)
	}
}

// callbackClient is a signed @connections client for the profile's
// WebSocket stage.
func callbackClient(t *conformance.T) *connections.Client {
	c, err := t.Target.Connections(t.Ctx, t.Target.Profile.Target.WebSocketURL, wsConfig(t).Stage)
	t.Expect(err).NotTo(HaveOccurred(), "building the @connections client")
	return c
}

// connected opens a connection and learns its id.
func connected(t *conformance.T) (*wsConn, string) {
	w := dialWS(t, wsConfig(t).Stage)
	return w, w.whoAmI(t)
}

// expectFrame waits for a frame and checks it is want.
func expectFrame(t *conformance.T, w *wsConn, want, what string) {
	t.Expect(w.next(t, t.Target.Profile.Waits.Request, what)).To(Equal(want), what)
}

// expectNoFrame sends a marker through @connections and checks it is the
// next frame: nothing was delivered in between (a bounded, event-based
// "nothing arrived").
func expectNoFrame(t *conformance.T, w *wsConn, c *connections.Client, id, what string) {
	marker := "marker-" + uuid.NewString()
	t.Expect(c.PostToConnection(t.Ctx, id, []byte(marker))).To(Succeed(), "posting the marker")
	t.Expect(w.next(t, t.Target.Profile.Waits.Request, "the marker")).To(Equal(marker), what)
}

var _ = conformance.Register(conformance.Area{
	Name:  "callbacks",
	Title: "WebSocket @connections callbacks",
	Checks: []conformance.Check{
		{
			Name: "CallbacksUnderLoad", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "Many open connections, a steady rate of PostToConnection calls (Vegeta, open model): every callback answered 200 is delivered (spec §8.3, MODEL) and no frame nobody posted arrives; delivery latency is reported. " +
				"Graded NON-STRICT, never failed: duplicate deliveries (no AWS source promises exactly-once), a client's close answered with another code than 1000 or not at all (close codes and the closing handshake UNCONFIRMED for AWS) " +
				"and 429 LimitExceededException answers (a documented rate limit, counted apart; invalid if every callback got one)",
			Needs:    callbackNeeds,
			Scenario: true,
			Test:     callbacksUnderLoad,
		},
		{
			Name: "CallbackEcho", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "A backend's PostToConnection reaches the client: the fixture echoes a message to its sender through @connections",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, _ := connected(t)
				defer w.shut()
				data := "echo-" + uuid.NewString()
				w.send(t, map[string]string{"action": "echo", "data": data})
				expectFrame(t, w, data, "the echo pushed through @connections")
			},
		},
		{
			Name: "CallbackOrdering", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "Callbacks posted one after another to one connection (200 numbered messages, each awaited): every one answered 200 arrives (a 200 is the message accepted for the connection, spec §8.3 MODEL) and no frame nobody posted arrives. " +
				"Graded NON-STRICT, never failed, as no AWS source promises them: order (re:Post QUo2AXrcKYT0arTRwBNjzMdA finds no guarantee in the docs), exactly-once delivery, and posts answered 429 LimitExceededException (a documented rate limit)",
			Needs: callbackNeeds,
			Test:  callbackOrdering,
		},
		{
			Name: "CallbackBroadcast", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "A backend can push to every open connection: each of three clients receives the broadcast once (the fixture broadcasts within the sender's group, chosen on $connect, so other checks' connections are not reached)",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				var ws []*wsConn
				var ids []string
				group := "?group=" + uuid.NewString()
				for range 3 {
					w := dialWSAt(t, t.Target.Profile.Target.WebSocketURL, wsConfig(t).Stage, group)
					defer w.shut()
					ws, ids = append(ws, w), append(ids, w.whoAmI(t))
				}
				data := "broadcast-" + uuid.NewString()
				ws[0].send(t, map[string]string{"action": "broadcast", "data": data})
				for i, w := range ws {
					expectFrame(t, w, data, fmt.Sprintf("client %d receives the broadcast", i))
					expectNoFrame(t, w, callbackClient(t), ids[i], fmt.Sprintf("client %d receives the broadcast once", i))
				}
			},
		},
		{
			Name: "CallbackDelayed", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "A backend can push later, outside any request: a message posted 300 ms after the client's request arrives then",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, _ := connected(t)
				defer w.shut()
				data := "delayed-" + uuid.NewString()
				start := time.Now()
				w.send(t, map[string]any{"action": "delayed", "data": data, "delayMs": 300})
				expectFrame(t, w, data, "the delayed push")
				t.Expect(time.Since(start)).To(BeNumerically(">=", 300*time.Millisecond), "pushed before the backend's delay")
			},
		},
		{
			Name: "ConnectionInfo", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "GetConnection answers 200 with connectedAt, identity.sourceIp, identity.userAgent and lastActiveAt, which moves with client messages",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				before := time.Now().Add(-2 * time.Second) // clock skew between client and gateway
				w, id := connected(t)
				defer w.shut()
				c := callbackClient(t)
				info, err := c.GetConnection(t.Ctx, id)
				t.Expect(err).NotTo(HaveOccurred(), "GetConnection")
				t.Expect(info.ConnectedAt).To(BeTemporally(">=", before), "connectedAt")
				t.Expect(info.ConnectedAt).To(BeTemporally("<=", time.Now().Add(2*time.Second)), "connectedAt")
				t.Expect(net.ParseIP(info.Identity.SourceIP)).NotTo(BeNil(), "identity.sourceIp is an IP address: %q", info.Identity.SourceIP)
				t.Expect(info.Identity.UserAgent).To(Equal("gatecheck-websocket-check"), "identity.userAgent is the handshake's User-Agent")
				t.Expect(info.LastActiveAt).To(BeTemporally(">=", info.ConnectedAt), "lastActiveAt")
				// Timestamps have millisecond resolution: a message in the
				// same millisecond may not move lastActiveAt, so send until
				// one does (bounded).
				t.Eventually(func(g Gomega) {
					w.whoAmI(t)
					later, err := c.GetConnection(t.Ctx, id)
					g.Expect(err).NotTo(HaveOccurred(), "GetConnection")
					g.Expect(later.ConnectedAt).To(BeTemporally("==", info.ConnectedAt), "connectedAt does not move")
					g.Expect(later.LastActiveAt).To(BeTemporally(">", info.LastActiveAt), "lastActiveAt moves when the client sends")
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(5 * time.Millisecond).Should(Succeed())
			},
		},
		{
			Name: "ConnectionDelete", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "DeleteConnection answers 204 and closes the client's connection; afterwards GetConnection and PostToConnection answer 410",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, id := connected(t)
				defer w.shut()
				c := callbackClient(t)
				req, err := c.NewRequest(t.Ctx, http.MethodDelete, id, nil)
				t.Expect(err).NotTo(HaveOccurred())
				resp, err := t.Target.HTTP.Do(req)
				t.Expect(err).NotTo(HaveOccurred(), "DeleteConnection")
				resp.Body.Close()
				t.Expect(resp.StatusCode).To(Equal(http.StatusNoContent), "DeleteConnection answers 204, not 200 (spec §8.3)")
				w.closed(t, t.Target.Profile.Waits.Request, "the deleted connection")
				_, err = c.GetConnection(t.Ctx, id)
				t.Expect(connections.StatusOf(err)).To(Equal(http.StatusGone), "GetConnection after DeleteConnection: %v", err)
				err = c.PostToConnection(t.Ctx, id, []byte("too late"))
				t.Expect(connections.StatusOf(err)).To(Equal(http.StatusGone), "PostToConnection after DeleteConnection: %v", err)
			},
		},
		{
			Name: "CallbackGoneAfterClose", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "Once the client has closed, PostToConnection answers 410 GoneException (keyed on the status: the body may be empty); so does a connection id that never existed",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, id := connected(t)
				w.shut()
				c := callbackClient(t)
				t.Eventually(func() int {
					return connections.StatusOf(c.PostToConnection(t.Ctx, id, []byte("after close")))
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Equal(http.StatusGone))
				err := c.PostToConnection(t.Ctx, "Tm9TdWNoQ29ubg=", []byte("never"))
				t.Expect(connections.StatusOf(err)).To(Equal(http.StatusGone), "PostToConnection to an id that never existed: %v", err)
			},
		},
		{
			Name: "CallbackPayloadLimit", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "PostToConnection takes up to 131,072 bytes; one byte more answers 413 PayloadTooLargeException and delivers nothing",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, id := connected(t)
				defer w.shut()
				c := callbackClient(t)
				err := c.PostToConnection(t.Ctx, id, bytes.Repeat([]byte("x"), connections.MaxMessageBytes+1))
				t.Expect(connections.StatusOf(err)).To(Equal(http.StatusRequestEntityTooLarge), "131,073 bytes: %v", err)
				full := strings.Repeat("y", connections.MaxMessageBytes)
				t.Expect(c.PostToConnection(t.Ctx, id, []byte(full))).To(Succeed(), "131,072 bytes")
				got := w.next(t, t.Target.Profile.Waits.Request, "the message at the limit")
				t.Expect(len(got)).To(Equal(len(full)), "the next frame is the message at the limit, whole (the one over it was not delivered)")
				t.Expect(got == full).To(BeTrue())
			},
		},
		{
			Name: "CallbackUnsigned", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "@connections calls must be SigV4-signed: an unsigned PostToConnection answers 403 and delivers nothing",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, id := connected(t)
				defer w.shut()
				signed := callbackClient(t)
				unsigned := *signed
				unsigned.Credentials = nil
				err := unsigned.PostToConnection(t.Ctx, id, []byte("unsigned"))
				t.Expect(connections.StatusOf(err)).To(Equal(http.StatusForbidden), "unsigned PostToConnection: %v", err)
				expectNoFrame(t, w, signed, id, "the unsigned message was not delivered")
			},
		},
		{
			Name: "CallbackPercentEncodedPath", Feature: FeatureCallbacks, Section: "§8.3",
			Description: "The @connections path is accepted percent-encoded, as many clients send it (/%40connections/{id with %3D})",
			Needs:       callbackNeeds,
			Test: func(t *conformance.T) {
				w, id := connected(t)
				defer w.shut()
				c := callbackClient(t)
				data := "encoded-" + uuid.NewString()
				url := strings.Replace(c.URL(id), "/@connections/", "/%40connections/", 1)
				r := t.Do(conformance.Request{Method: http.MethodPost, URL: url, Body: strings.NewReader(data), Sign: true,
					Header: http.Header{"Content-Type": {"application/octet-stream"}}})
				t.Expect(r.Status).To(Equal(http.StatusOK), "POST %s: %s", url, r)
				expectFrame(t, w, data, "the message posted to the percent-encoded path")
			},
		},
	},
})
