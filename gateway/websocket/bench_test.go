package websocket

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
)

// benchAPI has no $connect or $disconnect route, so the benchmarks measure
// the gateway and not an integration backend.
const benchAPI = `
name: bench
protocolType: WEBSOCKET
routeSelectionExpression: $request.body.action
integrations:
  backend: {integrationType: HTTP, integrationMethod: POST, integrationUri: 'http://${stageVariables.backend}/ws/events'}
routes:
  $default: {target: backend}
stages:
  ws: {stageVariables: {backend: 127.0.0.1:9}}
`

func newBenchGateway(b *testing.B) (*Gateway, *httptest.Server) {
	b.Helper()
	api, err := Load("bench.yaml", []byte(benchAPI))
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(api, Options{Verifier: newVerifier()})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	b.Cleanup(func() { gw.Close(); srv.Close() })
	return gw, srv
}

// onlyConnection returns the id of the gateway's single connection.
func onlyConnection(b *testing.B, gw *Gateway) string {
	b.Helper()
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for id := range gw.conns {
		return id
	}
	b.Fatal("no connection")
	return ""
}

// BenchmarkCallbackDelivery measures one PostToConnection, from the signed
// POST leaving the backend's HTTP client to the frame read by the
// WebSocket client, over loopback. The request is signed once (a
// signature stays valid for 15 minutes) so the client's signing cost is
// left out; the gateway still verifies every call. Allocations include
// both clients'.
func BenchmarkCallbackDelivery(b *testing.B) {
	gw, srv := newBenchGateway(b)
	ws, _, err := (&gws.Dialer{HandshakeTimeout: wait}).Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	id := onlyConnection(b, gw)
	body := bytes.Repeat([]byte("m"), 256)
	signed := newCallRequest(b, srv.URL, http.MethodPost, "ws", id, body)
	sign(b, signed, body, testCredential.secret)
	transport := &http.Transport{MaxIdleConnsPerHost: 1}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := signed.Clone(signed.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST: %d", resp.StatusCode)
		}
		if _, data, err := ws.ReadMessage(); err != nil || len(data) != len(body) {
			b.Fatalf("frame of %d bytes: %v", len(data), err)
		}
	}
}

// BenchmarkIdleConnections opens GATECHECK_WS_CONNS idle connections
// (default 1000) and reports the gateway's memory per connection:
// HeapInuse+StackInuse after GC, before and after, over N. The clients
// are bare TCP sockets that did the handshake by hand, so the figure holds
// little more than the gateway's side (plus each client's net.TCPConn).
// Run it once per measurement:
//
//	GATECHECK_WS_CONNS=9000 go test -run '^$' -bench IdleConnections -benchtime 1x ./gateway/websocket/
//
// Both ends live in this process, so N connections need 2N file
// descriptors: 10000 needs `ulimit -n` above 20000 (this machine's hard
// limit is 20000, so at most about 9900 here).
func BenchmarkIdleConnections(b *testing.B) {
	n := 1000
	if s := os.Getenv("GATECHECK_WS_CONNS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n <= 0 {
			b.Fatalf("GATECHECK_WS_CONNS=%q is not a positive number", s)
		}
	}
	gw, srv := newBenchGateway(b)
	addr := srv.Listener.Addr().String()
	var perConn, heap, stack, goroutines float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		clients := make([]net.Conn, 0, n)
		for i := range n {
			c, err := handshake(addr)
			if err != nil {
				b.Fatalf("connection %d: %v (each connection takes two file descriptors in this process; raise ulimit -n or lower GATECHECK_WS_CONNS)", i, err)
			}
			clients = append(clients, c)
		}
		if got := gw.Connections(); got != n {
			b.Fatalf("%d connections registered, want %d", got, n)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)
		perConn = used / float64(n)
		heap = (float64(after.HeapInuse) - float64(before.HeapInuse)) / float64(n)
		stack = (float64(after.StackInuse) - float64(before.StackInuse)) / float64(n)
		goroutines = float64(runtime.NumGoroutine()-g0) / float64(n)
		for _, c := range clients {
			c.Close() // the gateway reads EOF and ends each connection
		}
		deadline := time.Now().Add(wait)
		for gw.Connections() > 0 && time.Now().Before(deadline) {
			runtime.Gosched()
		}
	}
	b.ReportMetric(perConn, "B/conn")
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(stack, "stack-B/conn")
	b.ReportMetric(goroutines, "goroutines/conn")
	b.ReportMetric(float64(n), "conns")
}

// handshake opens a WebSocket connection with a hand-written upgrade, so
// the client side costs only its socket.
func handshake(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(wait))
	req := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	var buf [512]byte
	got := 0
	for !bytes.Contains(buf[:got], []byte("\r\n\r\n")) {
		if got == len(buf) {
			c.Close()
			return nil, io.ErrShortBuffer
		}
		m, err := c.Read(buf[got:])
		if err != nil {
			c.Close()
			return nil, err
		}
		got += m
	}
	if !bytes.HasPrefix(buf[:got], []byte("HTTP/1.1 101 ")) {
		c.Close()
		return nil, fmt.Errorf("handshake answered %.40q", buf[:got])
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}
