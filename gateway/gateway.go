// Package gateway is the reference gateway: a faithful, fast emulation of
// Amazon API Gateway REST APIs, built as a pipeline of small http.Handler
// stages, one package per feature. New composes them; read it top to bottom
// to follow a request.
package gateway

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatecheck/gatecheck/gateway/accesslog"
	"github.com/gatecheck/gatecheck/gateway/cache"
	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/integration"
	"github.com/gatecheck/gatecheck/gateway/management"
	"github.com/gatecheck/gatecheck/gateway/payload"
	"github.com/gatecheck/gatecheck/gateway/requestid"
	"github.com/gatecheck/gatecheck/gateway/requestlimits"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/routing"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/throttling"
	"github.com/gatecheck/gatecheck/gateway/usageplan"
	"github.com/gatecheck/gatecheck/gateway/validation"
)

// Options tune the gateway; the zero value is API Gateway's defaults.
type Options struct {
	// Clock drives integration timeouts and request times. Default: real time.
	Clock clockwork.Clock
	// LambdaEndpoint is the Lambda Invoke API base URL for aws_proxy
	// integrations (like AWS_ENDPOINT_URL_LAMBDA), e.g. http://127.0.0.1:9090.
	LambdaEndpoint string
	// MaxPayloadBytes overrides the 10 MB request payload limit (spec §2).
	MaxPayloadBytes int64
	// MaxBodyBytesInFlight bounds the request-body bytes buffered at once
	// across all requests (payload.Budget); default payload.DefaultBudget
	// (1 GiB), negative for no bound.
	MaxBodyBytesInFlight int64
	// MaxHeaderValueBytes overrides the 10,240-byte limit on all header
	// values together (spec §2).
	MaxHeaderValueBytes int
	// MaxURLLength overrides the URL length limit: 10,240 characters, a
	// Regional endpoint's (requestlimits.MaxURLLengthEdge for an
	// edge-optimized one).
	MaxURLLength int
	// Transport for backend calls. Default: a pooled transport tuned for a
	// gateway (many idle connections per backend, no compression).
	Transport http.RoundTripper
	// AccessLog, when set, receives one line per request (spec §11 fields).
	AccessLog *slog.Logger
	// Credentials the gateway accepts on SigV4-signed requests (management
	// API, cache invalidation, @connections). Default: DefaultCredential.
	Credentials []sigv4.Credential
	// CacheInvalidators are the access key ids allowed
	// execute-api:InvalidateCache. Default: every credential's.
	CacheInvalidators []string
	// Deployments are API snapshots by deployment id, for stages (or
	// canaries) whose deployment differs from the API given to New; any
	// other deployment id is served by that API. Each snapshot routes its
	// own resources, methods and integrations; stage-level settings
	// (throttling, caching, usage plans, gateway responses) come from the
	// stage file and the API given to New.
	Deployments map[string]*restapi.API
}

// DefaultCredential is the emulator's built-in identity, for local use only;
// the shipped reference and local profiles sign with it.
var DefaultCredential = sigv4.Credential{AccessKeyID: "AKIAGATECHECKEXAMPLE", SecretAccessKey: "gatecheck-reference-emulator-secret", Identity: "gatecheck"}

// Gateway serves one REST API on its stages.
type Gateway struct {
	handler   http.Handler
	transport *http.Transport // owned, closed by Close; nil if supplied by the caller
	plans     *usageplan.Plans
	stages    *canary.Stages
	mgmt      *management.API
	registry  *prometheus.Registry
}

