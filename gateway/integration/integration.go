// Package integration is the last pipeline stage: it calls the method's
// integration (http_proxy, http, mock, or aws_proxy and aws — a Lambda
// reached over HTTP through the Lambda Invoke API) under the integration timeout, buffers
// the whole response as API Gateway does, and maps it to the client.
package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// MaxResponseBytes is the buffered response limit (10 MB, spec §2).
const MaxResponseBytes = 10 << 20

// Stage calls integrations.
type Stage struct {
	Clock     clockwork.Clock
	Client    *http.Client // backend calls; its Timeout must be 0 (the stage times out)
	Responder *gatewayresponse.Responder
	// LambdaEndpoint is the base URL of the Lambda Invoke API that
	// aws_proxy integrations call, e.g. http://127.0.0.1:9090.
	LambdaEndpoint string
}

// errTimeout is the cancel cause when the integration timeout fires.
var errTimeout = errors.New("integration timeout")

// failure is an integration error answered with a gateway response.
type failure struct {
	typ gatewayresponse.Type
	msg string
	err error
}

func (f *failure) Error() string { return string(f.typ) + ": " + f.msg }

func fail(typ gatewayresponse.Type, err error) *failure { return &failure{typ: typ, err: err} }

// result is a fully buffered integration response.
type result struct {
	status int
	header http.Header
	body   *bytes.Buffer
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuffer empties buf and returns it to the pool: a buffer put back
// with bytes in it would prefix the next response read into it.
func putBuffer(buf *bytes.Buffer) {
	buf.Reset()
	bufPool.Put(buf)
}

// release returns the result's body buffer to the pool.
func (r *result) release() { putBuffer(r.body) }

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	in := &c.Method.Integration
	// The timer comes from the injectable clock so tests can drive it.
	ctx, cancel := context.WithCancelCause(r.Context())
	timer := s.Clock.AfterFunc(time.Duration(in.Timeout())*time.Millisecond, func() { cancel(errTimeout) })
	res, err := s.call(ctx, r, c, in)
	timer.Stop()
	timedOut := errors.Is(context.Cause(ctx), errTimeout)
	cancel(nil)
	if res != nil {
		defer res.release()
	}
	switch {
	case timedOut:
		s.Responder.Write(w, r, gatewayresponse.IntegrationTimeout, "")
	case err != nil:
		var f *failure
		if !errors.As(err, &f) {
			f = fail(gatewayresponse.IntegrationFailure, err)
		}
		s.Responder.Write(w, r, f.typ, f.msg)
	default:
		request.From(r.Context()).IntegrationResponded = true
		h := w.Header()
		for k, v := range res.header {
			// Lambda results name headers in any case; keep one Content-Type
			// and let the gateway alone frame the response (Content-Length,
			// no connection-level headers; a mapped TE, which only means
			// something in a request, is returned as AWS does).
			switch ck := http.CanonicalHeaderKey(k); {
			case ck == "Content-Length" || (isHopHeader[ck] && ck != "Te"):
				continue // the gateway frames the response itself
			case ck == "Content-Type":
				k = ck
			}
			h[k] = v
		}
		setTraceHeader(h, in.Type, c)
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", request.DefaultMediaType) // API Gateway always adds one (spec §9)
		}
		h.Set("Content-Length", strconv.Itoa(res.body.Len()))
		w.WriteHeader(res.status)
		_, _ = w.Write(res.body.Bytes())
	}
}

func (s *Stage) call(ctx context.Context, r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	switch in.Type {
	case restapi.HTTPProxy:
		return s.httpProxy(ctx, r, c, in)
	case restapi.HTTP:
		return s.httpCustom(ctx, r, c, in)
	case restapi.Mock:
		return s.mock(r, c, in)
	case restapi.AWSProxy:
		return s.lambdaProxy(ctx, r, c, in)
	case restapi.AWS:
		return s.lambdaCustom(ctx, r, c, in)
	}
	return nil, fail(gatewayresponse.APIConfigurationError, errors.New("unsupported integration type "+in.Type))
}

// do sends req and buffers the response under ctx. Network errors are
// INTEGRATION_FAILURE; a body over the limit is API_CONFIGURATION_ERROR.
func (s *Stage) do(req *http.Request) (*result, error) {
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, fail(gatewayresponse.IntegrationFailure, err)
	}
	defer resp.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		putBuffer(buf)
		return nil, fail(gatewayresponse.IntegrationFailure, err)
	}
	if n > MaxResponseBytes {
		putBuffer(buf)
		return nil, fail(gatewayresponse.APIConfigurationError, errors.New("integration response over 10 MB"))
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: buf}, nil
}

func newBuffer(b []byte) *bytes.Buffer {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Write(b)
	return buf
}
