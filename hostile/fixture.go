package hostile

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// FixtureParameters sends the fixture's own endpoints bad parameters,
// directly and through the gateway: 400 naming the parameter
// (fixtures/README.md), 404 for a route the fixture does not have.
func FixtureParameters() Category {
	badNumbers := []string{"abc", "-1", "1e3", "0x10", "99999999999999999999", "1.5", "%20", "5%00", "%2B"}
	tooLarge := map[string]string{"/delay/": "600001", "/status/": "600", "/bytes/": "67108865"}
	wsEvent := func(headers []string, body string) string {
		var b strings.Builder
		b.WriteString("POST /ws/events HTTP/1.1\r\nHost: gatecheck-hostile\r\n")
		for _, h := range headers {
			b.WriteString(h + "\r\n")
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		return b.String()
	}
	const conn = "X-Gatecheck-Connection-Id: hostile-nobody"
	direct := []struct {
		raw, label string
	}{
		{rawGet("/ws/events"), "400"},
		{rawGet("/ws/callbacks"), "400"},
		{wsEvent(nil, ""), "400"},
		{wsEvent([]string{conn}, ""), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: BOGUS"}, ""), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: MESSAGE", "X-Gatecheck-Route-Key: burst"}, `{"count":"abc"}`), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: MESSAGE", "X-Gatecheck-Route-Key: burst"}, `{"count":0}`), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: MESSAGE", "X-Gatecheck-Route-Key: delayed"}, `{"delayMs":99999}`), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: MESSAGE", "X-Gatecheck-Route-Key: slow"}, `{"delayMs":-1}`), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: MESSAGE", "X-Gatecheck-Route-Key: echo"}, `{"data":"x"}`), "400"}, // no stage to call back
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: CONNECT", "X-Gatecheck-Delay-Ms: 99999999"}, ""), "400"},
		{wsEvent([]string{conn, "X-Gatecheck-Event-Type: CONNECT", "X-Gatecheck-Reject: abc"}, ""), "400"},
		{wsEvent([]string{"X-Gatecheck-Connection-Id: " + strings.Repeat("c", 300), "X-Gatecheck-Event-Type: CONNECT"}, ""), "400"},
		{rawRequest("POST", "/2015-03-31/functions/x/invocations", "HTTP/1.1", "Content-Length: 3") + "abc", "400 InvalidRequestContentException"},
		{rawRequest("POST", "/2015-03-31/functions/x/invocations", "HTTP/1.1", "Content-Length: 2") + "[]", "400 InvalidRequestContentException"},
		{rawRequest("POST", "/2015-03-31/functions/x/invocations", "HTTP/1.1", "Content-Length: 42") + `{"queryStringParameters":{"delayMs":"-5"}}`, "400 InvalidRequestContentException"},
		{rawGet("/2015-03-31/functions/x/invocations"), "404"},
		{rawGet("/nothing"), "404"},
		{rawRequest("DELETE", "/counters", "HTTP/1.1"), "404"},
		{rawGet("/counters/reset"), "404"},
	}
	return Category{
		Name:    "fixture-parameters",
		Allowed: []string{"400", "400 InvalidRequestContentException", "404"},
		Weight:  5,
		New: func(i int, env *Env) Probe {
			rng := env.rng("fixture-parameters", i)
			if i%2 == 0 {
				d := direct[(i/2)%len(direct)]
				return Probe{Request: describe(d.raw), Allowed: []string{d.label}, Send: func(ctx context.Context, env *Env) Outcome {
					return single(ctx, env.Fixture, d.raw, fixtureMessage)
				}}
			}
			// Through the gateway: bad path parameters reach the fixture's
			// /delay, /status and /bytes, whose 400 passes through.
			route := pick(rng, []string{"/delay/", "/status/", "/bytes/"})
			n := pick(rng, badNumbers)
			if rng.IntN(4) == 0 {
				n = tooLarge[route]
			}
			raw := rawGet("/" + env.Stage + route + n)
			return rawProbe(raw, "400", fixtureMessage)
		},
	}
}

// fixtureMessage checks that the fixture wrote r as a JSON message.
func fixtureMessage(r *response) string {
	if !r.fromFixture() {
		return fmt.Sprintf("a %d not written by the fixture", r.status)
	}
	return jsonMessage(r, "")
}

// FailingIntegrations asks the integrations to fail: a Lambda proxy
// result that is not a valid result document (502, spec §9) and an HTTP
// integration nothing listens on (504 INTEGRATION_FAILURE). These are
// the only gateway-made 5xx the suite allows.
func FailingIntegrations() Category {
	results := []string{"\x00garbage", `{"statusCode": 200,`, `"hello"`, `{"statusCode":"test"}`, `{"statusCode":200,"wrongValue":"v"}`,
		`{"statusCode":200,"multiValueHeaders":{"a":"b"}}`, "[1,2,3]", "12", "null", `{"statusCode":99999999999999999999}`}
	return Category{
		Name:    "failing-integrations",
		Allowed: []string{"502 InternalServerErrorException", "504 InternalServerErrorException"},
		Weight:  2,
		New: func(i int, env *Env) Probe {
			rng := env.rng("failing-integrations", i)
			switch i % 4 {
			case 0:
				raw := rawGet("/" + env.Stage + "/unreachable")
				return rawProbe(raw, "504 InternalServerErrorException", gatewayJSON(""))
			case 1:
				raw := rawGet("/" + env.Stage + "/lambda?result=" + pick(rng, []string{"unknown-key", "empty-object-x", "bare-string", "no-such-result", "function-error", "invalid-json"}))
				return rawProbe(raw, "502 InternalServerErrorException", gatewayJSON("Internal server error"))
			default:
				result := pick(rng, results)
				if rng.IntN(3) == 0 { // random bytes after a NUL: never JSON
					b := make([]byte, 1+rng.IntN(200))
					for k := range b {
						b[k] = byte(rng.IntN(256))
					}
					result = "\x00" + string(b)
				}
				raw := rawGet("/"+env.Stage+"/lambda", "X-Gatecheck-Lambda-Result: "+base64.StdEncoding.EncodeToString([]byte(result)))
				return rawProbe(raw, "502 InternalServerErrorException", gatewayJSON("Internal server error"))
			}
		},
	}
}
