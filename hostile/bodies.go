package hostile

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Labels of the answers the body categories document.
const (
	badBody  = "400 BadRequestException" // BAD_REQUEST_BODY: the body could not be read
	tooLarge = "413"                     // REQUEST_TOO_LARGE, plain text, no x-amzn-ErrorType
)

// echoes checks that the fixture's /echo returned exactly body.
func echoes(body string) func(*response) string {
	return func(r *response) string {
		if !r.fromFixture() {
			return fmt.Sprintf("a %d not written by the fixture", r.status)
		}
		if string(r.body) != body {
			return fmt.Sprintf("the fixture echoed %.60q, want %.60q", r.body, body)
		}
		return ""
	}
}

func chunkedPost(target, chunked string, headers ...string) string {
	var b strings.Builder
	b.WriteString("POST " + target + " HTTP/1.1\r\nHost: gatecheck-hostile\r\nTransfer-Encoding: chunked\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n" + chunked)
	return b.String()
}

// Chunked sends valid but odd and invalid chunked encodings to /echo.
// Valid ones must reach the fixture decoded; invalid ones get 400.
func Chunked() Category {
	type variant struct {
		body string // the chunked encoding
		want string // the decoded body; "" with bad set
		bad  bool
		half bool // half-close after the (truncated) body
	}
	many := strings.Repeat("1\r\nx\r\n", 200)
	variants := []variant{
		{"3;ext=1\r\nabc\r\n0\r\n\r\n", "abc", false, false},
		{"3;a=\"b c\";d\r\nabc\r\n0\r\n\r\n", "abc", false, false},
		{"A\r\n0123456789\r\n0\r\n\r\n", "0123456789", false, false},
		{"0003\r\nabc\r\n0\r\n\r\n", "abc", false, false},
		{many + "0\r\n\r\n", strings.Repeat("x", 200), false, false},
		{"3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n", "abc", false, false},
		{"3 \r\nabc\r\n0\r\n\r\n", "abc", false, false},
		{"0\r\n\r\n", "", false, false},
		{"zz\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"0x3\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"-3\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"+3\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"3\r\nabcdef\r\n0\r\n\r\n", "", true, false},
		{"3\r\nabc0\r\n\r\n", "", true, false},
		{"3\nabc\r\n0\r\n\r\n", "", true, false},
		{"3\r\r\nabc\r\n0\r\n\r\n", "", true, false},
		{"3;" + strings.Repeat("e", 5000) + "\r\nabc\r\n0\r\n\r\n", "", true, false},
		// net/http reads trailers leniently and the gateway drops them
		// (RFC 9112 §7.1.2: a recipient may discard trailer fields).
		{"3\r\nabc\r\n0\r\nX T: 1\r\n\r\n", "abc", false, false},
		{"3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\n", "abc", false, false},
		{"5\r\nab", "", true, true},
		{"5\r\nhello\r\n", "", true, true},
		{"5\r\nhello", "", true, true},
	}
	return Category{
		Name:    "chunked",
		Allowed: []string{"200", badBody},
		Weight:  6,
		New: func(i int, env *Env) Probe {
			v := variants[i%len(variants)]
			raw := chunkedPost("/"+env.Stage+"/echo", v.body)
			label, check := "200", echoes(v.want)
			if v.bad {
				label, check = badBody, gatewayJSON("Invalid request body")
			}
			return Probe{Request: describe(raw), Allowed: []string{label}, Send: func(ctx context.Context, env *Env) Outcome {
				return singleX(ctx, exchange{addr: env.Gateway, payload: []byte(raw), methods: []string{"POST"}, halfClose: v.half}, check)
			}}
		},
	}
}

