package hostile

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	gws "github.com/gorilla/websocket"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
)

// frame is one raw client frame.
type frame struct {
	fin      bool
	rsv      byte // the RSV1-3 bits, already shifted (0x70 for all three)
	opcode   byte
	unmasked bool
	payload  []byte
	// length, when non-negative, is announced instead of len(payload).
	length int64
}

func textFrame(s string) frame {
	return frame{fin: true, opcode: opText, payload: []byte(s), length: -1}
}

// bytes encodes f as a client sends it (masked unless unmasked is set).
func (f frame) bytes(rng *rand.Rand) []byte {
	b0 := f.rsv | f.opcode&0x0f
	if f.fin {
		b0 |= 0x80
	}
	n := f.length
	if n < 0 {
		n = int64(len(f.payload))
	}
	out := []byte{b0, 0}
	switch {
	case n <= 125:
		out[1] = byte(n)
	case n <= 0xffff:
		out[1] = 126
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out[1] = 127
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if f.unmasked {
		return append(out, f.payload...)
	}
	out[1] |= 0x80
	var key [4]byte
	binary.BigEndian.PutUint32(key[:], rng.Uint32())
	out = append(out, key[:]...)
	for i, c := range f.payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// frameSeq is a sequence of frames and the label the connection must
// end with; for WSReply, reply is the message whose reply must arrive.
type frameSeq struct {
	frames []frame
	label  string
	reply  string
}

func closeFrame(code int, reason string) frame {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return frame{fin: true, opcode: opClose, payload: append(p, reason...), length: -1}
}

// frameVariants are the WebSocket probes: protocol violations, limits,
// invalid UTF-8, binary data and odd but valid sequences.
func frameVariants(rng *rand.Rand, i int) frameSeq {
	const protocolError = "ws-close:1002"
	msg := fmt.Sprintf(`{"action":"reply","probe":%d}`, i)
	switch i % 16 {
	case 0: // reserved bits
		return frameSeq{frames: []frame{{fin: true, rsv: pick(rng, []byte{0x40, 0x20, 0x10, 0x70}), opcode: opText, payload: []byte(msg), length: -1}}, label: protocolError}
	case 1: // reserved opcodes
		return frameSeq{frames: []frame{{fin: true, opcode: pick(rng, []byte{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}), payload: []byte("x"), length: -1}}, label: protocolError}
	case 2: // unmasked client frame
		return frameSeq{frames: []frame{{fin: true, opcode: opText, unmasked: true, payload: []byte(msg), length: -1}}, label: protocolError}
	case 3: // fragmented or oversized control frames, broken close frames
		return frameSeq{frames: []frame{pick(rng, []frame{
			{fin: false, opcode: opPing, payload: []byte("p"), length: -1},
			{fin: true, opcode: opPing, payload: make([]byte, 126), length: -1},
			{fin: true, opcode: opClose, payload: []byte{3}, length: -1},
			closeFrame(pick(rng, []int{0, 999, 1004, 1005, 1006, 1015, 2999, 5000}), ""),
			closeFrame(1000, "\xff\xfe"),
		})}, label: protocolError}
	case 4: // continuation without a start, a new message inside a fragmented one
		return frameSeq{frames: pick(rng, [][]frame{
			{{fin: true, opcode: opContinuation, payload: []byte("x"), length: -1}},
			{{fin: false, opcode: opText, payload: []byte("ab"), length: -1}, {fin: true, opcode: opText, payload: []byte("cd"), length: -1}},
		}), label: protocolError}
	case 5: // a frame over the 32 KB frame limit
		return frameSeq{frames: []frame{{fin: true, opcode: opText, payload: []byte(letters(32<<10+1+rng.IntN(8<<10), i)), length: -1}}, label: WSClose(gws.CloseMessageTooBig)}
	case 6: // a frame header announcing a huge payload
		return frameSeq{frames: []frame{{fin: true, opcode: opText, length: pick(rng, []int64{1 << 20, 1 << 40, 1<<63 - 1})}}, label: WSClose(gws.CloseMessageTooBig)}
	case 7: // a message over 128 KB in frames under 32 KB
		var fs []frame
		for k := range 5 {
			op := byte(opText)
			if k > 0 {
				op = opContinuation
			}
			fs = append(fs, frame{fin: k == 4, opcode: op, payload: []byte(letters(30<<10, k)), length: -1})
		}
		return frameSeq{frames: fs, label: WSClose(gws.CloseMessageTooBig)}
	case 8: // text that is not UTF-8
		bad := pick(rng, []string{"\xff", "\xc0\xaf", "\xed\xa0\x80", "abc\xe2\x82", "\xf8\x88\x80\x80\x80", "\x80"})
		if rng.IntN(2) == 0 {
			return frameSeq{frames: []frame{textFrame(`{"action":"reply","data":"` + bad + `"}`)}, label: WSClose(gws.CloseInvalidFramePayloadData)}
		}
		return frameSeq{frames: []frame{{opcode: opText, payload: []byte("ok "), length: -1}, {fin: true, opcode: opContinuation, payload: []byte(bad), length: -1}}, label: WSClose(gws.CloseInvalidFramePayloadData)}
	case 9: // binary data
		if rng.IntN(2) == 0 {
			return frameSeq{frames: []frame{{fin: true, opcode: opBinary, payload: []byte(msg), length: -1}}, label: WSClose(gws.CloseUnsupportedData)}
		}
		return frameSeq{frames: []frame{{opcode: opBinary, payload: []byte("ab"), length: -1}, {fin: true, opcode: opContinuation, payload: []byte("cd"), length: -1}}, label: WSClose(gws.CloseUnsupportedData)}
	case 10: // a valid close: echoed
		code := pick(rng, []int{1000, 1001, 1003, 3000, 4000, 4999})
		return frameSeq{frames: []frame{closeFrame(code, pick(rng, []string{"", "bye", "ünïcode"}))}, label: WSClose(code)}
	case 11: // a close without a code
		return frameSeq{frames: []frame{{fin: true, opcode: opClose, length: -1}}, label: WSClose(gws.CloseNoStatusReceived)}
	case 12: // a ping flood, then a message: still answered
		fs := make([]frame, 50+rng.IntN(250))
		for k := range fs {
			fs[k] = frame{fin: true, opcode: opPing, payload: []byte(letters(rng.IntN(126), k)), length: -1}
		}
		return frameSeq{frames: append(fs, textFrame(msg)), label: WSReply, reply: msg}
	case 13: // a fragmented message split inside a UTF-8 character, a ping between
		m := fmt.Sprintf(`{"action":"reply","data":"€uro %d"}`, i)
		cut := strings.Index(m, "€") + 1
		return frameSeq{frames: []frame{
			{opcode: opText, payload: []byte(m[:cut]), length: -1},
			{fin: true, opcode: opPing, payload: []byte("mid"), length: -1},
			{opcode: opContinuation, length: -1},
			{fin: true, opcode: opContinuation, payload: []byte(m[cut:]), length: -1},
		}, label: WSReply, reply: m}
	case 14: // odd but valid messages go to $default, which replies
		m := pick(rng, []string{"", "not json", `{"action":"$connect"}`, `{"action":"nothing"}`, `{"action":123}`, "\x00\x01", `{"action":"` + letters(1000, i) + `"}`, `[1,2]`})
		return frameSeq{frames: []frame{textFrame(m)}, label: WSReply, reply: m}
	default: // a message at exactly the frame limit
		m := `{"action":"reply","data":"` + letters(32<<10-28, i) + `"}`
		return frameSeq{frames: []frame{textFrame(m)}, label: WSReply, reply: m}
	}
}

// WebSocketFrames connects to the WebSocket API and sends raw frames:
// protocol violations close with 1002, oversized frames and messages
// with 1009, text that is not UTF-8 with 1007, binary data with 1003; a
// client close is echoed; ping floods and odd valid messages leave the
// connection usable (the route's reply arrives).
func WebSocketFrames() Category {
	return Category{
		Name: "websocket-frames",
		Allowed: []string{"ws-close:1002", Closed, WSClose(gws.CloseMessageTooBig), WSClose(gws.CloseInvalidFramePayloadData), WSClose(gws.CloseUnsupportedData),
			WSClose(1000), WSClose(1001), WSClose(1003), WSClose(3000), WSClose(4000), WSClose(4999), WSClose(gws.CloseNoStatusReceived), WSReply},
		Weight: 10,
		New: func(i int, env *Env) Probe {
			rng := env.rng("websocket-frames", i)
			seq := frameVariants(rng, i)
			allowed := []string{seq.label}
			if seq.label == "ws-close:1002" {
				// RFC 6455 §7.1.7: failing the connection may skip the close frame.
				allowed = append(allowed, Closed)
			}
			var wire []byte
			for _, f := range seq.frames {
				wire = append(wire, f.bytes(rng)...)
			}
			desc := fmt.Sprintf("%d frame(s), %d bytes: %s", len(seq.frames), len(wire), describe(string(wire)))
			return Probe{Request: desc, Allowed: allowed, Send: func(ctx context.Context, env *Env) Outcome {
				return sendFrames(ctx, env, wire, seq.label == WSReply, seq.reply)
			}}
		},
	}
}

// sendFrames opens a connection, writes wire and reads until the
// connection ends or, when wantReply is set, the reply document for
// reply arrives.
func sendFrames(ctx context.Context, env *Env, wire []byte, wantReply bool, reply string) Outcome {
	ws, o := dialWebSocket(ctx, env)
	if ws == nil {
		return o
	}
	defer ws.Close()
	if _, err := ws.NetConn().Write(wire); err != nil && wantReply {
		return Outcome{Label: errLabel(err)}
	}
	// Pongs are handled inside ReadMessage; the first data frame or the
	// end of the connection decides.
	kind, data, err := ws.ReadMessage()
	var ce *gws.CloseError
	switch {
	case errors.As(err, &ce):
		return Outcome{Label: WSClose(ce.Code)}
	case err != nil:
		return Outcome{Label: errLabel(err)}
	case kind != gws.TextMessage:
		return Outcome{Label: "ws-binary", Problem: "the gateway sent a binary frame"}
	case !wantReply:
		return Outcome{Label: "ws-message", Problem: fmt.Sprintf("a frame where the connection should end: %.80q", data)}
	}
	return Outcome{Label: WSReply, Problem: replyProblem(data, reply)}
}

// replyProblem checks a reply frame is the fixture's reply document for
// message.
func replyProblem(data []byte, message string) string {
	var doc struct {
		EventType string `json:"eventType"`
		Body      string `json:"body"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.EventType != "MESSAGE" {
		return fmt.Sprintf("not the reply document: %.80q", data)
	}
	if doc.Body != message {
		return fmt.Sprintf("the reply is for %.60q, sent %.60q", doc.Body, message)
	}
	return ""
}

// dialWebSocket opens a connection to the WebSocket API's stage with its
// API key; on failure it returns the outcome of the handshake.
func dialWebSocket(ctx context.Context, env *Env) (*gws.Conn, Outcome) {
	d := gws.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: (&net.Dialer{}).DialContext}
	ws, resp, err := d.DialContext(ctx, "ws://"+env.WebSocket+"/"+env.WebSocketStage, http.Header{"X-Api-Key": {env.WebSocketAPIKey}})
	if err != nil {
		if resp != nil {
			return nil, Outcome{Label: fmt.Sprintf("handshake %d", resp.StatusCode), Problem: "the handshake was refused"}
		}
		return nil, Outcome{Label: errLabel(err), Problem: "the handshake failed: " + err.Error()}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.NetConn().SetDeadline(dl)
	}
	return ws, Outcome{}
}

// WebSocketHandshakes sends invalid and refused handshakes: 426 without
// an upgrade, 400 for a malformed one, 403 for an unknown stage or a
// missing or wrong API key, and the $connect integration's own refusal
// (?reject= or a bad ?delayMs=, fixtures/README.md), 5xx included when
// the integration is asked to fail.
func WebSocketHandshakes() Category {
	const (
		key     = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
		upgrade = "Upgrade: websocket"
		connUp  = "Connection: Upgrade"
		version = "Sec-WebSocket-Version: 13"
	)
	return Category{
		Name:    "websocket-handshakes",
		Allowed: []string{"426", "400 BadRequestException", "403 ForbiddenException", "400", "401", "403", "429", "500", "503"},
		Weight:  5,
		New: func(i int, env *Env) Probe {
			rng := env.rng("websocket-handshakes", i)
			apiKey := "x-api-key: " + env.WebSocketAPIKey
			stage := "/" + env.WebSocketStage
			req := func(method, target string, headers ...string) string {
				var b strings.Builder
				b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + env.WebSocket + "\r\n")
				for _, h := range headers {
					b.WriteString(h + "\r\n")
				}
				return b.String() + "\r\n"
			}
			var raw, label string
			check := func(r *response) string { return jsonMessage(r, "") }
			switch i % 8 {
			case 0:
				raw, label = req("GET", stage, pick(rng, []string{"Connection: close", "Connection: keep-alive", connUp}), apiKey), "426"
			case 1:
				raw = req(pick(rng, []string{"POST", "PUT", "DELETE"}), stage, upgrade, connUp, version, key, apiKey, "Content-Length: 0")
				label = "400 BadRequestException"
			case 2:
				raw = req("GET", stage, upgrade, connUp, pick(rng, []string{"Sec-WebSocket-Version: 12", "Sec-WebSocket-Version: abc", "X-No-Version: 1"}), key, apiKey)
				label = "400 BadRequestException"
			case 3:
				raw = req("GET", stage, upgrade, connUp, version, pick(rng, []string{"Sec-WebSocket-Key: abc", "Sec-WebSocket-Key: !!!!", "X-No-Key: 1", "Sec-WebSocket-Key: " + strings.Repeat("QUFB", 8)}), apiKey)
				label = "400 BadRequestException"
			case 4:
				raw = req("GET", pick(rng, []string{"/nostage", "/WS", stage + "/extra/path", "/" + letters(40, i)}), upgrade, connUp, version, key, apiKey)
				label = "403 ForbiddenException"
			case 5:
				raw = req("GET", stage, upgrade, connUp, version, key, pick(rng, []string{"x-api-key: wrong", "x-api-key: ", "X-Other: 1", "x-api-key: " + strings.ToLower(env.WebSocketAPIKey)}))
				label = "403 ForbiddenException"
			case 6: // the $connect integration refuses, as asked
				status := pick(rng, []string{"400", "401", "403", "429", "500", "503"})
				raw, label = req("GET", stage+"?reject="+status, upgrade, connUp, version, key, apiKey), status
			default: // the $connect integration gets a bad parameter
				raw = req("GET", stage+"?"+pick(rng, []string{"delayMs=abc", "delayMs=99999999", "delayMs=-1", "reject=abc", "reject=200", "reject=600"}), upgrade, connUp, version, key, apiKey)
				label = "400"
			}
			return addrProbe(raw, env.WebSocket, label, check)
		},
	}
}
