package websocket

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

// serveConnections is the @connections API (spec §8.3): PostToConnection,
// GetConnection and DeleteConnection on /{stage}/@connections/{id}. Every
// call must be SigV4-signed for execute-api; errors carry AWS's
// x-amzn-ErrorType so the SDKs decode them.
func (g *Gateway) serveConnections(w http.ResponseWriter, r *http.Request, stageName, id string) {
	// Authenticate before judging the size, as AWS does: the verifier
	// hashes the body as it arrives and keeps at most MaxPostBytes of it.
	if _, err := g.verifier.Verify(r, "execute-api"); err != nil {
		switch {
		case errors.Is(err, sigv4.ErrTooLarge):
			writePayloadTooLarge(w)
			return
		case errors.Is(err, sigv4.ErrBody):
			w.Header().Set("Connection", "close")
			writeJSONError(w, http.StatusBadRequest, "BadRequestException", "Could not read the request body")
			return
		}
		typ, msg := sigv4.ErrorType(err)
		if typ == "" {
			typ, msg = "ForbiddenException", "Forbidden"
		}
		writeJSONError(w, http.StatusForbidden, typ, msg)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPostBytes+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "BadRequestException", "Could not read the request body")
		return
	}
	if len(body) > MaxPostBytes { // an UNSIGNED-PAYLOAD body the verifier left unread
		writePayloadTooLarge(w)
		return
	}
	stage := g.stages[stageName]
	if stage == nil || id == "" {
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet && r.Method != http.MethodDelete {
		// Like API Gateway's answer to a method a resource does not have.
		writeJSONError(w, http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	c := g.lookup(stageName, id)
	if c == nil { // never existed, closed, or still in $connect (spec §8.2, KC-410)
		writeGone(w)
		return
	}
	switch r.Method {
	case http.MethodPost:
		switch c.enqueue(gws.TextMessage, body) {
		case nil:
			stage.count.messages.Inc()
			w.WriteHeader(http.StatusOK)
		case errQueueFull:
			writeJSONError(w, http.StatusTooManyRequests, "LimitExceededException", "Limit Exceeded")
		default:
			writeGone(w)
		}
	case http.MethodGet:
		writeJSON(w, http.StatusOK, c.info())
	case http.MethodDelete:
		c.end(gws.CloseNormalClosure, "")
		w.WriteHeader(http.StatusNoContent)
	}
}

func writePayloadTooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeJSONError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException",
		"Message too long: a message may be at most "+strconv.Itoa(MaxPostBytes)+" bytes")
}

// writeGone answers 410 with an empty JSON object: AWS's 410 body may be
// empty (spec §8.3), and clients should key off the status and error type.
func writeGone(w http.ResponseWriter) {
	w.Header().Set("x-amzn-ErrorType", "GoneException")
	writeJSON(w, http.StatusGone, struct{}{})
}