// ContentLengthTransferEncoding sends conflicting and malformed framing
// headers, each followed in the same write by a sentinel request. The
// gateway must frame the first request as RFC 9112 §6 says (chunked wins
// over Content-Length), and, if it keeps the connection open, answer the
// sentinel next: a framing disagreement shows as a wrong echo or as an
// answer to bytes of the body.
func ContentLengthTransferEncoding() Category {
	type variant struct {
		proto   string
		headers []string
		body    string
		label   string
		want    string // the echo for 200
	}
	const chunkedHello = "5\r\nhello\r\n0\r\n\r\n"
	variants := []variant{
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked", "Content-Length: 3"}, chunkedHello, "200", "hello"},
		{"HTTP/1.1", []string{"Content-Length: 3", "Transfer-Encoding: chunked"}, chunkedHello, "200", "hello"},
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked", "Content-Length: 100"}, chunkedHello, "200", "hello"},
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked", "Content-Length: abc"}, chunkedHello, "400", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"}, chunkedHello, "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked, chunked"}, chunkedHello, "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: gzip, chunked"}, chunkedHello, "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: identity", "Content-Length: 5"}, "hello", "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: xchunked"}, chunkedHello, "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: chunked;q=1"}, chunkedHello, "501", ""},
		{"HTTP/1.1", []string{"Transfer-Encoding: Chunked"}, chunkedHello, "200", "hello"},
		{"HTTP/1.1", []string{"Transfer-Encoding:  chunked\t"}, chunkedHello, "200", "hello"},
		{"HTTP/1.1", []string{"Content-Length: 5", "Content-Length: 5"}, "hello", "200", "hello"},
		{"HTTP/1.1", []string{"Content-Length: 5, 5"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: 5", "Content-Length: 6"}, "hello!", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: +5"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: -1"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: 0x5"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: 5.0"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length: 99999999999999999999"}, "hello", "400", ""},
		{"HTTP/1.1", []string{"Content-Length:  5 "}, "hello", "200", "hello"},
		// net/http ignores Transfer-Encoding on HTTP/1.0 (Go issue 12785);
		// the servers close after every HTTP/1.0 request, keep-alive or not.
		{"HTTP/1.0", []string{"Transfer-Encoding: chunked", "Content-Length: 5", "Connection: close"}, "hello", "200", "hello"},
		{"HTTP/1.0", []string{"Transfer-Encoding: chunked", "Connection: close"}, chunkedHello, "200", ""},
		{"HTTP/1.0", []string{"Transfer-Encoding: chunked", "Connection: keep-alive"}, chunkedHello, "200", ""},
		{"HTTP/1.0", []string{"Transfer-Encoding: chunked", "Content-Length: 5", "Connection: keep-alive"}, "hello", "200", "hello"},
	}
	return Category{
		Name:    "cl-te",
		Allowed: []string{"200", "400", "501"},
		Weight:  5,
		New: func(i int, env *Env) Probe {
			v := variants[i%len(variants)]
			var b strings.Builder
			b.WriteString("POST /" + env.Stage + "/echo " + v.proto + "\r\nHost: gatecheck-hostile\r\n")
			for _, h := range v.headers {
				b.WriteString(h + "\r\n")
			}
			b.WriteString("\r\n" + v.body)
			sentinel := fmt.Sprintf("/%s/inspect/sentinel-%d", env.Stage, i)
			raw := b.String() + rawGet(sentinel)
			var check func(*response) string
			switch v.label {
			case "200":
				check = echoes(v.want)
			case "400", "501":
				check = netHTTPText
			}
			return Probe{Request: describe(raw), Allowed: []string{v.label}, Send: func(ctx context.Context, env *Env) Outcome {
				rs, errL := roundTrip(ctx, exchange{addr: env.Gateway, payload: []byte(raw), methods: []string{"POST", "GET"}})
				if len(rs) == 0 {
					return Outcome{Label: errL}
				}
				o := Outcome{Label: rs[0].label(), Problem: check(rs[0])}
				if o.Problem != "" || rs[0].close {
					return o
				}
				if v.label == "200" && (v.proto == "HTTP/1.0" || hasChunked(v.headers)) {
					// RFC 9112 §6.1, §6.3: no request may follow one whose
					// framing a proxy could read otherwise (serving closes).
					o.Problem = "the connection stayed open after a request with ambiguous framing (HTTP/1.0, or Transfer-Encoding): what follows could be smuggled"
					return o
				}
				// The connection stayed open: the next answer must be the
				// sentinel's, nothing from the body.
				if len(rs) < 2 {
					o.Problem = "the connection stayed open but the sentinel request got " + errL
				} else if doc, p := inspected(rs[1]); p != "" {
					o.Problem = "the sentinel request got a wrong answer: " + p
				} else if doc.Request.Path != strings.TrimPrefix(sentinel, "/"+env.Stage) {
					o.Problem = fmt.Sprintf("the sentinel reached the fixture as %q", doc.Request.Path)
				}
				return o
			}}
		},
	}
}

// hasChunked reports a Transfer-Encoding header among headers.
func hasChunked(headers []string) bool {
	for _, h := range headers {
		if strings.HasPrefix(strings.ToLower(h), "transfer-encoding:") {
			return true
		}
	}
	return false
}

// pipelined is one request of a pipelined batch and how to judge its
// answer.
type pipelined struct {
	raw, method string
	label       string
	check       func(*response) string
}

