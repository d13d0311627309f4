package hostile

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Labels of the SigV4 answers (gateway/sigv4's ErrorType mapping).
const (
	sigMissing      = "403 MissingAuthenticationTokenException"
	sigIncomplete   = "403 IncompleteSignatureException"
	sigUnrecognized = "403 UnrecognizedClientException"
	sigInvalid      = "403 InvalidSignatureException"
)

// InvalidPatchBodies are request bodies that are not a valid UpdateStage
// patch document: none of them may ever decode, or a probe would change
// the stage it is sent to.
var InvalidPatchBodies = []string{
	"", "{", "{{{", "[", "]", "nul", "tru", `{"patchOperations":`, `{"patchOperations":[{"op":"replace","path":"/variables/x","value":"y"}`,
	`{"patchOperations":"x"}`, `{"patchOperations":[{"op":1}]}`, `{"patchOperations":[1,2]}`, "\xff\xfe{}", `{"a":1,}`, `{'a':1}`,
	`{"patchOperations":[{"op":"replace","path":"/variables/x","value":"\ud800"}`, "}", `{"patchOperations":{}}`, `[{"op":"replace"}]`,
	strings.Repeat("[", 20000),
}

// Management sends invalid JSON and odd calls to the management API:
// unsigned 403, signed 400 for a body that is not JSON, 404 for a stage
// or path that does not exist.
func Management() Category {
	return Category{
		Name:    "management",
		Allowed: []string{sigMissing, "400 BadRequestException", "404 NotFoundException"},
		Weight:  4,
		New: func(i int, env *Env) Probe {
			rng := env.rng("management", i)
			body := pick(rng, InvalidPatchBodies)
			stagePath := "/restapis/" + env.APIID + "/stages/" + env.Stage
			switch i % 4 {
			case 0:
				raw := fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", stagePath, env.Management, len(body), body)
				return addrProbe(raw, env.Management, sigMissing, func(r *response) string { return jsonMessage(r, "Missing Authentication Token") })
			case 1, 2:
				raw := signedRequest{method: "PATCH", addr: env.Management, path: stagePath, body: []byte(body), service: "apigateway"}.raw(env)
				return addrProbe(raw, env.Management, "400 BadRequestException", func(r *response) string {
					if p := jsonMessage(r, ""); p != "" {
						return p
					}
					if !strings.Contains(string(r.body), "Invalid patch request") {
						return fmt.Sprintf("not the invalid-patch message: %.80q", r.body)
					}
					return ""
				})
			default:
				path := pick(rng, []string{"/restapis/" + env.APIID + "/stages/no-such-stage", "/nothing/here", "/restapis", "/usageplans/x/y/z"})
				raw := signedRequest{method: "PATCH", addr: env.Management, path: path, body: []byte(body), service: "apigateway"}.raw(env)
				return addrProbe(raw, env.Management, "404 NotFoundException", func(r *response) string { return jsonMessage(r, "") })
			}
		},
	}
}

// ManagementLargeBodies sends management calls with bodies over 1 MiB:
// signed, 413 (the emulator's answer; the apigateway model has none);
// unsigned, 403 before the body is read.
func ManagementLargeBodies() Category {
	const tooLarge = "413 PayloadTooLargeException"
	return Category{
		Name:      "management-large-bodies",
		Allowed:   []string{tooLarge, sigMissing},
		Weight:    1,
		MaxProbes: 32,
		New: func(i int, env *Env) Probe {
			rng := env.rng("management-large-bodies", i)
			size := 1<<20 + 1 + rng.IntN(64<<10)
			stagePath := "/restapis/" + env.APIID + "/stages/" + env.Stage
			switch i % 4 {
			case 2: // unsigned: refused from its header; only its first bytes are sent
				raw := fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", stagePath, env.Management, size, strings.Repeat("{", 1000))
				return addrProbe(raw, env.Management, sigMissing, func(r *response) string { return jsonMessage(r, "Missing Authentication Token") })
			case 3: // too long even to authenticate: refused from its header
				headerOnly := int64(1<<20+16<<20+1) + rng.Int64N(1<<30)
				raw := signedRequest{method: "PATCH", addr: env.Management, path: stagePath, service: "apigateway", headerOnly: headerOnly}.raw(env)
				return addrProbe(raw, env.Management, tooLarge, func(r *response) string { return jsonMessage(r, "") })
			}
			return Probe{Request: fmt.Sprintf("signed PATCH %s with a %d-byte body", stagePath, size), Allowed: []string{tooLarge},
				Send: func(ctx context.Context, env *Env) Outcome {
					// Built when sent, so that probes waiting in the queue hold no body.
					raw := signedRequest{method: "PATCH", addr: env.Management, path: stagePath, body: []byte(strings.Repeat("{", size)), service: "apigateway"}.raw(env)
					return single(ctx, env.Management, raw, func(r *response) string { return jsonMessage(r, "") })
				}}
		},
	}
}

// addrProbe sends raw to addr and allows label, judged by check.
func addrProbe(raw, addr, label string, check func(*response) string) Probe {
	return Probe{Request: describe(raw), Allowed: []string{label}, Send: func(ctx context.Context, env *Env) Outcome {
		return single(ctx, addr, raw, check)
	}}
}

// sigVariant is a malformed or wrong signature and its error type.
type sigVariant struct {
	want string
	// make returns the headers and query to send at time now.
	make func(env *Env, service string, now time.Time, rng *rand.Rand) (headers []string, query string)
}

func credential(akid string, day, region, service, term string) string {
	return akid + "/" + day + "/" + region + "/" + service + "/" + term
}

// sigVariants are malformed Authorization headers and presigned queries.
func sigVariants() []sigVariant {
	hdr := func(akid string, at time.Time, region, service, term, signed, sig string, dateHeader bool) []string {
		h := []string{"Authorization: " + authorization(credential(akid, amzDate(at)[:8], region, service, term), signed, sig)}
		if dateHeader {
			h = append(h, "X-Amz-Date: "+amzDate(at))
		}
		return h
	}
	known := func(env *Env) string { return env.Credentials.AccessKeyID }
	presign := func(alg, akid string, at time.Time, region, service, expires, sig string) string {
		q := "X-Amz-Algorithm=" + alg + "&X-Amz-Credential=" + strings.ReplaceAll(credential(akid, amzDate(at)[:8], region, service, "aws4_request"), "/", "%2F") +
			"&X-Amz-Date=" + amzDate(at) + "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig
		if expires != "" {
			q += "&X-Amz-Expires=" + expires
		}
		return q
	}
	return []sigVariant{
		{sigMissing, func(*Env, string, time.Time, *rand.Rand) ([]string, string) { return nil, "" }},
		{sigIncomplete, func(_ *Env, _ string, _ time.Time, rng *rand.Rand) ([]string, string) {
			return []string{"Authorization: Bearer " + letters(1+rng.IntN(200), rng.IntN(26))}, ""
		}},
		{sigIncomplete, func(*Env, string, time.Time, *rand.Rand) ([]string, string) {
			return []string{"Authorization: Basic dXNlcjpwYXNz"}, ""
		}},
		{sigIncomplete, func(*Env, string, time.Time, *rand.Rand) ([]string, string) {
			return []string{"Authorization: AWS4-HMAC-SHA256"}, ""
		}},
		{sigIncomplete, func(env *Env, _ string, now time.Time, _ *rand.Rand) ([]string, string) {
			return []string{"Authorization: " + authorization(known(env)+"/x", "host;x-amz-date", zeroSignature), "X-Amz-Date: " + amzDate(now)}, ""
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, false), "" // no X-Amz-Date
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return append(hdr(known(env), now, env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, false), "X-Amz-Date: 2020-01-01T00:00:00Z"), ""
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "Host;X-Amz-Date", zeroSignature, true), ""
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "host;x-amz-date", "not-hex", true), ""
		}},
		{sigUnrecognized, func(env *Env, service string, now time.Time, rng *rand.Rand) ([]string, string) {
			return hdr("AKIAUNKNOWN"+strings.ToUpper(letters(9, rng.IntN(26))), now, env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, _ string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, "s3", "aws4_request", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, service string, _ time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now.Add(time.Hour), env.Region, service, "aws4_request", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return []string{"Authorization: " + authorization(credential(known(env), "20200101", env.Region, service, "aws4_request"), "host;x-amz-date", zeroSignature), "X-Amz-Date: " + amzDate(now)}, ""
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "x-amz-date", zeroSignature, true), "" // host not signed
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_requestx", "host;x-amz-date", zeroSignature, true), ""
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return hdr(known(env), now, env.Region, service, "aws4_request", "host", zeroSignature, true), "" // X-Amz-Date sent, not signed
		}},
		{sigIncomplete, func(*Env, string, time.Time, *rand.Rand) ([]string, string) {
			return nil, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return nil, presign("AWS4-HMAC-SHA512", known(env), now, env.Region, service, "60", zeroSignature)
		}},
		{sigIncomplete, func(env *Env, service string, now time.Time, rng *rand.Rand) ([]string, string) {
			return nil, presign("AWS4-HMAC-SHA256", known(env), now, env.Region, service, pick(rng, []string{"0", "abc", "700000", "-5"}), zeroSignature)
		}},
		{sigInvalid, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return nil, presign("AWS4-HMAC-SHA256", known(env), now, env.Region, service, "60", zeroSignature)
		}},
		{sigInvalid, func(env *Env, service string, _ time.Time, _ *rand.Rand) ([]string, string) {
			return nil, presign("AWS4-HMAC-SHA256", known(env), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), env.Region, service, "60", zeroSignature)
		}},
		{sigUnrecognized, func(env *Env, service string, now time.Time, _ *rand.Rand) ([]string, string) {
			return nil, presign("AWS4-HMAC-SHA256", "AKIANOBODY", now, env.Region, service, "60", zeroSignature)
		}},
	}
}

