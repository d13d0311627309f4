// Command gatecheck tests API gateways against Amazon API Gateway's
// documented behaviour.
//
//	gatecheck run      [--profile FILE] [--label-filter EXPR] [--out DIR]
//	gatecheck serve    [--api FILE] [--stages FILE] [--listen ADDR] [--stage-var k=v]…
//	gatecheck fixture  [--listen ADDR] [--version LABEL]
//	gatecheck bench    [overhead|throttle] [flags]
//	gatecheck compare  BASE.json OTHER.json
//	gatecheck profiles validate FILE…
//	gatecheck version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/websocket"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
	"github.com/gatecheck/gatecheck/scenarios/throttle"
	"github.com/gatecheck/gatecheck/suites"
)

const usage = `gatecheck — conformance and traffic tests for API gateways

Usage:
  gatecheck run      [--profile FILE] [--label-filter EXPR] [--out DIR] [-v]
                     Run the conformance suites. With no --profile, start the
                     reference gateway and fixture backend on loopback and
                     test them (the embedded default).
  gatecheck serve    [--api FILE --stages FILE] [--listen ADDR] [--stage-var k=v]…
                     Run the reference gateway (default: the reference API).
  gatecheck fixture  [--listen ADDR] [--version LABEL]
                     Run the fixture backend to put behind any gateway.
  gatecheck bench    [overhead] [--rate N] [--duration D] [--out DIR]
                     Measure the latency the reference gateway adds over
                     calling the fixture directly (Vegeta, loopback only).
  gatecheck bench throttle [--duration D] [--multiple M]
                     Measure how closely the reference gateway's throttle
                     holds its rate + burst under an attack at M x the rate.
  gatecheck compare  BASE.json OTHER.json
                     List the specs whose verdicts differ between two
                     reports (e.g. the reference gateway and yours).
  gatecheck profiles validate FILE…
                     Check target profiles without running anything.
  gatecheck version

Exit codes of run: 0 passed, 1 conformance failure, 2 configuration error,
3 target unreachable, 4 a load scenario failed its thresholds (gate),
5 a load scenario could not produce a verdict (invalid).
`

func main() {
	// Ginkgo runs from this binary: it needs the testing flags registered.
	testing.Init()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return runner.ExitConfig
	}
	logger := slog.New(redact.NewHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr, logger)
	case "serve":
		return cmdServe(args[1:], stderr, logger)
	case "fixture":
		return cmdFixture(args[1:], stderr, logger)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(args[1:], stdout, stderr)
	case "profiles":
		return cmdProfiles(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "gatecheck", runner.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gatecheck: unknown command %q\n\n%s", args[0], usage)
	return runner.ExitConfig
}

// parse parses flags and rejects stray arguments, with one clear message.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) bool {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatecheck %s: unexpected argument %q (flags start with --; see gatecheck %s --help)\n", fs.Name(), fs.Arg(0), fs.Name())
		return false
	}
	return true
}

func cmdRun(args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	prof := fs.String("profile", "", "target profile (YAML); default: the embedded reference gateway")
	filter := fs.String("label-filter", "", "run only matching specs, e.g. 'feature:payload-limit' or 'area:errors'")
	out := fs.String("out", "gatecheck-report", "directory for report.json, junit.xml and summary.md")
	verbose := fs.Bool("v", false, "verbose Ginkgo output")
	if !parse(fs, args, stderr) {
		return runner.ExitConfig
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := runner.Run(ctx, runner.Options{ProfilePath: *prof, LabelFilter: *filter, OutDir: *out, Stdout: stdout, Verbose: *verbose, Logger: logger})
	if err != nil { // e.g. the profile's URL, which may carry a password
		fmt.Fprintf(stderr, "gatecheck run: %s\n", redact.String(err.Error()))
	}
	return runner.ExitCode(rep, err)
}

// stageVars collects repeated --stage-var name=value flags.
type stageVars map[string]string

func (s stageVars) String() string { return fmt.Sprint(map[string]string(s)) }
func (s stageVars) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	s[name] = value
	return nil
}

