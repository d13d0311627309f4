package suites_test

// Deliberately wrong WebSocket gateways: the reference WebSocket gateway
// built from an edited API or with other limits, or wrapped by a handler
// that changes its @connections API, or fronted by a relay that rewrites
// the frames it sends.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/websocket"
	"github.com/gatecheck/gatecheck/runner"
)

// wsGateway builds a reference WebSocket gateway from an edited API
// (file: one of the fixtures' WebSocket APIs) with edited options.
func wsGateway(t *testing.T, file string, edit func(*websocket.API), opts websocket.Options) *websocket.Gateway {
	e := getEnv(t)
	api, err := runner.LoadReferenceWebSocket(file)
	if err != nil {
		t.Fatal(err)
	}
	api.SetVariable("backend", strings.TrimPrefix(e.embedded.FixtureURL, "http://"))
	if edit != nil {
		edit(api)
	}
	opts.Verifier = &sigv4.Verifier{Credentials: []sigv4.Credential{gateway.DefaultCredential}}
	gw, err := websocket.New(api, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	return gw
}

func mainWS(t *testing.T, edit func(*websocket.API), opts websocket.Options) http.Handler {
	return wsGateway(t, fixtures.ReferenceWebSocketAPI, edit, opts)
}

// serveWS serves a WebSocket API and returns its ws:// URL. Cleanups run
// last-in first-out: the gateway (registered earlier) closes its hijacked
// connections after this server stops taking new ones.
func serveWS(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// isConnections reports an @connections call, however its path is encoded.
func isConnections(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return strings.Contains(p, "/@connections/") || strings.Contains(p, "/%40connections/")
}

// callbacksRewritten wraps a WebSocket gateway's @connections API.
func callbacksRewritten(next http.Handler, edit func(w http.ResponseWriter, r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isConnections(r) && edit(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onConnections rewrites the recorded answers of @connections calls only:
// a handshake cannot go through a recorder (it hijacks the connection).
func onConnections(next http.Handler, edit func(r *http.Request, rec *httptest.ResponseRecorder)) http.Handler {
	rewritten := recorded(next, edit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isConnections(r) {
			rewritten.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// relay fronts a WebSocket API with a frame-relaying proxy: each client
// connection gets its own upstream connection; frames from the gateway pass
// through rewrite (which may drop them or close the client); @connections
// calls are reverse-proxied with their Host kept, so signatures still verify.
func relay(t *testing.T, upstreamWS string, rewrite func(client *gws.Conn, frame []byte) ([]byte, bool)) http.Handler {
	return relayWith(t, upstreamWS, relayOptions{rewrite: rewrite})
}

// relayBoth is relay that can also rewrite the client's frames (their
// type and data) before the gateway sees them; toGateway nil passes them
// on.
func relayBoth(t *testing.T, upstreamWS string, rewrite func(client *gws.Conn, frame []byte) ([]byte, bool), toGateway func(typ int, msg []byte) (int, []byte)) http.Handler {
	return relayWith(t, upstreamWS, relayOptions{rewrite: rewrite, toGateway: toGateway})
}

// relayOptions say how a relay changes the traffic it passes.
type relayOptions struct {
	rewrite   func(client *gws.Conn, frame []byte) ([]byte, bool) // the gateway's frames; nil passes them on
	toGateway func(typ int, msg []byte) (int, []byte)             // the client's frames; nil passes them on
	// dropOnClientClose answers the client's close frame by dropping the
	// connection, with no close frame in return.
	dropOnClientClose bool
}

func relayWith(t *testing.T, upstreamWS string, o relayOptions) http.Handler {
	rewrite, toGateway := o.rewrite, o.toGateway
	up, _ := url.Parse("http" + strings.TrimPrefix(upstreamWS, "ws"))
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.Out.Host = pr.In.Host
	}}
	upgrader := gws.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !gws.IsWebSocketUpgrade(r) {
			proxy.ServeHTTP(w, r)
			return
		}
		// The client's handshake as it came, signature included: the Host
		// it signed stays the Host the gateway verifies.
		h := http.Header{"Host": {r.Host}}
		for _, k := range []string{"X-Api-Key", "User-Agent", "Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
			if v := r.Header.Get(k); v != "" {
				h.Set(k, v)
			}
		}
		server, resp, err := gws.DefaultDialer.Dial(upstreamWS+r.URL.RequestURI(), h)
		if err != nil {
			status := http.StatusBadGateway
			if resp != nil {
				status = resp.StatusCode
			}
			http.Error(w, "upstream handshake failed", status)
			return
		}
		client, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			server.Close()
			return
		}
		if o.dropOnClientClose {
			client.SetCloseHandler(func(int, string) error { return client.UnderlyingConn().Close() })
		}
		wg.Add(2)
		go func() { // client → gateway
			defer wg.Done()
			defer server.Close()
			for {
				typ, msg, err := client.ReadMessage()
				if err != nil {
					_ = server.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(time.Second))
					return
				}
				if toGateway != nil {
					typ, msg = toGateway(typ, msg)
				}
				if server.WriteMessage(typ, msg) != nil {
					return
				}
			}
		}()
		go func() { // gateway → client
			defer wg.Done()
			defer client.Close()
			for {
				typ, msg, err := server.ReadMessage()
				if err != nil {
					code := gws.CloseNormalClosure
					if ce, ok := err.(*gws.CloseError); ok {
						code = ce.Code
					}
					_ = client.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
					return
				}
				out, ok := msg, true
				if rewrite != nil {
					out, ok = rewrite(client, msg)
				}
				if ok && client.WriteMessage(typ, out) != nil {
					return
				}
			}
		}()
	})
}

// inBandError reports a frame that is a gateway error frame.
func inBandError(frame []byte) (map[string]string, bool) {
	var d map[string]string
	if json.Unmarshal(frame, &d) != nil {
		return nil, false
	}
	_, ok := d["message"]
	return d, ok && d["routeKey"] == ""
}

var wsDeviations = []deviation{
	{
		name: "drops 1 in 10 callbacks",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return callbacksRewritten(mainWS(t, nil, websocket.Options{}), func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodPost && rand.IntN(10) == 0 {
					w.WriteHeader(http.StatusOK) // accepted, never delivered
					return true
				}
				return false
			}), nil
		},
		fails:  []string{"CallbackOrdering", "CallbacksUnderLoad"},
		serial: true,
	},
	{
		name: "DeleteConnection answers 204 but never closes",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return callbacksRewritten(mainWS(t, nil, websocket.Options{}), func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodDelete {
					w.WriteHeader(http.StatusNoContent)
					return true
				}
				return false
			}), nil
		},
		fails: []string{"ConnectionDelete"},
	},
	{
		name: "answers 404 instead of 410 for gone connections",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return onConnections(mainWS(t, nil, websocket.Options{}), func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusGone {
					rec.Code = http.StatusNotFound
				}
			}), nil
		},
		fails: []string{"CallbackGoneAfterClose", "ConnectionDelete"},
	},
	{
		name: "unsigned callbacks accepted",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			gw := mainWS(t, nil, websocket.Options{})
			return callbacksRewritten(gw, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("Authorization") == "" && r.Method == http.MethodPost {
					signed := signedLike(t, r)
					gw.ServeHTTP(w, signed)
					return true
				}
				return false
			}), nil
		},
		fails: []string{"CallbackUnsigned"},
	},
	{
		name: "413 for a message at the 131,072-byte limit",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return callbacksRewritten(mainWS(t, nil, websocket.Options{}), func(w http.ResponseWriter, r *http.Request) bool {
				if r.ContentLength >= 131072 {
					w.Header().Set("X-Amzn-ErrorType", "PayloadTooLargeException")
					gatewayError(w, http.StatusRequestEntityTooLarge, "Request entity too large")
					return true
				}
				return false
			}), nil
		},
		fails: []string{"CallbackPayloadLimit"},
	},
	{
		name: "percent-encoded @connections paths refused",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return callbacksRewritten(mainWS(t, nil, websocket.Options{}), func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.EscapedPath(), "%40connections") {
					gatewayError(w, http.StatusForbidden, "Missing Authentication Token")
					return true
				}
				return false
			}), nil
		},
		fails: []string{"CallbackPercentEncodedPath"},
	},
	{
		name: "GetConnection's lastActiveAt never moves",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return onConnections(mainWS(t, nil, websocket.Options{}), func(r *http.Request, rec *httptest.ResponseRecorder) {
				if r.Method != http.MethodGet || rec.Code != http.StatusOK {
					return
				}
				var d map[string]any
				if json.Unmarshal(rec.Body.Bytes(), &d) != nil {
					return
				}
				d["lastActiveAt"] = d["connectedAt"]
				b, _ := json.Marshal(d)
				rec.Body.Reset()
				rec.Body.Write(b)
			}), nil
		},
		fails: []string{"ConnectionInfo"},
	},
	{
		name: "callbacks delivered only to the oldest connection",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			var mu sync.Mutex
			first := ""
			return callbacksRewritten(mainWS(t, nil, websocket.Options{}), func(w http.ResponseWriter, r *http.Request) bool {
				id := r.URL.EscapedPath()[strings.LastIndex(r.URL.EscapedPath(), "/")+1:]
				mu.Lock()
				defer mu.Unlock()
				if first == "" {
					first = id
				}
				if r.Method == http.MethodPost && id != first {
					w.WriteHeader(http.StatusOK)
					return true
				}
				return false
			}), nil
		},
		fails: []string{"CallbackBroadcast", "CallbackEcho", "CallbackDelayed"},
	},
	{
		name: "no $connect integration and no API key on $connect",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return mainWS(t, func(api *websocket.API) {
				delete(api.Routes, websocket.RouteConnect)
			}, websocket.Options{}), nil
		},
		fails: []string{"WebSocketConnect", "WebSocketConnectRejected", "WebSocketAPIKeyOnConnectOnly"},
	},
	{
		// (A $disconnect never fired is best effort on AWS: NON-STRICT,
		// TestMissingDisconnectIsNonStrict.)
		name: "custom routes ignored",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return mainWS(t, func(api *websocket.API) {
				delete(api.Routes, "reply")
			}, websocket.Options{}), nil
		},
		fails: []string{"WebSocketCustomRoute"},
	},
	{
		name: "$disconnect invoked with eventType MESSAGE",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			// The integration requests go through a proxy that relabels
			// DISCONNECT, as a gateway with a wrong $context.eventType would.
			fixture, _ := url.Parse(getEnv(t).embedded.FixtureURL)
			proxy := httputil.NewSingleHostReverseProxy(fixture)
			relabel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(backend.HeaderEventType) == backend.EventDisconnect {
					r.Header.Set(backend.HeaderEventType, backend.EventMessage)
				}
				proxy.ServeHTTP(w, r)
			}))
			t.Cleanup(relabel.Close)
			return mainWS(t, func(api *websocket.API) {
				api.SetVariable("backend", strings.TrimPrefix(relabel.URL, "http://"))
			}, websocket.Options{}), nil
		},
		fails: []string{"WebSocketDisconnect", "WebSocketIdleTimeout"},
	},
	{
		name: "no $default route on the main API and a $default on the other",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			main := mainWS(t, func(api *websocket.API) { delete(api.Routes, websocket.RouteDefault) }, websocket.Options{})
			noDefault := wsGateway(t, fixtures.ReferenceWebSocketNoDefaultAPI, func(api *websocket.API) {
				api.Routes[websocket.RouteDefault] = api.Routes["reply"]
			}, websocket.Options{})
			return main, noDefault
		},
		fails: []string{"WebSocketDefaultRoute", "WebSocketNoRoute"},
	},
	{
		name: "in-band errors without the connection id",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			strip := func(_ *gws.Conn, frame []byte) ([]byte, bool) {
				if d, ok := inBandError(frame); ok {
					delete(d, "connectionId")
					b, _ := json.Marshal(d)
					return b, true
				}
				return frame, true
			}
			return relay(t, serveWS(t, mainWS(t, nil, websocket.Options{})), strip),
				relay(t, serveWS(t, wsGateway(t, fixtures.ReferenceWebSocketNoDefaultAPI, nil, websocket.Options{})), strip)
		},
		fails: []string{"WebSocketIntegrationError", "WebSocketNoRoute", "WebSocketIntegrationTimeout"},
	},
	{
		name: "the connection closed after an in-band error",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return relay(t, serveWS(t, mainWS(t, nil, websocket.Options{})), func(client *gws.Conn, frame []byte) ([]byte, bool) {
				if _, ok := inBandError(frame); ok {
					_ = client.WriteMessage(gws.TextMessage, frame)
					_ = client.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseInternalServerErr, ""), time.Now().Add(time.Second))
					_ = client.Close()
					return nil, false
				}
				return frame, true
			}), nil
		},
		fails: []string{"WebSocketIntegrationError", "WebSocketIntegrationTimeout"},
	},
	{
		name: "integration timeout three times too long",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return mainWS(t, func(api *websocket.API) {
				api.Integrations["slow"].Timeout = 3 * time.Second
			}, websocket.Options{}), nil
		},
		fails: []string{"WebSocketIntegrationTimeout"},
	},
	{
		name: "message limit 64 KB and frame limit 64 KB",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return mainWS(t, nil, websocket.Options{MaxMessageBytes: 64 << 10, MaxFrameBytes: 64 << 10}), nil
		},
		fails: []string{"WebSocketMessageTooBig", "WebSocketFrameTooBig"},
	},
	{
		name: "binary frames taken as text",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			asText := func(typ int, msg []byte) (int, []byte) {
				if typ == gws.BinaryMessage {
					return gws.TextMessage, msg
				}
				return typ, msg
			}
			return relayBoth(t, serveWS(t, mainWS(t, nil, websocket.Options{})), nil, asText), nil
		},
		fails: []string{"WebSocketBinaryFrameRejected"},
	},
	{
		name: "$connect without IAM authorization",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return nil, wsGateway(t, fixtures.ReferenceWebSocketNoDefaultAPI, func(api *websocket.API) {
				api.Routes[websocket.RouteConnect].AuthorizationType = websocket.AuthorizationNone
			}, websocket.Options{})
		},
		fails: []string{"WebSocketIAMConnect"},
	},
	{
		name: "WebSocket metrics never exported",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			// Gateways with no registry: the target's metricsURL (the
			// deviation's REST gateway) shows no WebSocket counters.
			return mainWS(t, nil, websocket.Options{}), wsGateway(t, fixtures.ReferenceWebSocketNoDefaultAPI, nil, websocket.Options{})
		},
		fails: []string{"WebSocketMetrics"},
	},
	{
		name: "idle timeout and maximum duration longer than configured",
		websocket: func(t *testing.T) (http.Handler, http.Handler) {
			return mainWS(t, func(api *websocket.API) {
				api.Stages["short"].IdleTimeout = 3 * time.Second
				api.Stages["short"].MaxConnectionDuration = 6 * time.Second
			}, websocket.Options{}), nil
		},
		fails: []string{"WebSocketIdleTimeout", "WebSocketMaxDuration"},
	},
}

// signedLike returns a copy of an unsigned @connections request, signed
// with the reference credential (the deviation accepts it as if signed).
func signedLike(t *testing.T, r *http.Request) *http.Request {
	body, _ := io.ReadAll(r.Body)
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.URL.Scheme, req.URL.Host = "http", r.Host // the signer reads them from the URL
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: gateway.DefaultCredential.AccessKeyID, SecretAccessKey: gateway.DefaultCredential.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
		t.Error(err) // the request stays unsigned: the gateway refuses it
	}
	return req
}

func init() { deviations = append(deviations, wsDeviations...) }
