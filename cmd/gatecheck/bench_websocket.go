package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/websocket"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/wsload"
	"github.com/gatecheck/gatecheck/serving"
)

// benchCallbacksOpts holds the values of the bench callbacks flags.
type benchCallbacksOpts struct {
	rate     *int
	conns    *int
	duration *time.Duration
}

// benchCallbacksFlags builds the bench callbacks flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchCallbacksFlags() (*flag.FlagSet, *benchCallbacksOpts) {
	o := &benchCallbacksOpts{}
	fs := flag.NewFlagSet("bench callbacks", flag.ContinueOnError)
	o.rate = fs.Int("rate", 1000, "callbacks per second, over all connections")
	o.conns = fs.Int("connections", 100, "client connections")
	o.duration = fs.Duration("duration", 5*time.Second, "attack duration")
	return fs, o
}

// benchCallbacks measures callback delivery on the reference WebSocket
// gateway: clients stay connected while Vegeta posts signed callbacks at a
// steady rate; it reports the delivery latency percentiles.
func benchCallbacks(args []string, stdout, stderr io.Writer) int {
	fs, o := benchCallbacksFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	rate, conns, duration := o.rate, o.conns, o.duration
	return withEmbedded(stderr, func(ctx context.Context, e *runner.Embedded) int {
		sc, err := wsload.Run(ctx, wsload.Options{
			URL:    e.WebSocketURL + "/ws",
			Header: http.Header{"X-Api-Key": {referenceWebSocketKey}},
			Dialer: &gws.Dialer{HandshakeTimeout: 10 * time.Second},
			Callbacks: &connections.Client{Endpoint: "http" + strings.TrimPrefix(e.WebSocketURL, "ws") + "/ws", Region: "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider(gateway.DefaultCredential.AccessKeyID, gateway.DefaultCredential.SecretAccessKey, "")},
			Connections: *conns, Rate: *rate, Duration: *duration,
		})
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		ph := sc.Phases[0]
		d, p := ph.Latency["delivery"], ph.Latency["post"]
		fmt.Fprintf(stdout, "callbacks: %.0f/s asked, %.0f/s sent to %d connections for %v: %.0f delivered, %.0f lost, %.0f duplicated\n",
			ph.RequestedRate, ph.AchievedRate, *conns, *duration, ph.Values["delivered"], ph.Values["lost"], ph.Values["duplicates"])
		fmt.Fprintf(stdout, "delivery latency (POST sent → frame read): p50 %.3fms p90 %.3fms p99 %.3fms max %.3fms; POST p99 %.3fms\n",
			1000*d.P50, 1000*d.P90, 1000*d.P99, 1000*d.Max, 1000*p.P99)
		if sc.Verdict != reports.Passed {
			fmt.Fprintf(stdout, "verdict: %s — %s\n", strings.ToUpper(string(sc.Verdict)), sc.Reason)
			return runner.ExitGate
		}
		return 0
	})
}

// The reference WebSocket API's $connect key (fixtures/apis/reference.websocket.yaml).
const referenceWebSocketKey = "gatecheckWebSocketKey000006"

// benchIdleOpts holds the values of the bench idle flags.
type benchIdleOpts struct {
	n *int
}

// benchIdleFlags builds the bench idle flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchIdleFlags() (*flag.FlagSet, *benchIdleOpts) {
	o := &benchIdleOpts{}
	fs := flag.NewFlagSet("bench idle", flag.ContinueOnError)
	o.n = fs.Int("connections", 10000, "idle connections to hold")
	return fs, o
}