func cmdServe(args []string, stderr io.Writer, logger *slog.Logger) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	apiPath := fs.String("api", "", "REST API definition (OpenAPI 3 with x-amazon-apigateway-*); default: the reference API")
	stagesPath := fs.String("stages", "", "stage file; default: the reference API's stages")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	mgmtListen := fs.String("management-listen", "127.0.0.1:8081", "address of the emulated management API (the AWS SDK apigateway client's endpoint); empty: off")
	lambda := fs.String("lambda-endpoint", envOr("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9090"), "Lambda Invoke API base URL for aws_proxy integrations")
	accessLog := fs.Bool("access-log", true, "log one line per request (requestId, method, path, status, latency) to stderr")
	wsPath := fs.String("websocket-api", "", "WebSocket API definition (apigatewayv2 shapes); default: the reference WebSocket API")
	wsListen := fs.String("websocket-listen", "127.0.0.1:8082", "address of the WebSocket API (ws://…/{stage}) and its @connections API; empty: off")
	wsNoDefaultListen := fs.String("websocket-nodefault-listen", "", "also serve the reference WebSocket API without a $default route here (the WebSocketNoRoute check's target.websocketNoDefaultURL); empty: off")
	deployments := stageVars{}
	fs.Var(deployments, "deployment", "serve deployment id from its own API definition, id=file (repeatable), e.g. d2=api-v2.yaml; other deployment ids are snapshots of --api")
	vars := stageVars{}
	fs.Var(vars, "stage-var", "override a stage variable on every stage, name=value (repeatable), e.g. backend=127.0.0.1:9090")
	if !parse(fs, args, stderr) {
		return runner.ExitConfig
	}
	if (*apiPath == "") != (*stagesPath == "") {
		fmt.Fprintln(stderr, "gatecheck serve: --api and --stages go together (give both, or neither for the reference API)")
		return runner.ExitConfig
	}
	var (
		api *restapi.API
		sf  *restapi.StageFile
		err error
	)
	if *apiPath == "" {
		api, sf, err = runner.LoadReference()
	} else {
		api, err = restapi.LoadFile(*apiPath)
		if err == nil {
			sf, err = restapi.LoadStageFile(*stagesPath)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck serve: %v\n", err)
		return runner.ExitConfig
	}
	if problems := restapi.ValidateStageVariables("--stage-var", vars); len(problems) > 0 {
		fmt.Fprintf(stderr, "gatecheck serve: %s\n", strings.Join(problems, "; "))
		return runner.ExitConfig
	}
	for k, v := range vars {
		sf.SetVariable(k, v)
	}
	opts := gateway.Options{LambdaEndpoint: *lambda, Deployments: map[string]*restapi.API{}}
	for id, file := range deployments {
		if opts.Deployments[id], err = restapi.LoadFile(file); err != nil {
			fmt.Fprintf(stderr, "gatecheck serve: --deployment %s: %v\n", id, err)
			return runner.ExitConfig
		}
	}
	if *accessLog {
		opts.AccessLog = logger
	}
	gw, err := gateway.New(api, sf, opts)
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck serve: %v\n", err)
		return runner.ExitConfig
	}
	defer gw.Close()
	names := make([]string, len(sf.Stages))
	for i, s := range sf.Stages {
		names[i] = s.StageName
	}
	endpoints := []endpoint{{"reference gateway", *listen, gw}}
	if *mgmtListen != "" {
		endpoints = append(endpoints, endpoint{"management API", *mgmtListen, gw.Management()})
	}
	for _, ws := range []struct{ what, path, addr string }{
		{"WebSocket API", *wsPath, *wsListen},
		{"WebSocket API without $default", "embedded:" + fixtures.ReferenceWebSocketNoDefaultAPI, *wsNoDefaultListen},
	} {
		if ws.addr == "" {
			continue
		}
		wsGateway, err := webSocketGateway(ws.path, vars, logger, gw.Metrics())
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck serve: %v\n", err)
			return runner.ExitConfig
		}
		defer wsGateway.Close() // its connections are hijacked: Shutdown does not close them
		endpoints = append(endpoints, endpoint{ws.what, ws.addr, wsGateway})
	}
	return serveHTTP(endpoints, stderr, logger, "api", api.Name, "stages", strings.Join(names, ","))
}

