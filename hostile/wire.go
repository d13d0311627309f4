package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxBody bounds what a probe reads of one response body.
const maxBody = 1 << 20

// response is one HTTP answer read off the wire.
type response struct {
	status int
	header http.Header
	body   []byte
	close  bool // the server said it closes the connection after it
}

// label is the outcome label of r: its status, and its x-amzn-ErrorType
// when it has one.
func (r *response) label() string {
	l := strconv.Itoa(r.status)
	if t := r.header.Get("X-Amzn-Errortype"); t != "" {
		l += " " + t
	}
	return l
}

// fromFixture reports whether the fixture wrote r (every fixture answer
// carries its version label).
func (r *response) fromFixture() bool { return r.header.Get("X-Gatecheck-Version") != "" }

// exchange is raw bytes written on a fresh connection and the answers
// expected back.
type exchange struct {
	addr string
	// payload is written in one write (several requests: pipelining).
	payload []byte
	// methods are the methods of the requests sent, in order: one answer
	// is read per entry (HEAD answers have no body).
	methods []string
	// halfClose shuts the write side after the payload, so that a server
	// waiting for more body bytes sees the end at once.
	halfClose bool
}

// roundTrip sends x and reads the answers, every read and write bounded
// by ctx's deadline. It returns the answers read before an error and the
// label of that error ("" when every expected answer arrived).
func roundTrip(ctx context.Context, x exchange) ([]*response, string) {
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", x.addr)
	if err != nil {
		return nil, "error: " + err.Error()
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Close the connection if ctx ends first (e.g. the run is stopped).
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	_, werr := conn.Write(x.payload)
	if werr == nil && x.halfClose {
		if tc, ok := conn.(*net.TCPConn); ok {
			werr = tc.CloseWrite()
		}
	}
	// A server may answer and close before it has read everything (431,
	// 413): read the answer even after a failed write.
	br := bufio.NewReader(conn)
	var out []*response
	for _, m := range x.methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			if werr != nil && isClosed(err) {
				err = werr
			}
			return out, errLabel(err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		_ = resp.Body.Close()
		if err != nil {
			return out, errLabel(err)
		}
		out = append(out, &response{status: resp.StatusCode, header: resp.Header, body: body, close: resp.Close})
		if resp.Close {
			break
		}
	}
	return out, ""
}

// errLabel names a connection error: a hang is "timeout", a connection
// the server closed or reset is "closed".
func errLabel(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout
	case isClosed(err):
		return Closed
	}
	return "error: " + err.Error()
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// single sends one raw request and labels its answer; check, when set,
// judges an answer (a problem or "").
func single(ctx context.Context, addr, raw string, check func(*response) string) Outcome {
	return singleX(ctx, exchange{addr: addr, payload: []byte(raw), methods: []string{methodOf(raw)}}, check)
}

func singleX(ctx context.Context, x exchange, check func(*response) string) Outcome {
	rs, errL := roundTrip(ctx, x)
	if len(rs) == 0 {
		return Outcome{Label: errL}
	}
	o := Outcome{Label: rs[0].label()}
	if check != nil {
		o.Problem = check(rs[0])
	}
	return o
}

// methodOf is the method of a raw request (its first word).
func methodOf(raw string) string {
	m, _, _ := strings.Cut(raw, " ")
	return m
}

// describe shortens a raw request for reports, showing control bytes.
func describe(raw string) string {
	const max = 160
	q := strconv.Quote(raw)
	if len(q) > max {
		q = q[:max] + fmt.Sprintf("…\" (%d bytes)", len(raw))
	}
	return q
}

// The fixture's standard document (fixtures/README.md).
type fixtureDoc struct {
	Route   string `json:"route"`
	Request struct {
		Method     string              `json:"method"`
		Path       string              `json:"path"`
		Query      string              `json:"query"`
		Headers    map[string][]string `json:"headers"`
		BodyLength int64               `json:"bodyLength"`
	} `json:"request"`
}

// inspected checks that r is the fixture's inspect document for a path
// under /inspect without dot segments, and returns it.
func inspected(r *response) (*fixtureDoc, string) {
	if !r.fromFixture() {
		return nil, fmt.Sprintf("a %d not written by the fixture", r.status)
	}
	var doc fixtureDoc
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.Route != "inspect" {
		return nil, fmt.Sprintf("the fixture answered something other than its inspect document: %.80q", r.body)
	}
	p := doc.Request.Path
	if p != "/inspect" && !strings.HasPrefix(p, "/inspect/") {
		return nil, fmt.Sprintf("reached the fixture outside the integration's prefix /inspect: %q", p)
	}
	if hasDotSegment(p) {
		return nil, fmt.Sprintf("reached the fixture with a dot segment: %q", p)
	}
	return &doc, ""
}

// hasDotSegment reports whether a decoded path has a "." or ".." segment
// (separated by / or \).
func hasDotSegment(p string) bool {
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == "." || part == ".." {
			return true
		}
	}
	return false
}

// jsonMessage checks that r's body is a JSON object whose message is msg
// ("" for any message).
func jsonMessage(r *response, msg string) string {
	var body struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Message == nil {
		return fmt.Sprintf("body is not a JSON message: %.80q", r.body)
	}
	if msg != "" && *body.Message != msg {
		return fmt.Sprintf("message %q, want %q", *body.Message, msg)
	}
	return ""
}

// gatewayJSON checks that the gateway itself wrote r as a JSON message.
func gatewayJSON(msg string) func(*response) string {
	return func(r *response) string {
		if r.fromFixture() {
			return "answered by the fixture, not the gateway"
		}
		return jsonMessage(r, msg)
	}
}

// netHTTPText checks that r is net/http's own plain-text refusal.
func netHTTPText(r *response) string {
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || r.fromFixture() {
		return fmt.Sprintf("not net/http's plain-text refusal (Content-Type %q)", ct)
	}
	return ""
}
