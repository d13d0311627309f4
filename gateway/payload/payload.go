// Package payload enforces API Gateway's request payload limit (10 MB,
// spec §2) and buffers the body for the integration, as API Gateway does.
// A body over the limit gets 413 whether it is announced by Content-Length
// or streamed chunked, and the backend is never invoked.
package payload

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
)

// MaxBytes is API Gateway's REST payload limit: 10 MB = 10,485,760 bytes.
// A body of exactly MaxBytes is accepted (the boundary is UNCONFIRMED on
// AWS, spec §14; we take the limit as inclusive).
const MaxBytes = 10 << 20

// Limit is the payload stage.
type Limit struct {
	MaxBytes  int64
	Responder *gatewayresponse.Responder
	Next      http.Handler
	// Budget, when set, bounds the body bytes buffered at once across
	// every request (see Budget).
	Budget *Budget
}

// firstChunk bounds the buffer reserved before a body's first byte
// arrives: the buffer then grows with the bytes received, never with what
// Content-Length announces, so a crowd of header-only requests costs
// little memory (1,000 of them: 4 MB).
const firstChunk = 4 << 10

func (l *Limit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > l.MaxBytes {
		l.tooLarge(w, r)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		size := int64(bytes.MinRead)
		if r.ContentLength > 0 {
			size = min(r.ContentLength, firstChunk) + bytes.MinRead // ReadFrom keeps MinRead free: a body within firstChunk never grows the buffer
		}
		buf := bytes.NewBuffer(make([]byte, 0, size))
		var body io.Reader = io.LimitReader(r.Body, l.MaxBytes+1)
		if l.Budget != nil {
			budgeted := &budgetedReader{r: body, b: l.Budget}
			defer func() { l.Budget.release(budgeted.taken) }() // after the answer: the body is held until then
			body = budgeted
		}
		n, err := buf.ReadFrom(body)
		if n > l.MaxBytes {
			l.tooLarge(w, r)
			return
		}
		if errors.Is(err, errOverBudget) {
			w.Header().Set("Connection", "close") // the rest of the body is not read
			l.Responder.Write(w, r, gatewayresponse.Overloaded, "")
			return
		}
		if err != nil {
			// The client went away or sent a broken chunked encoding.
			w.Header().Set("Connection", "close")
			l.Responder.Write(w, r, gatewayresponse.BadRequestBody, "Invalid request body")
			return
		}
		request.From(r.Context()).Body = buf.Bytes()
	}
	l.Next.ServeHTTP(w, r)
}

func (l *Limit) tooLarge(w http.ResponseWriter, r *http.Request) {
	// The rest of the body is not read; close so the connection is not reused.
	w.Header().Set("Connection", "close")
	l.Responder.Write(w, r, gatewayresponse.RequestTooLarge, "")
}