// webSocketGateway loads a WebSocket API (default: the reference one) and
// builds its gateway; --stage-var overrides apply to its stages too.
func webSocketGateway(path string, vars stageVars, logger *slog.Logger, metrics prometheus.Registerer) (*websocket.Gateway, error) {
	var (
		api *websocket.API
		err error
	)
	switch {
	case path == "":
		api, err = runner.LoadReferenceWebSocket(fixtures.ReferenceWebSocketAPI)
	case strings.HasPrefix(path, "embedded:"):
		api, err = runner.LoadReferenceWebSocket(strings.TrimPrefix(path, "embedded:"))
	default:
		api, err = websocket.LoadFile(path)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range vars {
		api.SetVariable(k, v)
	}
	return websocket.New(api, websocket.Options{Logger: logger, Registry: metrics, Verifier: &sigv4.Verifier{Credentials: []sigv4.Credential{gateway.DefaultCredential}}})
}

func cmdFixture(args []string, stderr io.Writer, logger *slog.Logger) int {
	fs := flag.NewFlagSet("fixture", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9090", "address to listen on")
	version := fs.String("version", "v1", "version label stamped on every response")
	callbackCreds := fs.String("callback-credentials", "emulator", "how WebSocket callbacks (@connections) are signed: emulator (the reference gateway's built-in identity), aws-default-chain, or none")
	region := fs.String("callback-region", "", "region for signing callbacks; default: from the callback domain, else us-east-1")
	if !parse(fs, args, stderr) {
		return runner.ExitConfig
	}
	opts := backend.Options{Version: *version, Logger: logger, CallbackRegion: *region}
	switch *callbackCreds {
	case "emulator":
		opts.CallbackCredentials = credentials.NewStaticCredentialsProvider(gateway.DefaultCredential.AccessKeyID, gateway.DefaultCredential.SecretAccessKey, "")
	case "aws-default-chain":
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck fixture: --callback-credentials aws-default-chain: %v\n", err)
			return runner.ExitConfig
		}
		opts.CallbackCredentials = cfg.Credentials
	case "none":
	default:
		fmt.Fprintf(stderr, "gatecheck fixture: --callback-credentials %q: use emulator, aws-default-chain or none\n", *callbackCreds)
		return runner.ExitConfig
	}
	b := backend.New(opts)
	defer b.Close()
	return serveHTTP([]endpoint{{"fixture backend", *listen, b}}, stderr, logger, "version", *version)
}

// endpoint is one listener of a serving command.
type endpoint struct {
	what, addr string
	handler    http.Handler
}

// serveHTTP serves the endpoints until SIGINT/SIGTERM, then shuts them
// down gracefully.
func serveHTTP(endpoints []endpoint, stderr io.Writer, logger *slog.Logger, attrs ...any) int {
	var servers []*http.Server
	errc := make(chan error, len(endpoints))
	for _, e := range endpoints {
		ln, err := net.Listen("tcp", e.addr)
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			fmt.Fprintf(stderr, "gatecheck: listen %s for the %s: %v\n", e.addr, e.what, err)
			return runner.ExitConfig
		}
		srv := runner.NewServer(e.handler)
		servers = append(servers, srv)
		logger.Info(e.what+" listening", append([]any{"url", "http://" + ln.Addr().String()}, attrs...)...)
		go func() { errc <- srv.Serve(ln) }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := 0
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "gatecheck: %v\n", err)
			code = 1
		}
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdown)
	}
	logger.Info("stopped")
	return code
}

func cmdBench(args []string, stdout, stderr io.Writer) int {
	mode := "overhead"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "overhead":
		return benchOverhead(args, stdout, stderr)
	case "throttle":
		return benchThrottle(args, stdout, stderr)
	case "callbacks":
		return benchCallbacks(args, stdout, stderr)
	case "idle":
		return benchIdle(args, stdout, stderr)
	case "idle-clients": // bench idle's child process
		return benchIdleClients(args, stdout, stderr)
	case "peers":
		return benchPeers(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "gatecheck bench: unknown benchmark %q (overhead, throttle, callbacks, idle or peers)\n", mode)
	return runner.ExitConfig
}

