package integration

import (
	"net/http"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// setTraceHeader gives an integration's response the request's
// X-Amzn-Trace-Id where API Gateway returns one: after calling a backend
// for AWS_PROXY, AWS and HTTP integrations, whether X-Ray tracing is on or
// not. A MOCK response has none (AWS-REC, LocalStack test_invocation_trace_id,
// 2024-08-07, even when the client sent one), nor has an HTTP_PROXY one
// unless the backend returned it (AWS-REC, TestApiGatewayHeaderRemapping
// HTTP_PROXY, 2024-07-17), nor a gateway error (AWS-REC, the 500s of the
// same tests). The gateway's value replaces any the integration returned.
func setTraceHeader(h http.Header, typ string, c *request.Context) {
	if typ == restapi.Mock || typ == restapi.HTTPProxy || c.TraceID == "" {
		return
	}
	for k := range h {
		if k != request.HeaderTraceID && strings.EqualFold(k, request.HeaderTraceID) {
			delete(h, k)
		}
	}
	h[request.HeaderTraceID] = []string{c.TraceID}
}
