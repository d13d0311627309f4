package conformance

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/connections"
)

// NeedWebSocket marks a check that opens WebSocket connections
// (target.websocketURL).
const NeedWebSocket = "websocket"

// NeedWebSocketNoDefault marks a check that needs the WebSocket API without
// a $default route (target.websocketNoDefaultURL).
const NeedWebSocketNoDefault = "websocket-nodefault"

// NeedCallbacks marks a check that calls the @connections API: it signs
// with the profile's credentials.
const NeedCallbacks = "callbacks"

func (t *Target) unmetWebSocket(need string) string {
	tg := t.Profile.Target
	switch need {
	case NeedWebSocket:
		if tg.WebSocketURL == "" {
			return "needs a WebSocket API; set target.websocketURL (without the stage)"
		}
	case NeedWebSocketNoDefault:
		if tg.WebSocketNoDefaultURL == "" {
			return "needs a WebSocket API without a $default route; set target.websocketNoDefaultURL"
		}
	case NeedCallbacks:
		if tg.Credentials == "none" || tg.Credentials == "" {
			return "needs signed @connections calls; set target.credentials"
		}
	}
	return ""
}

// WebSocketStageURL is {base}/{stage}: what a client dials.
func WebSocketStageURL(base, stage string) string {
	return strings.TrimSuffix(base, "/") + "/" + stage
}

// CallbackEndpoint is the @connections base of a WebSocket stage: the
// stage URL with http(s) for ws(s) (spec §8.3).
func CallbackEndpoint(base, stage string) string {
	u := WebSocketStageURL(base, stage)
	return "http" + strings.TrimPrefix(u, "ws")
}

// Dialer is the WebSocket dialer checks use: no environment proxy, a
// bounded handshake, small buffers.
func (t *Target) Dialer() *gws.Dialer {
	return &gws.Dialer{
		Proxy:            nil,
		HandshakeTimeout: t.Profile.Waits.Request,
		NetDialContext:   (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
}

// DialWebSocket opens a connection to {base}/{stage}{query} with the
// profile's headers plus header.
func (t *Target) DialWebSocket(ctx context.Context, base, stage, query string, header http.Header) (*gws.Conn, *http.Response, error) {
	h := http.Header{}
	for k, v := range t.Profile.Target.Headers {
		h.Set(k, v)
	}
	for k, v := range header {
		h[k] = v
	}
	return t.Dialer().DialContext(ctx, WebSocketStageURL(base, stage)+query, h)
}

// SignHandshake adds a SigV4 signature (service execute-api, the
// profile's credentials) for a WebSocket handshake to {base}/{stage}{query}
// to h, as an IAM-authorized client does: the signed request is the GET of
// the stage URL with the http(s) scheme.
func (t *Target) SignHandshake(ctx context.Context, base, stage, query string, h http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, CallbackEndpoint(base, stage)+query, nil)
	if err != nil {
		return err
	}
	if err := t.sign(ctx, req); err != nil {
		return err
	}
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := req.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return nil
}

// Connections is an @connections client for a WebSocket stage, signing
// with the profile's credentials (unsigned when it has none).
func (t *Target) Connections(ctx context.Context, base, stage string) (*connections.Client, error) {
	c := &connections.Client{Endpoint: CallbackEndpoint(base, stage), HTTP: t.HTTP, Region: t.Profile.Target.Region}
	if t.Profile.Target.Credentials != "none" && t.Profile.Target.Credentials != "" {
		cfg, err := t.AWSConfig(ctx)
		if err != nil {
			return nil, err
		}
		c.Credentials = cfg.Credentials
	}
	return c, nil
}
