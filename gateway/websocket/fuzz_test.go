package websocket

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// loadBudget bounds what loading one WebSocket API definition may
// allocate; a YAML bomb must be refused long before it.
var loadBudget = fuzzing.Budget{Fixed: 32 << 20, PerByte: 4 << 10}

// FuzzLoad feeds arbitrary bytes to Load.
//
// Property: no panic; each input is handled within fuzzing.Deadline and
// allocates at most loadBudget (YAML bombs, huge numbers and deep nesting
// are refused, not expanded); Load returns either an API or a *LoadError
// naming the source with at least one problem, each with a field and a
// message, the same problems in the same order every time; and an API it accepts can be served: every route has its
// integration, the route selection expression is compiled, and New builds
// a gateway from it.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"reference.websocket.yaml", "reference.websocket-nodefault.yaml"} {
		data, err := os.ReadFile(fixtures + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\nprotocolType: WEBSOCKET\nrouteSelectionExpression: $request.body.action\n" +
		"integrations: {i: {integrationType: HTTP, integrationMethod: POST, integrationUri: 'http://h/x'}}\n" +
		"routes: {$default: {target: i}}\nstages: {s: {}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const source = "fuzz.websocket.yaml"
		var api *API
		var err error
		fuzzing.WithinBudget(t, fuzzing.Deadline, loadBudget, len(data), "websocket.Load", func() {
			api, err = Load(source, data)
		})
		if (api == nil) == (err == nil) {
			t.Fatalf("Load returned API %v and error %v: want exactly one", api != nil, err)
		}
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || le.Source != source || len(le.Problems) == 0 {
				t.Fatalf("error %T %v: want a *LoadError naming %s with problems", err, err, source)
			}
			for _, p := range le.Problems {
				if p.Field == "" || strings.TrimSpace(p.Message) == "" {
					t.Fatalf("a problem without a field or a message: %+v", p)
				}
			}
			var again error
			fuzzing.Within(t, fuzzing.Deadline, "websocket.Load (again)", func() { _, again = Load(source, data) })
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("loading the same bytes twice gave different problems:\n%v\nthen:\n%v", err, again)
			}
			return
		}
		if api.selector == nil || len(api.Stages) == 0 || len(api.Routes) == 0 {
			t.Fatalf("accepted an API with selector %v, %d stages, %d routes", api.selector, len(api.Stages), len(api.Routes))
		}
		for key, r := range api.Routes {
			if r.Integration == nil || api.Integrations[r.Target] != r.Integration {
				t.Fatalf("route %q accepted without its integration %q", key, r.Target)
			}
		}
		var g *Gateway
		fuzzing.Within(t, fuzzing.Deadline, "New", func() { g, err = New(api, Options{Verifier: newVerifier()}) })
		if err != nil {
			t.Fatalf("New refused an API that Load accepted: %v", err)
		}
		g.Close()
	})
}

// FuzzRouteSelection compiles arbitrary route selection expressions and
// evaluates them over arbitrary message bodies.
//
// Property: no panic; parsing and evaluating finish within
// fuzzing.Deadline; a message selects a route key (ok) exactly when it is
// one JSON value (json.Valid), otherwise it goes to $default; evaluation
// is deterministic; and the key is bounded by the expression's literal
// text plus, per JSON path in it, the message re-encoded (at most 6 bytes

// selectionBudget bounds what selecting one message's route may allocate:
// a JSON decode of the message and the key, in proportion to their size.
var selectionBudget = fuzzing.Budget{Fixed: 1 << 20, PerByte: 512}

