// Package requestlimits enforces API Gateway's REST quotas on the request
// line and headers (spec §2, §12): at most 10,240 bytes of header values
// in all, and a URL of at most 10,240 characters (Regional; 8,192 for
// edge-optimized endpoints). Neither quota can be raised. What AWS answers
// when they are exceeded is UNCONFIRMED (spec §14); the reference gateway
// answers 431 and 414 with a JSON message, before reading the body, and
// never calls the integration. AWS documents "414 Request URI too long"
// for an over-long method ARN, hence that text.
package requestlimits

import (
	"fmt"
	"net/http"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
)

// AWS's quotas.
const (
	// MaxHeaderValueBytes is the total size of all header values.
	MaxHeaderValueBytes = 10240
	// MaxURLLengthRegional and MaxURLLengthEdge bound the URL.
	MaxURLLengthRegional = 10240
	MaxURLLengthEdge     = 8192
)

// Stage refuses requests over the header and URL quotas.
type Stage struct {
	// MaxHeaderValueBytes bounds the sum of every header value's length
	// (the Host header included).
	MaxHeaderValueBytes int
	// MaxURLLength bounds the request target (path and query) as sent.
	MaxURLLength int
	responder    *gatewayresponse.Responder
	next         http.Handler
}

// New returns the stage; limits must be positive.
func New(maxHeaderValueBytes, maxURLLength int, responder *gatewayresponse.Responder, next http.Handler) (*Stage, error) {
	if maxHeaderValueBytes <= 0 || maxURLLength <= 0 {
		return nil, fmt.Errorf("requestlimits: header value and URL limits must be positive (AWS: %d bytes and %d/%d characters), not %d and %d",
			MaxHeaderValueBytes, MaxURLLengthRegional, MaxURLLengthEdge, maxHeaderValueBytes, maxURLLength)
	}
	return &Stage{MaxHeaderValueBytes: maxHeaderValueBytes, MaxURLLength: maxURLLength, responder: responder, next: next}, nil
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.RequestURI) > s.MaxURLLength {
		w.Header().Set("Connection", "close") // the body, if any, is not read
		s.responder.Write(w, r, gatewayresponse.URITooLong, "")
		return
	}
	total := len(r.Host)
	for _, vs := range r.Header {
		for _, v := range vs {
			total += len(v)
		}
	}
	if total > s.MaxHeaderValueBytes {
		w.Header().Set("Connection", "close")
		s.responder.Write(w, r, gatewayresponse.HeadersTooLarge, "")
		return
	}
	s.next.ServeHTTP(w, r)
}
