package hostile

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SlowBodies sends headers that announce a body (up to the 10 MB limit)
// and then too little of it, or a request cut off in its headers, and
// waits: the servers' header and body deadlines must end the request
// (400 or a closed connection), reserving no memory for what was only
// announced. Each probe lasts a deadline, so the category is capped.
func SlowBodies() Category {
	return Category{
		Name:      "slow-bodies",
		Allowed:   []string{badBody, "400 BadRequestException", "400", Closed},
		Weight:    1,
		MaxProbes: 64,
		New: func(i int, env *Env) Probe {
			rng := env.rng("slow-bodies", i)
			// Mostly the largest body the gateway accepts: memory reserved
			// for what is only announced would show in the peak.
			declared := pick(rng, []int{1000, 1 << 20, 10 << 20, 10 << 20, 10 << 20})
			sent := letters(rng.IntN(min(declared, 64)), i)
			switch i % 5 {
			case 0, 1: // Content-Length announced, body cut short
				raw := fmt.Sprintf("POST /%s/echo HTTP/1.1\r\nHost: gatecheck-hostile\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", env.Stage, declared, sent)
				return slowProbe(raw, env.Gateway, badBody, gatewayJSON("Invalid request body"))
			case 2: // chunked, a chunk cut short
				raw := chunkedPost("/"+env.Stage+"/echo", strconv.FormatInt(int64(declared), 16)+"\r\n"+sent)
				return slowProbe(raw, env.Gateway, badBody, gatewayJSON("Invalid request body"))
			case 3: // a signed management call whose body never arrives
				raw := signedRequest{method: "PATCH", addr: env.Management, path: "/restapis/" + env.APIID + "/stages/" + env.Stage, service: "apigateway", headerOnly: int64(declared)}.raw(env)
				return slowProbe(raw, env.Management, "400 BadRequestException", func(r *response) string { return jsonMessage(r, "") })
			default: // cut off in the request line or the headers: the header deadline ends it
				if rng.IntN(2) == 0 {
					// net/http parses the partial request line it has at the
					// deadline, and refuses it.
					return slowProbe("GET /"+env.Stage+"/insp", env.Gateway, "400", netHTTPText)
				}
				return slowProbe("GET /"+env.Stage+"/inspect HTTP/1.1\r\nHost: gatecheck-hostile\r\nX-Slow: abc", env.Gateway, Closed, nil)
			}
		},
	}
}

// slowProbe sends raw and waits for the server to give up on it.
func slowProbe(raw, addr, label string, check func(*response) string) Probe {
	allowed := []string{label}
	if label != Closed {
		allowed = append(allowed, Closed)
	}
	return Probe{Request: describe(raw), Allowed: allowed, Send: func(ctx context.Context, env *Env) Outcome {
		start := time.Now()
		o := singleX(ctx, exchange{addr: addr, payload: []byte(raw), methods: []string{methodOf(raw)}}, check)
		// The deadline, not something else, must end it (closed included).
		if took := time.Since(start); o.Problem == "" && env.ServerDeadline > 0 && took < env.ServerDeadline-100*time.Millisecond {
			o.Problem = fmt.Sprintf("ended after %v, before the servers' %v deadline", took.Round(time.Millisecond), env.ServerDeadline)
		}
		return o
	}}
}

// LargeBodies announces bodies over the 10 MB payload limit: 413 at
// once, before any of the body is read or reserved.
func LargeBodies() Category {
	return Category{
		Name:    "large-bodies",
		Allowed: []string{tooLarge},
		Weight:  3,
		New: func(i int, env *Env) Probe {
			rng := env.rng("large-bodies", i)
			n := pick(rng, []int64{10<<20 + 1, 11 << 20, 1 << 30, 1 << 40, 1<<63 - 1})
			target := "/" + env.Stage + pick(rng, []string{"/echo", "/inspect/big", "/nothing"})
			raw := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: gatecheck-hostile\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", target, n, letters(rng.IntN(1000), i))
			return rawProbe(raw, tooLarge, func(r *response) string {
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || string(r.body) != "HTTP content length exceeded 10485760 bytes." {
					return fmt.Sprintf("not the plain-text 413 (Content-Type %q, body %.60q)", ct, r.body)
				}
				return ""
			})
		},
	}
}
