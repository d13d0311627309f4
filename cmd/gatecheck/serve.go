package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/payload"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/websocket"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/serving"
)

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

// serveOpts holds the values of the serve flags.
type serveOpts struct {
	apiPath           *string
	stagesPath        *string
	listen            *string
	mgmtListen        *string
	lambda            *string
	accessLog         *bool
	wsPath            *string
	wsListen          *string
	wsNoDefaultListen *string
	deployments       stageVars
	vars              stageVars
	bodyBudget        *int64
	restLimits        serving.Limits
	mgmtLimits        serving.Limits
	wsLimits          serving.Limits
}

// serveFlags builds the serve flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func serveFlags() (*flag.FlagSet, *serveOpts) {
	o := &serveOpts{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o.apiPath = fs.String("api", "", "REST API definition (OpenAPI 3 with x-amazon-apigateway-*); default: the reference API")
	o.stagesPath = fs.String("stages", "", "stage file; default: the reference API's stages")
	o.listen = fs.String("listen", "127.0.0.1:8080", "address to listen on")
	o.mgmtListen = fs.String("management-listen", "127.0.0.1:8081", "address of the emulated management API (the AWS SDK apigateway client's endpoint); empty: off")
	o.lambda = fs.String("lambda-endpoint", envOr("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9090"), "Lambda Invoke API base URL for aws_proxy integrations")
	o.accessLog = fs.Bool("access-log", true, "log one line per request (requestId, method, path, status, latency) to stderr")
	o.wsPath = fs.String("websocket-api", "", "WebSocket API definition (apigatewayv2 shapes); default: the reference WebSocket API")
	o.wsListen = fs.String("websocket-listen", "127.0.0.1:8082", "address of the WebSocket API (ws://…/{stage}) and its @connections API; empty: off")
	o.wsNoDefaultListen = fs.String("websocket-nodefault-listen", "", "also serve the reference WebSocket API without a $default route here (the WebSocketNoRoute check's target.websocketNoDefaultURL); empty: off")
	o.deployments = stageVars{}
	fs.Var(o.deployments, "deployment", "serve deployment id from its own API definition, id=file (repeatable), e.g. d2=api-v2.yaml; other deployment ids are snapshots of --api")
	o.vars = stageVars{}
	fs.Var(o.vars, "stage-var", "override a stage variable on every stage, name=value (repeatable), e.g. backend=127.0.0.1:9090")
	o.bodyBudget = fs.Int64("max-body-bytes-in-flight", payload.DefaultBudget, "request-body bytes the REST API buffers at once, across all requests; a body that would go over gets 503 (negative: no bound)")
	o.restLimits = serving.Defaults(serving.REST)
	o.mgmtLimits = serving.Defaults(serving.Management)
	o.wsLimits = serving.Defaults(serving.WebSocket)
	o.restLimits.RegisterFlags(fs, "", "REST API")
	o.mgmtLimits.RegisterFlags(fs, "management-", "management API")
	o.wsLimits.RegisterFlags(fs, "websocket-", "WebSocket APIs")
	return fs, o
}

