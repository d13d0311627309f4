// Package suites holds gatecheck's conformance specs, one file per behaviour
// area. Each file declares its feature (profile.RegisterFeature, with the
// values a profile may claim for it) and its checks (conformance.Register).
// Importing the package registers them all.
package suites

import (
	"net/http"

	"github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
)

// expectGatewayError asserts an API Gateway error response: status, parsed
// message (bodies are compared as JSON, spec §0) and, when errorType is
// not empty, the x-amzn-ErrorType header.
func expectGatewayError(t *conformance.T, resp *conformance.Response, status int, message, errorType string) {
	t.Expect(resp.Status).To(gomega.Equal(status), "status: %s", resp)
	msg, ok := resp.Message()
	t.Expect(ok).To(gomega.BeTrue(), "body is not JSON with a message field: %s", resp)
	t.Expect(msg).To(gomega.Equal(message), "message: %s", resp)
	if errorType != "" {
		t.Expect(resp.Header.Get("x-amzn-ErrorType")).To(gomega.Equal(errorType), "x-amzn-ErrorType: %s", resp)
	}
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
