// Package requestid is the pipeline's first stage: it gives every request
// its $context.requestId (honouring a client-sent UUID), a fresh
// extendedRequestId and an X-Amzn-Trace-Id, and stamps the id headers on
// every response, errors included (spec §11).
package requestid

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/request"
)

func init() { uuid.EnableRandPool() }

// Stage assigns ids and attaches the request Context.
type Stage struct {
	Clock clockwork.Clock
	Next  http.Handler
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &request.Context{Start: s.Clock.Now(), ID: RequestID(r.Header.Get(request.HeaderRequestID)), ExtendedID: extendedID()}
	c.TraceID = TraceHeader(r.Header.Get(request.HeaderTraceID), c.Start.Unix())
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.SourceIP = host
	}
	h := w.Header()
	h[request.HeaderRequestID] = []string{c.ID}
	h[request.HeaderAPIGWID] = []string{c.ExtendedID}
	s.Next.ServeHTTP(w, request.With(r, c))
}

// RequestID returns the client's id if it is a UUID, else a new UUID
// (a non-UUID override is replaced, spec §11).
func RequestID(client string) string {
	if client != "" && len(client) == 36 {
		if u, err := uuid.Parse(client); err == nil {
			return u.String()
		}
	}
	return uuid.NewString()
}

// extendedID mimics API Gateway's 16-character base64 id, e.g. "ZkLN2F0zIAMEbXQ=".
func extendedID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
