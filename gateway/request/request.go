// Package request carries what API Gateway calls $context through the
// gateway pipeline: one value per request, attached once and filled in by
// each stage as the request moves through it.
package request

import (
	"context"
	"net/http"
	"time"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Context is the per-request state shared by the pipeline stages.
type Context struct {
	ID         string // $context.requestId (x-amzn-RequestId)
	ExtendedID string // $context.extendedRequestId (x-amz-apigw-id)
	TraceID    string // X-Amzn-Trace-Id forwarded to the integration
	Start      time.Time
	SourceIP   string

	API            *restapi.API
	Stage          *restapi.Stage
	StageVariables map[string]string
	Resource       *restapi.Resource // nil until routed
	Method         *restapi.Method   // nil until routed
	PathParams     map[string]string
	Body           []byte // the buffered request body (payload stage)
	APIKeyID       string // $context.identity.apiKeyId, once the usage plan stage accepted a key
	// IntegrationResponded is set when the response comes from the
	// integration rather than from a gateway error (what the cache may keep).
	IntegrationResponded bool
	// IsCanary: the canary selector routed the request to the canary
	// ($context.isCanaryRequest); DeploymentID is the deployment serving it.
	IsCanary     bool
	DeploymentID string
}

type key struct{}

// With returns r carrying c.
func With(r *http.Request, c *Context) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key{}, c))
}

// From returns the request's Context, or an empty one if none was attached
// (so stages can be tested alone).
func From(ctx context.Context) *Context {
	if c, ok := ctx.Value(key{}).(*Context); ok {
		return c
	}
	return &Context{}
}

// Exact-case AWS header names. Set directly in the header map so they go on
// the wire the way API Gateway writes them.
const (
	HeaderRequestID  = "x-amzn-RequestId"
	HeaderAPIGWID    = "x-amz-apigw-id"
	HeaderErrorType  = "x-amzn-ErrorType"
	HeaderTraceID    = "X-Amzn-Trace-Id"
	RemappedPrefix   = "x-amzn-Remapped-"
	DefaultMediaType = "application/json"
)
