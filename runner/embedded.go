package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/websocket"
	"github.com/gatecheck/gatecheck/serving"
)

// Embedded is the reference gateway and the fixture backend running
// in-process on loopback ephemeral ports.
type Embedded struct {
	GatewayURL    string
	FixtureURL    string
	ManagementURL string // the emulated control-plane API
	APIID         string // the API's id in management paths
	Gateway       *gateway.Gateway
	Backend       *backend.Backend
	// The WebSocket APIs (ws://…, without the stage): the main one and one
	// without a $default route. Their @connections APIs are on the same
	// addresses, as on AWS.
	WebSocketURL, WebSocketNoDefaultURL string
	WebSockets                          []*websocket.Gateway

	limits  map[serving.Kind]serving.Limits
	log     *slog.Logger
	servers []*http.Server
	done    []chan struct{}
}

// EmbeddedOptions tune StartEmbeddedWith.
type EmbeddedOptions struct {
	Logger *slog.Logger // nil: discard
	// Limits replace serving.Defaults for the listeners of a kind (REST,
	// Management, WebSocket, Fixture); kinds not listed keep the defaults.
	Limits map[serving.Kind]serving.Limits
}

// LoadReference loads the reference API and its stages from the files
// built into the binary.
func LoadReference() (*restapi.API, *restapi.StageFile, error) {
	apiData, err := fixtures.Files.ReadFile(fixtures.ReferenceAPI)
	if err != nil {
		return nil, nil, err
	}
	api, err := restapi.Load("embedded:"+fixtures.ReferenceAPI, apiData)
	if err != nil {
		return nil, nil, err
	}
	stageData, err := fixtures.Files.ReadFile(fixtures.ReferenceStages)
	if err != nil {
		return nil, nil, err
	}
	sf, err := restapi.LoadStages("embedded:"+fixtures.ReferenceStages, stageData)
	return api, sf, err
}

// LoadReferenceWebSocket loads a reference WebSocket API built into the binary.
func LoadReferenceWebSocket(name string) (*websocket.API, error) {
	data, err := fixtures.Files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return websocket.Load("embedded:"+name, data)
}

// StartEmbedded starts the fixture and the reference gateway wired to it,
// with the default server limits.
func StartEmbedded(logger *slog.Logger) (*Embedded, error) {
	return StartEmbeddedWith(EmbeddedOptions{Logger: logger})
}

// StartEmbeddedWith starts the fixture and the reference gateway wired to it.
func StartEmbeddedWith(opts EmbeddedOptions) (*Embedded, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for k, l := range opts.Limits {
		if err := l.Validate(""); err != nil {
			return nil, fmt.Errorf("embedded: limits of server kind %d: %w", k, err)
		}
	}
	api, sf, err := LoadReference()
	if err != nil {
		return nil, err
	}
	// The WebSocket APIs' addresses come first: they are the fixture's
	// only callback endpoints.
	e := &Embedded{limits: opts.Limits, log: logger}
	wsListeners := make([]net.Listener, 2)
	callbacks := make([]string, len(wsListeners))
	for i := range wsListeners {
		if wsListeners[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			for _, ln := range wsListeners[:i] {
				_ = ln.Close()
			}
			return nil, fmt.Errorf("embedded: listen on loopback: %w", err)
		}
		callbacks[i] = "http://" + wsListeners[i].Addr().String()
	}
	defer func() { // listeners not handed to a server (after an error)
		for _, ln := range wsListeners {
			if ln != nil {
				_ = ln.Close()
			}
		}
	}()
	e.Backend = backend.New(backend.Options{Logger: logger,
		// The fixture pushes to WebSocket clients through @connections,
		// signing as the reference gateway's built-in identity.
		CallbackCredentials: credentials.NewStaticCredentialsProvider(gateway.DefaultCredential.AccessKeyID, gateway.DefaultCredential.SecretAccessKey, ""),
		CallbackRegion:      "us-east-1",
		CallbackEndpoints:   callbacks,
	})
	fixtureAddr, err := e.serve(e.Backend, serving.Fixture)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.FixtureURL = "http://" + fixtureAddr
	sf.SetVariable("backend", fixtureAddr)
	e.Gateway, err = gateway.New(api, sf, gateway.Options{LambdaEndpoint: e.FixtureURL})
	if err != nil {
		e.Close()
		return nil, err
	}
	gwAddr, err := e.serve(e.Gateway, serving.REST)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.GatewayURL, e.APIID = "http://"+gwAddr, api.ID()
	mgmtAddr, err := e.serve(e.Gateway.Management(), serving.Management)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.ManagementURL = "http://" + mgmtAddr
	for i, ws := range []struct {
		file string
		url  *string
	}{{fixtures.ReferenceWebSocketAPI, &e.WebSocketURL}, {fixtures.ReferenceWebSocketNoDefaultAPI, &e.WebSocketNoDefaultURL}} {
		if err := e.serveWebSocket(ws.file, fixtureAddr, logger, wsListeners[i]); err != nil {
			e.Close()
			return nil, err
		}
		*ws.url = "ws://" + wsListeners[i].Addr().String()
		wsListeners[i] = nil // the server owns it
	}
	return e, nil
}

// serveWebSocket starts a reference WebSocket API integrated with the
// fixture on ln.
func (e *Embedded) serveWebSocket(file, fixtureAddr string, logger *slog.Logger, ln net.Listener) error {
	api, err := LoadReferenceWebSocket(file)
	if err != nil {
		return err
	}
	api.SetVariable("backend", fixtureAddr)
	gw, err := websocket.New(api, websocket.Options{Logger: logger, Registry: e.Gateway.Metrics(),
		Verifier: &sigv4.Verifier{Credentials: []sigv4.Credential{gateway.DefaultCredential}}})
	if err != nil {
		return err
	}
	e.WebSockets = append(e.WebSockets, gw)
	e.serveOn(ln, gw, serving.WebSocket)
	return nil
}

// serve serves h on a new loopback listener and returns its address.
func (e *Embedded) serve(h http.Handler, kind serving.Kind) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("embedded: listen on loopback: %w", err)
	}
	e.serveOn(ln, h, kind)
	return ln.Addr().String(), nil
}

// serveOn serves h on ln with the limits of its kind until Close.
func (e *Embedded) serveOn(ln net.Listener, h http.Handler, kind serving.Kind) {
	limits, ok := e.limits[kind]
	if !ok {
		limits = serving.Defaults(kind)
	}
	srv := serving.NewServer(h, limits, e.log)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := serving.Serve(srv, ln, limits); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("embedded server stopped", "err", err)
		}
	}()
	e.servers = append(e.servers, srv)
	e.done = append(e.done, done)
}

// Close stops both servers and waits for them.
func (e *Embedded) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// WebSocket connections are hijacked: Shutdown does not wait for them,
	// the WebSocket gateways close them (and fire $disconnect) first.
	for _, ws := range e.WebSockets {
		ws.Close()
	}
	for i := len(e.servers) - 1; i >= 0; i-- {
		if err := e.servers[i].Shutdown(ctx); err != nil {
			_ = e.servers[i].Close()
		}
		<-e.done[i]
	}
	if e.Gateway != nil {
		e.Gateway.Close()
	}
	if e.Backend != nil {
		_ = e.Backend.Close()
	}
}