func cmdServe(args []string, stderr io.Writer, logger *slog.Logger) int {
	fs, o := serveFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	apiPath, stagesPath, listen, mgmtListen, lambda, accessLog, wsPath, wsListen, wsNoDefaultListen, deployments, vars, bodyBudget, restLimits, mgmtLimits, wsLimits := o.apiPath, o.stagesPath, o.listen, o.mgmtListen, o.lambda, o.accessLog, o.wsPath, o.wsListen, o.wsNoDefaultListen, o.deployments, o.vars, o.bodyBudget, o.restLimits, o.mgmtLimits, o.wsLimits
	if err := errors.Join(restLimits.Validate(""), mgmtLimits.Validate("management-"), wsLimits.Validate("websocket-")); err != nil {
		fmt.Fprintf(stderr, "gatecheck serve: %v\n", err)
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
	opts := gateway.Options{LambdaEndpoint: *lambda, Deployments: map[string]*restapi.API{}, MaxBodyBytesInFlight: *bodyBudget}
	if *bodyBudget == 0 {
		fmt.Fprintln(stderr, "gatecheck serve: --max-body-bytes-in-flight 0: give a positive number of bytes, or a negative one for no bound")
		return runner.ExitConfig
	}
	for id, file := range deployments {
		if opts.Deployments[id], err = restapi.LoadFile(file); err != nil {
			fmt.Fprintf(stderr, "gatecheck serve: --deployment %s: %v\n", id, err)
			return runner.ExitConfig
		}
	}
	// What AWS would refuse but the emulator serves: said, not fatal.
	for _, a := range append([]*restapi.API{api}, slices.Collect(maps.Values(opts.Deployments))...) {
		for _, w := range a.Warnings {
			fmt.Fprintf(stderr, "gatecheck serve: warning: %s: %s\n", a.Source, w)
		}
	}
	if longest := longestIntegrationTimeout(api, opts.Deployments); restLimits.WriteTimeout > 0 && restLimits.WriteTimeout <= restLimits.BodyTimeout+longest {
		fmt.Fprintf(stderr, "gatecheck serve: --write-timeout %v is not longer than --body-timeout %v plus the longest integration timeout (%v): the write deadline covers both, so a slow integration's answer would be cut off; raise --write-timeout above %v\n",
			restLimits.WriteTimeout, restLimits.BodyTimeout, longest, restLimits.BodyTimeout+longest)
		return runner.ExitConfig
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
	endpoints := []endpoint{{"reference gateway", *listen, gw, restLimits}}
	if *mgmtListen != "" {
		endpoints = append(endpoints, endpoint{"management API", *mgmtListen, gw.Management(), mgmtLimits})
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
		endpoints = append(endpoints, endpoint{ws.what, ws.addr, wsGateway, wsLimits})
	}
	return serveHTTP(endpoints, stderr, logger, "api", api.Name, "apiId", api.ID(), "stages", strings.Join(names, ","))
}

// longestIntegrationTimeout is the longest integration timeout of api and
// its deployments: the REST listener's write deadline must exceed it.
func longestIntegrationTimeout(api *restapi.API, deployments map[string]*restapi.API) time.Duration {
	longest := 0
	for _, a := range append([]*restapi.API{api}, slices.Collect(maps.Values(deployments))...) {
		for _, res := range a.Resources {
			for _, m := range res.Methods {
				longest = max(longest, m.Integration.Timeout())
			}
		}
	}
	return time.Duration(longest) * time.Millisecond
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

// fixtureOpts holds the values of the fixture flags.
type fixtureOpts struct {
	listen        *string
	version       *string
	callbackCreds *string
	region        *string
	endpoints     callbackEndpoints
	limits        serving.Limits
}

// fixtureFlags builds the fixture flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func fixtureFlags() (*flag.FlagSet, *fixtureOpts) {
	o := &fixtureOpts{}
	fs := flag.NewFlagSet("fixture", flag.ContinueOnError)
	o.listen = fs.String("listen", "127.0.0.1:9090", "address to listen on")
	o.version = fs.String("version", "v1", "version label stamped on every response")
	o.callbackCreds = fs.String("callback-credentials", "emulator", "how WebSocket callbacks (@connections) are signed: emulator (the reference gateway's built-in identity), aws-default-chain, or none")
	o.region = fs.String("callback-region", "", "region for signing callbacks; default: from the callback endpoint's host, else us-east-1")
	fs.Var(&o.endpoints, "callback-endpoint", "a WebSocket API the fixture may call back through @connections: its URL without the stage, e.g. https://abc123.execute-api.us-east-1.amazonaws.com (repeatable; with several, the event's domain name picks one); default: gatecheck serve's WebSocket APIs, "+strings.Join(defaultCallbackEndpoints, " and "))
	o.limits = serving.Defaults(serving.Fixture)
	o.limits.RegisterFlags(fs, "", "fixture")
	return fs, o
}

func cmdFixture(args []string, stderr io.Writer, logger *slog.Logger) int {
	fs, o := fixtureFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	listen, version, callbackCreds, region, endpoints, limits := o.listen, o.version, o.callbackCreds, o.region, o.endpoints, o.limits
	problems := []error{limits.Validate("")}
	for _, e := range endpoints {
		if _, err := backend.ParseCallbackEndpoint(e); err != nil {
			problems = append(problems, fmt.Errorf("--callback-endpoint: %w", err))
		}
	}
	if len(endpoints) == 0 && *callbackCreds == "aws-default-chain" {
		problems = append(problems, errors.New("--callback-credentials aws-default-chain needs --callback-endpoint: name the WebSocket API the fixture may sign callbacks for with your AWS identity, e.g. https://abc123.execute-api.us-east-1.amazonaws.com"))
	}
	if err := errors.Join(problems...); err != nil {
		fmt.Fprintf(stderr, "gatecheck fixture: %v\n", err)
		return runner.ExitConfig
	}
	if len(endpoints) == 0 {
		endpoints = defaultCallbackEndpoints
	}
	opts := backend.Options{Version: *version, Logger: logger, CallbackRegion: *region, CallbackEndpoints: endpoints}
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
	return serveHTTP([]endpoint{{"fixture backend", *listen, b, limits}}, stderr, logger, "version", *version)
}

// defaultCallbackEndpoints are gatecheck serve's WebSocket APIs at their
// documented addresses (--websocket-listen, and the address the README
// gives --websocket-nodefault-listen).
var defaultCallbackEndpoints = []string{"http://127.0.0.1:8082", "http://127.0.0.1:8083"}

// callbackEndpoints collects repeated --callback-endpoint flags.
type callbackEndpoints []string

func (c *callbackEndpoints) String() string     { return strings.Join(*c, ",") }
func (c *callbackEndpoints) Set(v string) error { *c = append(*c, v); return nil }

// endpoint is one listener of a serving command.
type endpoint struct {
	what, addr string
	handler    http.Handler
	limits     serving.Limits
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
		srv := serving.NewServer(e.handler, e.limits, logger)
		servers = append(servers, srv)
		logger.Info(e.what+" listening", append([]any{"url", "http://" + ln.Addr().String()}, attrs...)...)
		go func() { errc <- serving.Serve(srv, ln, e.limits) }()
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