// SigV4 sends malformed Authorization headers and presigned queries to
// the management API and the @connections API, and non-SigV4
// Authorization headers to unknown REST routes: 403 with the
// x-amzn-ErrorType of the fault.
func SigV4() Category {
	variants := sigVariants()
	return Category{
		Name:    "sigv4",
		Allowed: []string{sigMissing, sigIncomplete, sigUnrecognized, sigInvalid},
		Weight:  6,
		New: func(i int, env *Env) Probe {
			rng := env.rng("sigv4", i)
			now := time.Now().UTC()
			switch i % 7 {
			case 5: // a correctly signed call sent to another path
				raw := signedRequest{method: "GET", addr: env.Management, path: "/usageplans", service: "apigateway", sendPath: "/apikeys"}.raw(env)
				return addrProbe(raw, env.Management, sigInvalid, func(r *response) string { return jsonMessage(r, "") })
			case 6: // REST: a non-SigV4 Authorization on an unknown route (spec §9)
				target := "/" + env.Stage + "/nothing/" + letters(1+rng.IntN(20), i)
				if rng.IntN(2) == 0 {
					raw := rawGet(target, "Authorization: Bearer "+letters(1+rng.IntN(100), i))
					return rawProbe(raw, sigIncomplete, func(r *response) string { return jsonMessage(r, "") })
				}
				raw := rawGet(target, "Authorization: "+authorization(credential("AKIAX", "20200101", "us-east-1", "execute-api", "aws4_request"), "host", zeroSignature))
				return rawProbe(raw, sigMissing, gatewayJSON("Missing Authentication Token"))
			}
			v := variants[(i/7*5+i%7)%len(variants)]
			addr, service, method, path, body := env.Management, "apigateway", "GET", "/usageplans", ""
			if i%7 >= 3 { // the @connections API
				addr, service, method, path, body = env.WebSocket, "execute-api", "POST", "/"+env.WebSocketStage+"/@connections/"+letters(16, i), "hi"
			}
			headers, query := v.make(env, service, now, rng)
			target := path
			if query != "" {
				target += "?" + query
			}
			var b strings.Builder
			b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\n")
			for _, h := range headers {
				b.WriteString(h + "\r\n")
			}
			fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
			return addrProbe(b.String(), addr, v.want, func(r *response) string { return jsonMessage(r, "") })
		},
	}
}