// New builds the gateway for api and its stage file (both already validated).
func New(api *restapi.API, sf *restapi.StageFile, opts Options) (*Gateway, error) {
	if api == nil || sf == nil || len(sf.Stages) == 0 {
		return nil, errors.New("gateway: an API and at least one stage are required")
	}
	if err := sf.ValidateAgainst(api); err != nil {
		return nil, err
	}
	stages := sf.Stages
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.MaxPayloadBytes == 0 {
		opts.MaxPayloadBytes = payload.MaxBytes
	}
	var budget *payload.Budget
	if opts.MaxBodyBytesInFlight == 0 {
		opts.MaxBodyBytesInFlight = payload.DefaultBudget
	}
	if opts.MaxBodyBytesInFlight > 0 {
		var err error
		if budget, err = payload.NewBudget(opts.MaxBodyBytesInFlight); err != nil {
			return nil, err
		}
	}
	if opts.MaxHeaderValueBytes == 0 {
		opts.MaxHeaderValueBytes = requestlimits.MaxHeaderValueBytes
	}
	if opts.MaxURLLength == 0 {
		opts.MaxURLLength = requestlimits.MaxURLLengthRegional
	}
	g := &Gateway{}
	if opts.Transport == nil {
		g.transport = NewTransport()
		opts.Transport = g.transport
	}
	responder := gatewayresponse.New(api)
	g.stages = canary.NewStages(stages)
	g.plans = usageplan.New(api, sf, opts.Clock)
	if len(opts.Credentials) == 0 {
		opts.Credentials = []sigv4.Credential{DefaultCredential}
	}
	verifier := &sigv4.Verifier{Credentials: opts.Credentials, Clock: opts.Clock, MaxBodyBytes: opts.MaxPayloadBytes}
	if opts.CacheInvalidators == nil {
		for _, c := range opts.Credentials {
			opts.CacheInvalidators = append(opts.CacheInvalidators, c.AccessKeyID)
		}
	}
	g.mgmt = management.New(g.plans, verifier, opts.Clock)
	registry := prometheus.NewRegistry()
	g.registry = registry
	g.mgmt.Metrics = promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	var cacheStage *cache.Cache
	var limitsStage *requestlimits.Stage
	var err, limitsErr error // from building the cache and request-limit stages
	account := throttling.NewBucket(sf.AccountThrottle(), opts.Clock)

	// The pipeline, in the order a request meets it (API Gateway's order).
	// Each stage is an http.Handler wrapping the next; the integration answers.
	pipeline := []func(next http.Handler) http.Handler{
		func(next http.Handler) http.Handler { return &requestid.Stage{Clock: opts.Clock, Next: next} }, // request ids on every response
		func(next http.Handler) http.Handler { // access log, once the ids exist
			if opts.AccessLog == nil {
				return next
			}
			return &accesslog.Stage{Logger: opts.AccessLog, Clock: opts.Clock, Next: next}
		},
		func(next http.Handler) http.Handler { // header and URL quotas, before the body is read
			limitsStage, limitsErr = requestlimits.New(opts.MaxHeaderValueBytes, opts.MaxURLLength, responder, next)
			return limitsStage
		},
		func(next http.Handler) http.Handler { // 10 MB limit; buffer the body
			return &payload.Limit{MaxBytes: opts.MaxPayloadBytes, Budget: budget, Responder: responder, Next: next}
		},
		func(next http.Handler) http.Handler { return routing.NewStageLookup(api, g.stages, responder, next) }, // the stage
		func(next http.Handler) http.Handler { return &canary.Selector{Next: next} },                           // base or canary deployment, per request
		func(next http.Handler) http.Handler { // the deployment's resource and method
			return routing.NewResources(api, opts.Deployments, responder, next)
		},
		func(next http.Handler) http.Handler { // API key and usage plan throttle
			return &usageplan.KeyEnforcer{Plans: g.plans, Source: api.APIKeySource, Responder: responder, Next: next}
		},
		func(next http.Handler) http.Handler { // stage and method throttles (methodSettings)
			return throttling.NewMethodLimiter(api, stages, opts.Clock, responder, next)
		},
		func(next http.Handler) http.Handler { // account throttle
			return &throttling.AccountLimiter{Bucket: account, Responder: responder, Next: next}
		},
		func(next http.Handler) http.Handler { // usage plan quota, once no throttle refused the request
			return &usageplan.QuotaEnforcer{Plans: g.plans, Responder: responder, Next: next}
		},
		func(next http.Handler) http.Handler { return &validation.Stage{Responder: responder, Next: next} }, // request validator
		func(next http.Handler) http.Handler { // stage cache
			cacheStage, err = cache.New(api, stages, cache.Options{Clock: opts.Clock, Verifier: verifier, Invalidators: opts.CacheInvalidators, Registry: registry}, responder, next)
			return cacheStage
		},
	}
	var h http.Handler = &integration.Stage{ // the integration, under its timeout
		Clock:          opts.Clock,
		Client:         &http.Client{Transport: opts.Transport, CheckRedirect: integration.NoRedirects},
		Responder:      responder,
		LambdaEndpoint: opts.LambdaEndpoint,
	}
	for i := len(pipeline) - 1; i >= 0; i-- {
		h = pipeline[i](h)
	}
	if err = errors.Join(err, limitsErr); err != nil {
		return nil, err
	}
	// The deployments that exist: the snapshots given, and those the stage
	// file names (served by api).
	g.mgmt.Deployments = map[string]bool{}
	for id := range opts.Deployments {
		g.mgmt.Deployments[id] = true
	}
	for _, st := range stages {
		g.mgmt.Deployments[st.DeploymentID] = true
		if st.CanarySettings != nil {
			g.mgmt.Deployments[st.CanarySettings.DeploymentID] = true
		}
	}
	delete(g.mgmt.Deployments, "")
	g.mgmt.Stages(api.ID(), g.stages, cacheStage)
	g.handler = h
	return g, nil
}

// Metrics is the registry the management API's /metrics serves; a
// WebSocket API served alongside registers its metrics here too.
func (g *Gateway) Metrics() prometheus.Registerer { return g.registry }

// Management is the emulated control-plane API (the "apigateway" service),
// to serve on its own address as AWS does.
func (g *Gateway) Management() http.Handler { return g.mgmt }

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Close releases idle backend connections.
func (g *Gateway) Close() {
	if g.transport != nil {
		g.transport.CloseIdleConnections()
	}
}

// NewTransport returns the backend transport the gateway uses by default.
func NewTransport() *http.Transport { return integration.NewTransport() }