// benchIdle measures the memory the reference WebSocket gateway holds per
// idle connection. The clients run in a child process (gatecheck bench
// idle-clients), so that their memory is not counted and each process has
// its own file-descriptor limit: 10,000 connections need 10,000 sockets on
// each side. The gateway serves an API without $connect and $disconnect
// routes, so nothing but the connections themselves is measured.
func benchIdle(args []string, stdout, stderr io.Writer) int {
	fs, o := benchIdleFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	n := o.n
	api, err := runner.LoadReferenceWebSocket(fixtures.ReferenceWebSocketAPI)
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	delete(api.Routes, websocket.RouteConnect)
	delete(api.Routes, websocket.RouteDisconnect)
	gw, err := websocket.New(api, websocket.Options{Verifier: &sigv4.Verifier{Credentials: []sigv4.Credential{gateway.DefaultCredential}}})
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	defer gw.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	// The idle connections are the measurement: lift the connection cap.
	limits := serving.Defaults(serving.WebSocket)
	limits.MaxConns = 0
	srv := serving.NewServer(gw, limits, nil)
	go func() { _ = serving.Serve(srv, ln, limits) }()
	defer srv.Close()

	before := inUse()
	goroutines := runtime.NumGoroutine()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	child := exec.Command(self, "bench", "idle-clients", "--url", "ws://"+ln.Addr().String()+"/ws", "--connections", strconv.Itoa(*n))
	child.Stderr = stderr
	hold, _ := child.StdinPipe()
	ready, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	defer func() { _ = hold.Close(); _ = child.Wait() }()
	line, err := bufio.NewReader(ready).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		fmt.Fprintf(stderr, "gatecheck bench: the client process did not connect (%q, %v)\n", line, err)
		return runner.ExitConfig
	}
	if got := gw.Connections(); got != *n {
		fmt.Fprintf(stderr, "gatecheck bench: the gateway holds %d connections, not %d\n", got, *n)
		return runner.ExitConfig
	}
	after := inUse()
	perConn := float64(after.total()-before.total()) / float64(*n)
	fmt.Fprintf(stdout, "idle WebSocket connections: %d held by the reference gateway\n", *n)
	fmt.Fprintf(stdout, "memory per connection: %.1f KB (heap %.1f KB, goroutine stacks %.1f KB), %.1f goroutines per connection\n",
		perConn/1024, float64(after.heap-before.heap)/float64(*n)/1024, float64(after.stack-before.stack)/float64(*n)/1024,
		float64(runtime.NumGoroutine()-goroutines)/float64(*n))
	return 0
}

type memory struct{ heap, stack uint64 }

func (m memory) total() uint64 { return m.heap + m.stack }

// inUse is the heap and stack in use after a full collection.
func inUse() memory {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{heap: ms.HeapInuse, stack: ms.StackInuse}
}

// benchIdleClientsOpts holds the values of the bench idle-clients flags.
type benchIdleClientsOpts struct {
	url *string
	n   *int
}

// benchIdleClientsFlags builds the bench idle-clients flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchIdleClientsFlags() (*flag.FlagSet, *benchIdleClientsOpts) {
	o := &benchIdleClientsOpts{}
	fs := flag.NewFlagSet("bench idle-clients", flag.ContinueOnError)
	o.url = fs.String("url", "", "WebSocket stage URL (loopback only)")
	o.n = fs.Int("connections", 10000, "connections to open")
	return fs, o
}

// benchIdleClients is bench idle's child: it opens the connections, prints
// "ready", holds them until its standard input closes, then closes them.
func benchIdleClients(args []string, stdout, stderr io.Writer) int {
	fs, o := benchIdleClientsFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	url, n := o.url, o.n
	if !strings.HasPrefix(*url, "ws://127.0.0.1:") {
		fmt.Fprintln(stderr, "gatecheck bench idle-clients: --url must be a ws://127.0.0.1 address")
		return runner.ExitConfig
	}
	d := &gws.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 256, WriteBufferSize: 256}
	conns := make([]*gws.Conn, *n)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := d.Dial(*url, nil)
			if err != nil {
				once.Do(func() { first = err })
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if first != nil {
		fmt.Fprintf(stderr, "gatecheck bench idle-clients: %v\n", first)
		return runner.ExitUnreachable
	}
	fmt.Fprintln(stdout, "ready", *n)
	_, err := io.Copy(io.Discard, os.Stdin) // hold until the parent closes our stdin
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return 1
	}
	return 0
}