// Pipelining writes several requests at once; every one must be answered,
// in order, up to a malformed or a chunked one, after which the connection
// closes.
func Pipelining() Category {
	return Category{
		Name:    "pipelining",
		Allowed: []string{InOrder},
		Weight:  6,
		New: func(i int, env *Env) Probe {
			rng := env.rng("pipelining", i)
			n := 2 + rng.IntN(7)
			var batch []pipelined
			for j := 0; j < n; j++ {
				last := j == n-1
				conn := "Connection: keep-alive"
				if last {
					conn = "Connection: close"
				}
				path := fmt.Sprintf("/%s/inspect/p%d-%d", env.Stage, i, j)
				switch rng.IntN(7) {
				case 0, 1:
					batch = append(batch, pipelined{rawKeep("GET", path, conn, ""), "GET", "200", inspectedAt(path, env.Stage)})
				case 2:
					batch = append(batch, pipelined{rawKeep("HEAD", path, conn, ""), "HEAD", "200", emptyBody})
				case 3:
					body := letters(rng.IntN(300), j)
					batch = append(batch, pipelined{rawKeep("POST", "/"+env.Stage+"/echo", conn, body), "POST", "200", echoes(body)})
				case 4:
					batch = append(batch, pipelined{rawKeep("GET", "/"+env.Stage+"/nothing", conn, ""), "GET", missingToken, gatewayJSON("Missing Authentication Token")})
				case 5:
					body := letters(1+rng.IntN(50), j)
					chunked := strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
					raw := "POST /" + env.Stage + "/echo HTTP/1.1\r\nHost: gatecheck-hostile\r\nTransfer-Encoding: chunked\r\n" + conn + "\r\n\r\n" + chunked
					batch = append(batch, pipelined{raw, "POST", "200", echoes(body)})
					j = n // the connection closes after a chunked request (serving): nothing after it is answered
				default:
					if j > 0 && rng.IntN(3) == 0 { // a malformed request ends the batch
						batch = append(batch, pipelined{"G(T / HTTP/1.1\r\nHost: x\r\n\r\n" + rawGet(path), "G(T", "400", netHTTPText})
						j = n // nothing after it is answered
					} else {
						batch = append(batch, pipelined{rawKeep("GET", "/"+env.Stage+"/status/404", conn, ""), "GET", "404", fromFixture})
					}
				}
			}
			var payload bytes.Buffer
			methods := make([]string, len(batch))
			for j, p := range batch {
				payload.WriteString(p.raw)
				methods[j] = p.method
			}
			return Probe{Request: describe(payload.String()), Allowed: []string{InOrder}, Send: func(ctx context.Context, env *Env) Outcome {
				rs, errL := roundTrip(ctx, exchange{addr: env.Gateway, payload: payload.Bytes(), methods: methods})
				for j, p := range batch {
					if j >= len(rs) {
						return Outcome{Label: errL, Problem: fmt.Sprintf("%d of %d pipelined requests answered", len(rs), len(batch))}
					}
					if got := rs[j].label(); got != p.label {
						return Outcome{Label: "out-of-order", Problem: fmt.Sprintf("request %d of %d (%s) got %s, want %s", j+1, len(batch), p.method, got, p.label)}
					}
					if problem := p.check(rs[j]); problem != "" {
						return Outcome{Label: "out-of-order", Problem: fmt.Sprintf("request %d of %d: %s", j+1, len(batch), problem)}
					}
				}
				return Outcome{Label: InOrder}
			}}
		},
	}
}

// rawKeep is a request with an explicit Connection header and body.
func rawKeep(method, target, conn, body string) string {
	cl := ""
	if body != "" || method == "POST" {
		cl = "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	return method + " " + target + " HTTP/1.1\r\nHost: gatecheck-hostile\r\n" + cl + conn + "\r\n\r\n" + body
}

// inspectedAt checks the inspect document names the path sent.
func inspectedAt(path, stage string) func(*response) string {
	return func(r *response) string {
		doc, p := inspected(r)
		if p == "" && doc.Request.Path != strings.TrimPrefix(path, "/"+stage) {
			p = fmt.Sprintf("answered for %q, sent %q", doc.Request.Path, path)
		}
		return p
	}
}

func emptyBody(r *response) string {
	if len(r.body) != 0 || !r.fromFixture() {
		return fmt.Sprintf("a HEAD answer with a body or not from the fixture: %.60q", r.body)
	}
	return ""
}

func fromFixture(r *response) string {
	if !r.fromFixture() {
		return fmt.Sprintf("a %d not written by the fixture", r.status)
	}
	return ""
}