// per message byte, as json.Marshal escapes <, > and & as \u00XX).
func FuzzRouteSelection(f *testing.F) {
	f.Add("$request.body.action", []byte(`{"action":"echo","data":"hi"}`))
	f.Add("${request.body.action}", []byte(`{"action":"reply"}`))
	f.Add("${request.body.service}/${request.body.action}", []byte(`{"service":"s","action":{"a":[1,2]}}`))
	f.Add("$request.body.a.b.c", []byte(`{"a":{"b":{"c":1.50}}}`))
	f.Fuzz(func(t *testing.T, expr string, msg []byte) {
		var e *selectionExpr
		var err error
		var key1, key2 string
		var ok1, ok2 bool
		fuzzing.WithinBudget(t, fuzzing.Deadline, selectionBudget, len(expr)+len(msg), "parse and eval", func() {
			if e, err = parseSelectionExpr(expr); err != nil {
				return
			}
			key1, ok1 = e.eval(msg)
			key2, ok2 = e.eval(msg)
		})
		if err != nil {
			if !strings.Contains(err.Error(), selectionFix) {
				t.Fatalf("error %q does not say how to fix the expression", err)
			}
			return
		}
		if len(e.parts) == 0 {
			t.Fatalf("%q compiled to nothing", expr)
		}
		if ok1 != json.Valid(msg) {
			t.Fatalf("eval ok = %v for %q, but json.Valid = %v", ok1, msg, json.Valid(msg))
		}
		if key1 != key2 || ok1 != ok2 {
			t.Fatalf("eval is not deterministic: %q/%v then %q/%v", key1, ok1, key2, ok2)
		}
		limit := 0
		for _, p := range e.parts {
			if p.path == nil {
				limit += len(p.literal)
			} else {
				limit += 6*len(msg) + 2
			}
		}
		if len(key1) > limit {
			t.Fatalf("key of %d bytes from a %d-byte message; bound %d", len(key1), len(msg), limit)
		}
	})
}

// frameState is what the frame scanner knows after a byte stream: whether
// a frame over the limit was announced, whether a whole close frame
// passed, how much of the current frame's payload is still to come, and
// how many bytes of the next header are in.
type frameState struct {
	exceeded, malformedClose, closeReceived bool
	remaining                               uint64
	hdrLen                                  int
}

func (f *frameLimitConn) state() frameState {
	return frameState{f.exceeded, f.malformedClose, f.closeReceived, f.remaining, f.hdrLen}
}

// badHeader is where the first bad frame header (over the limit, or a
// close with a one-byte body) starts in a stream, and its length; at -1
// there is none.
type badHeader struct {
	at, size int
	err      error
}

