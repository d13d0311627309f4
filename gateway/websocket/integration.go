package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// eventKind is $context.eventType.
type eventKind string

const (
	eventConnect    eventKind = "CONNECT"
	eventMessage    eventKind = "MESSAGE"
	eventDisconnect eventKind = "DISCONNECT"
)

// event is one integration call's input.
type event struct {
	kind      eventKind
	routeKey  string
	requestID string
	messageID string    // MESSAGE only
	body      []byte    // the message as received; empty for CONNECT and DISCONNECT
	at        time.Time // $context.requestTimeEpoch
}

// outcome is how an integration call ended, which decides what the client
// sees.
type outcome int

const (
	outcomeOK        outcome = iota // 2xx
	outcomeRejected                 // non-2xx status
	outcomeFailed                   // not reachable, bad endpoint, response too large
	outcomeTimeout                  // timeoutInMillis passed
	outcomeCancelled                // the gateway is closing
)

type result struct {
	outcome outcome
	status  int
	header  http.Header
	body    []byte
	err     error
}

// errIntegrationTimeout is the cancel cause when timeoutInMillis passes.
var errIntegrationTimeout = errors.New("integration timeout")

// endpoint is an integration URI with the stage's variables substituted,
// rendered once per stage at New (stage variables do not change after).
type endpoint struct {
	url *url.URL
	err error // an unusable URI, reported on each call
}

func renderEndpoint(in *Integration, vars map[string]string) endpoint {
	// An undefined variable renders as "" (spec §7).
	raw := stageVarRefRE.ReplaceAllStringFunc(in.URI, func(m string) string {
		return vars[m[len("${stageVariables."):len(m)-1]]
	})
	u, err := url.Parse(raw)
	if err == nil && u.Host == "" {
		err = errors.New("no host")
	}
	if err != nil {
		return endpoint{err: fmt.Errorf("integration %s: invalid endpoint %q: %w", in.Name, raw, err)}
	}
	return endpoint{url: u}
}

// invoke calls an integration under its timeout, measured on the gateway's
// clock so tests can drive it. Cancelling parent (Close) yields
// outcomeCancelled.
func (g *Gateway) invoke(parent context.Context, c *conn, in *Integration, ev *event) result {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	timer := g.clock.AfterFunc(in.Timeout, func() { cancel(errIntegrationTimeout) })
	res := g.call(ctx, c, in, ev)
	timer.Stop()
	switch {
	case errors.Is(context.Cause(ctx), errIntegrationTimeout):
		res.outcome = outcomeTimeout
	case parent.Err() != nil:
		res.outcome = outcomeCancelled
	}
	if res.outcome != outcomeOK {
		g.log.Debug("websocket: integration call did not succeed", "connectionId", c.id, "eventType", ev.kind,
			"routeKey", ev.routeKey, "requestId", ev.requestID, "status", res.status, "err", res.err)
	}
	return res
}

// call sends the integration request and buffers the response.
func (g *Gateway) call(ctx context.Context, c *conn, in *Integration, ev *event) result {
	req, err := c.integrationRequest(ctx, in, ev)
	if err != nil {
		return result{outcome: outcomeFailed, err: err}
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return result{outcome: outcomeFailed, err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntegrationResponseBytes+1))
	switch {
	case err != nil:
		return result{outcome: outcomeFailed, status: resp.StatusCode, err: err}
	case len(body) > maxIntegrationResponseBytes:
		return result{outcome: outcomeFailed, status: resp.StatusCode, err: errors.New("integration response over 10 MB")}
	}
	res := result{outcome: outcomeOK, status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.outcome = outcomeRejected
	}
	return res
}

// integrationRequest builds the HTTP request for an event: the message as
// the body, and only the mapped headers and query parameters.
func (c *conn) integrationRequest(ctx context.Context, in *Integration, ev *event) (*http.Request, error) {
	ep := c.stage.endpoints[in.Name]
	if ep.err != nil {
		return nil, ep.err
	}
	u := *ep.url
	var query []string
	header := http.Header{}
	for _, p := range in.params {
		v, ok := c.resolve(p, ev)
		switch {
		case !ok:
			// An absent source leaves the parameter out.
		case p.toQuery:
			query = append(query, url.QueryEscape(p.name)+"="+url.QueryEscape(v))
		default:
			header.Set(p.name, v)
		}
	}
	if len(query) > 0 {
		if u.RawQuery != "" {
			query = append([]string{u.RawQuery}, query...)
		}
		u.RawQuery = strings.Join(query, "&")
	}
	var body io.Reader = http.NoBody
	if len(ev.body) > 0 {
		body = bytes.NewReader(ev.body)
		// Messages are text (binary frames close the connection); AWS
		// passes them through as JSON by default.
		header.Set("Content-Type", "application/json")
	}
	req, err := http.NewRequestWithContext(ctx, in.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header = header
	return req, nil
}

// resolve evaluates one requestParameters source for an event; ok is false
// when the value does not exist (the parameter is then not sent).
func (c *conn) resolve(p paramMapping, ev *event) (string, bool) {
	switch p.source {
	case fromLiteral:
		return p.key, true
	case fromStageVariable:
		v, ok := c.stage.Variables[p.key]
		return v, ok
	case fromHeader:
		vs := c.header.Values(p.key)
		if len(vs) == 0 {
			return "", false
		}
		return strings.Join(vs, ","), true
	case fromQuery:
		vs, ok := c.query[p.key]
		if !ok || len(vs) == 0 {
			return "", false
		}
		return vs[0], true
	}
	switch p.key { // context.<name>
	case "connectionId":
		return c.id, true
	case "eventType":
		return string(ev.kind), true
	case "routeKey":
		return ev.routeKey, true
	case "requestId", "extendedRequestId":
		return ev.requestID, true
	case "messageId":
		return ev.messageID, ev.kind == eventMessage
	case "messageDirection":
		return "IN", true
	case "domainName":
		return c.domainName, true
	case "stage":
		return c.stage.Name, true
	case "apiId":
		return c.g.api.ID(), true
	case "connectedAt":
		return strconv.FormatInt(c.connectedAt.UnixMilli(), 10), true
	case "requestTimeEpoch":
		return strconv.FormatInt(ev.at.UnixMilli(), 10), true
	case "identity.sourceIp":
		return c.sourceIP, true
	case "identity.userAgent":
		return c.userAgent, true
	}
	return "", false
}

// disconnect runs the $disconnect integration after the socket closed:
// best effort (spec §8.2), not cancelled by Close, bounded by its timeout.
// disconnectGrace bounds a $disconnect call once the gateway is closing.
const disconnectGrace = 2 * time.Second

func (g *Gateway) disconnect(c *conn) {
	route := g.routes[RouteDisconnect]
	if route == nil {
		return
	}
	// $disconnect runs after the connection has ended, on its own
	// context; once Close has begun it gets at most disconnectGrace of
	// real time, so a hanging backend cannot hold Close (whose clock may
	// be a fake one that never fires the integration timeout).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := context.AfterFunc(g.ctx, func() {
		select {
		case <-time.After(disconnectGrace):
			cancel()
		case <-ctx.Done():
		}
	})
	defer stop()
	res := g.invoke(ctx, c, route.Integration, &event{
		kind: eventDisconnect, routeKey: RouteDisconnect, requestID: newID(), at: g.clock.Now(),
	})
	g.log.Debug("websocket: disconnected", "connectionId", c.id, "disconnectStatus", res.status)
}