// benchThrottle attacks the reference gateway's throttled-load route at 5x
// its rate and reports how close the accepted rate stays to the token
// bucket's rate + burst (target: within 1 %).
func benchThrottle(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench throttle", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Second, "attack duration")
	multiple := fs.Float64("multiple", 5, "attack rate as a multiple of the route's rate limit")
	if !parse(fs, args, stderr) {
		return runner.ExitConfig
	}
	return withEmbedded(stderr, func(ctx context.Context, e *runner.Embedded) int {
		p, err := runner.LoadProfile("")
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		cfg, _ := profile.Config[*suites.ThrottlingConfig](p, suites.FeatureThrottling)
		route, _ := p.Route("throttled-load")
		fmt.Fprintf(stdout, "throttle accuracy: %.0f req/s (%gx the %.0f/s limit, burst %d) for %v\n", *multiple*cfg.Load.RateLimit, *multiple, cfg.Load.RateLimit, cfg.Load.BurstLimit, *duration)
		sc, err := throttle.Run(ctx, throttle.Options{URL: e.GatewayURL + "/" + p.Target.Stage + route, RateLimit: cfg.Load.RateLimit, BurstLimit: cfg.Load.BurstLimit,
			Multiples: []float64{*multiple}, Duration: *duration, Tolerance: 0.01})
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		ph := sc.Phases[0]
		accepted, expected := ph.Values["accepted"], ph.Values["expectedAccepted"]
		fmt.Fprintf(stdout, "accepted %.0f of %d; token bucket allows %.0f (burst + rate x %.2fs): deviation %+.2f%% (target within 1%%)\n",
			accepted, ph.Requests, expected, ph.DurationSeconds, 100*(accepted-expected)/expected)
		fmt.Fprintf(stdout, "accepted latency p50 %.3fms p99 %.3fms; rejected p50 %.3fms p99 %.3fms; first 429 after %.3fs\n",
			1000*ph.Latency["accepted"].P50, 1000*ph.Latency["accepted"].P99, 1000*ph.Latency["rejected"].P50, 1000*ph.Latency["rejected"].P99, ph.Values["firstThrottledAfterSeconds"])
		if sc.Verdict != reports.Passed {
			fmt.Fprintf(stdout, "verdict: %s — %s\n", strings.ToUpper(string(sc.Verdict)), sc.Reason)
			return runner.ExitGate
		}
		return 0
	})
}

// withEmbedded starts the reference gateway and fixture for a benchmark
// and stops them when f returns (or on SIGINT/SIGTERM, through ctx).
func withEmbedded(stderr io.Writer, f func(ctx context.Context, e *runner.Embedded) int) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	e, err := runner.StartEmbedded(nil)
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	defer e.Close()
	return f(ctx, e)
}

func benchOverhead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench overhead", flag.ContinueOnError)
	rate := fs.Int("rate", 2000, "requests per second on each side")
	duration := fs.Duration("duration", 8*time.Second, "attack duration on each side")
	out := fs.String("out", "", "directory for raw Vegeta results (overhead.bin); empty: not kept")
	if !parse(fs, args, stderr) {
		return runner.ExitConfig
	}
	return withEmbedded(stderr, func(ctx context.Context, e *runner.Embedded) int {
		opts := overhead.Options{DirectURL: e.FixtureURL + "/inspect", GatewayURL: e.GatewayURL + "/test/inspect", Rate: *rate, Duration: *duration}
		if *out != "" {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
				return runner.ExitConfig
			}
			f, err := os.Create(filepath.Join(*out, "overhead.bin"))
			if err != nil {
				fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
				return runner.ExitConfig
			}
			defer f.Close()
			opts.Raw = f
		}
		fmt.Fprintf(stdout, "latency overhead: %d req/s for %v on each side, direct and through the reference gateway, alternating\n", *rate, *duration)
		res, err := overhead.Run(ctx, opts)
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		res.Print(stdout)
		if !res.Valid {
			return runner.ExitFailed
		}
		return 0
	})
}

func cmdCompare(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: gatecheck compare BASE.json OTHER.json (report.json files written by gatecheck run)")
		return runner.ExitConfig
	}
	base, err := reports.ReadJSON(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck compare: %v\n", err)
		return runner.ExitConfig
	}
	other, err := reports.ReadJSON(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck compare: %v\n", err)
		return runner.ExitConfig
	}
	diffs := reports.Compare(base, other)
	reports.WriteComparison(stdout, base, other, diffs)
	if len(diffs) > 0 {
		return runner.ExitFailed
	}
	return 0
}

func cmdProfiles(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: gatecheck profiles validate FILE…")
		return runner.ExitConfig
	}
	code := 0
	for _, path := range args[1:] {
		p, err := profile.LoadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, redact.String(err.Error()))
			code = runner.ExitConfig
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s; features: %s)\n", path, p.Name, strings.Join(p.Claimed(), ", "))
	}
	return code
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