// referenceFrames parses a client byte stream frame by frame (RFC 6455
// §5.2), independently of the scanner, and returns the state the scanner
// must reach, and the payload lengths the stream announces.
func referenceFrames(s []byte, max uint64) (frameState, []uint64, badHeader) {
	var st frameState
	var lengths []uint64
	bad := badHeader{at: -1}
	offset := 0
	for len(s) > 0 {
		if len(s) < 2 {
			st.hdrLen = len(s)
			break
		}
		need := 2
		switch s[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if s[1]&0x80 != 0 {
			need += 4
		}
		if len(s) < need {
			st.hdrLen = len(s)
			break
		}
		length := uint64(s[1] & 0x7f)
		switch length {
		case 126:
			length = uint64(binary.BigEndian.Uint16(s[2:4]))
		case 127:
			length = binary.BigEndian.Uint64(s[2:10])
		}
		lengths = append(lengths, length)
		isClose := s[0]&0x0f == 0x8
		over, oneByteClose := length > max, isClose && length == 1
		st.exceeded = st.exceeded || over
		st.malformedClose = st.malformedClose || oneByteClose
		if bad.at < 0 && (over || oneByteClose) {
			bad = badHeader{at: offset, size: need, err: errFrameTooLarge}
			if !over {
				bad.err = errMalformedClose
			}
		}
		isClose = isClose && !oneByteClose // not a close the gateway may wait for
		s, offset = s[need:], offset+need
		if length > uint64(len(s)) {
			st.remaining = length - uint64(len(s))
			break
		}
		s, offset = s[length:], offset+int(length)
		st.closeReceived = st.closeReceived || isClose
	}
	return st, lengths, bad
}

// chunkedConn is a net.Conn whose reads return stream in the given chunk
// sizes, then io.EOF.
type chunkedConn struct {
	net.Conn
	stream []byte
	sizes  []byte
	i      int
}

func (c *chunkedConn) Read(p []byte) (int, error) {
	if len(c.stream) == 0 {
		return 0, io.EOF
	}
	n := len(c.stream)
	if len(c.sizes) > 0 {
		n = min(n, int(c.sizes[c.i%len(c.sizes)])+1)
		c.i++
	}
	n = copy(p, c.stream[:n])
	c.stream = c.stream[n:]
	return n, nil
}

// FuzzFrameScanner feeds arbitrary byte streams, cut into arbitrary
// chunks, to the frame-limit scanner under a WebSocket connection.
//
// Property: no panic; scanning never allocates (its state is a fixed
// 14-byte header buffer and counters, so memory stays bounded whatever
// the stream); the frame sizes it follows agree with an independent
// RFC 6455 parse of the same stream, however the stream is cut: it flags
// a frame over the limit exactly when one is announced, sees a close frame
// exactly when a whole one passed, and ends mid-frame or mid-header at the
// same place; and reads pass the bytes through unchanged up to the first
// bad header (over the limit, or a close frame with a one-byte body),
// which they never hand over whole, then fail with its error.
func FuzzFrameScanner(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'}, []byte{0}, uint32(125))
	f.Add([]byte{0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4}, []byte{2, 7}, uint32(255))
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}, []byte{}, uint32(32768))
	f.Add([]byte{0x88, 0x82, 1, 2, 3, 4, 0x03, 0xe8}, []byte{3}, uint32(125))
	f.Fuzz(func(t *testing.T, stream, chunks []byte, limit uint32) {
		max := uint64(limit)
		want, lengths, bad := referenceFrames(stream, max)

		whole := &frameLimitConn{max: max}
		if allocs := testing.AllocsPerRun(1, func() { *whole = frameLimitConn{max: max}; whole.scan(stream) }); allocs != 0 {
			t.Fatalf("scan allocated %v times", allocs)
		}
		if got := whole.state(); got != want {
			t.Fatalf("stream % x (frames %v, limit %d): scanner %+v, reference %+v", stream, lengths, max, got, want)
		}

		var got []byte
		var readErr error
		c := newFrameLimitConn(&chunkedConn{stream: stream, sizes: chunks}, int(limit))
		fuzzing.Within(t, fuzzing.Deadline, "reading the stream", func() {
			buf := make([]byte, 64)
			for {
				n, err := c.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					readErr = err
					return
				}
			}
		})
		if bad.at >= 0 {
			// Reading hands over the frames before the first bad header
			// and never that whole header (at most the part that came in
			// an earlier read), then fails with its error.
			if !errors.Is(readErr, bad.err) || !bytes.HasPrefix(stream, got) || len(got) < bad.at || len(got) >= bad.at+bad.size {
				t.Fatalf("stream % x cut by %v: read %d bytes (bad header at %d, %d bytes), then %v; want %v",
					stream, chunks, len(got), bad.at, bad.size, readErr, bad.err)
			}
			if n, err := c.Read(make([]byte, 8)); n != 0 || !errors.Is(err, bad.err) {
				t.Fatalf("a read after the bad header returned %d, %v", n, err)
			}
		} else {
			if readErr != io.EOF || !bytes.Equal(got, stream) {
				t.Fatalf("read %d of %d bytes, then %v", len(got), len(stream), readErr)
			}
			if st := c.state(); st != want {
				t.Fatalf("stream % x cut by %v: scanner %+v, reference %+v", stream, chunks, st, want)
			}
		}

		// drain stops at the close frame, at the end of the stream, or at
		// the error, whichever comes first.
		d := newFrameLimitConn(&chunkedConn{stream: stream, sizes: chunks}, int(limit))
		fuzzing.Within(t, fuzzing.Deadline, "drain", d.drain)
		if wantClose := want.closeReceived; d.closeReceived != wantClose {
			t.Fatalf("drain: close received %v, want %v", d.closeReceived, wantClose)
		}
	})
}