// APIKeys sends missing, malformed, unknown, disabled and misplaced API
// keys to the routes that require one: 403 INVALID_API_KEY, or net/http's
// 400 for a key net/http cannot read as a header value.
func APIKeys() Category {
	keys := []string{"", " ", "abc", "gatecheckvalidkey0000000003", "gatecheckValidKey0000000003X", "gatecheck ValidKey0000000003",
		"gatecheckDisabledKey0000004", "gatecheckOtherStageKey00005", "ключ-ключ-ключ-ключ-ключ", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef\xee\xed\xec",
		"gatecheck\"ValidKey'0000000003", "gatecheckValidKey0000000003;", "*", "%00", "../../keys", "null"}
	return Category{
		Name:    "api-keys",
		Allowed: []string{"403 ForbiddenException", "400"},
		Weight:  5,
		New: func(i int, env *Env) Probe {
			rng := env.rng("api-keys", i)
			route := "/" + env.Stage + pick(rng, []string{"/keyed", "/keyed-method"})
			var raw string
			switch i % 6 {
			case 0: // no key at all, or one in the wrong place
				raw = rawGet(pick(rng, []string{route, route + "?x-api-key=gatecheckValidKey0000000003", route + "?api_key=gatecheckValidKey0000000003"}),
					pick(rng, []string{"X-Api-Key-Alt: gatecheckValidKey0000000003", "Authorization: gatecheckValidKey0000000003", "X-Gatecheck-Hostile: 1"}))
			case 1: // a key net/http cannot read: a control byte
				raw = rawGet(route, "x-api-key: gatecheck\x01ValidKey0000000003")
				return rawProbe(raw, "400", netHTTPText)
			case 2: // random keys, 1 to 2,000 characters
				raw = rawGet(route, "x-api-key: "+randomKey(rng, 1+rng.IntN(2000)))
			default:
				raw = rawGet(route, "x-api-key: "+pick(rng, keys))
			}
			return rawProbe(raw, "403 ForbiddenException", gatewayJSON("Forbidden"))
		},
	}
}

func randomKey(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
