package integration

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Header rules of REST integrations, per integration type. Sources are in
// /work/notes/issue11-evidence.md (topics 3 and 4): AWS-REC is a recording
// against real API Gateway (LocalStack's AWS-validated snapshots
// test_apigateway_integrations.snapshot.json TestApiGatewayHeaderRemapping,
// 2024-07-17/18, and test_apigateway_http.snapshot.json, 2024-08-07); OBS is
// LocalStack's encoding of the same rules (next_gen/execute_api
// header_utils.py, handlers/integration_request.py).

// HeaderAPIID is the header API Gateway adds to HTTP integration requests
// (AWS-REC, exact case).
const HeaderAPIID = "X-Amzn-Apigateway-Api-Id"

// headerSet maps a canonical header name to the spelling AWS writes.
type headerSet map[string]string

func newHeaderSet(names ...string) headerSet {
	s := make(headerSet, len(names))
	for _, n := range names {
		s[http.CanonicalHeaderKey(n)] = n
	}
	return s
}

// lookup finds name in any spelling; CanonicalHeaderKey does not allocate
// for a name that is already canonical, which Go's header maps hold.
func (s headerSet) lookup(name string) (string, bool) {
	v, ok := s[http.CanonicalHeaderKey(name)]
	return v, ok
}

var (
	// forbiddenMapped: a request parameter mapping to one of these fails
	// the call with 500 at run time (the API accepts it at create time).
	// AWS-REC for every type: Content-Length, Transfer-Encoding; for AWS and
	// AWS_PROXY also the rest. Execution log (OBS): "Execution failed due to
	// configuration error: <name> header already present".
	forbiddenMapped    = newHeaderSet("Content-Length", "Transfer-Encoding")
	forbiddenMappedAWS = newHeaderSet("Content-Length", "Transfer-Encoding", "Authorization", "Connection", "Expect", "Proxy-Authenticate", "TE")

	// droppedMappedHTTP: mapped request headers an HTTP backend never gets
	// (AWS-REC: Connection, Expect, Proxy-Authenticate, TE, Via). Keep-Alive
	// and Proxy-Connection are connection-level here too — not recorded.
	// Trailer is a known gap: AWS-REC shows an HTTP backend receiving a
	// mapped Trailer, but Go's Request.Write refuses to send a Trailer header
	// without trailers, so the emulator cannot. Upgrade is sent, as recorded.
	droppedMappedHTTP = newHeaderSet("Connection", "Expect", "Proxy-Authenticate", "TE", "Via", "Keep-Alive", "Proxy-Connection", "Trailer")
	// droppedMappedAWS: Referer (OBS; the others OBS lists are forbidden
	// for AWS) and the connection-level headers.
	droppedMappedAWS = newHeaderSet("Referer", "Keep-Alive", "Proxy-Connection", "Trailer", "Upgrade", "Via")

	// droppedFromProxyRequest: client headers an HTTP_PROXY backend never
	// gets. AWS-REC (HTTP_PROXY recording): Connection, Content-Length
	// (recomputed), Content-MD5, Expect, Max-Forwards, Proxy-Authenticate,
	// Server, TE, Transfer-Encoding, Trailer, Upgrade, WWW-Authenticate,
	// Content-Encoding, Via; Host is the backend's. Keep-Alive,
	// Proxy-Authorization and Proxy-Connection are connection-level
	// credentials and state that never cross a proxy.
	droppedFromProxyRequest = newHeaderSet("Connection", "Content-Length", "Content-MD5", "Expect", "Max-Forwards",
		"Proxy-Authenticate", "Server", "TE", "Transfer-Encoding", "Trailer", "Upgrade", "WWW-Authenticate",
		"Host", "Content-Encoding", "Via", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection")
)

// responseRules say what happens to an integration's response header:
// renamed x-amzn-Remapped-<name>, dropped, or kept.
type responseRules struct {
	remap headerSet
	drop  headerSet
	// keepTE: TE means nothing in a response, and a non-proxy mapping
	// returns it as is (AWS-REC); proxies drop it with the other hop
	// headers.
	keepTE bool
}

var (
	// nonProxyRules apply to method.response.header mappings of HTTP and
	// AWS integrations. AWS-REC: these 14 are renamed and
	// Transfer-Encoding is dropped; Accept, Accept-Charset,
	// Accept-Encoding, Age, Content-Encoding, Content-Type, Pragma, Range,
	// Referer, TE, Warn are kept. x-amzn-RequestId and x-amz-apigw-id are
	// the gateway's own: renamed so they cannot collide (UNCONFIRMED for a
	// mapping; recorded for backend headers).
	nonProxyRules = &responseRules{
		remap: newHeaderSet("Authorization", "Connection", "Content-Length", "Content-MD5", "Date", "Expect", "Host",
			"Max-Forwards", "Proxy-Authenticate", "Server", "Trailer", "Upgrade", "User-Agent", "WWW-Authenticate",
			request.HeaderRequestID, request.HeaderAPIGWID),
		drop:   newHeaderSet("Transfer-Encoding"),
		keepTE: true,
	}
	// proxyRules apply to HTTP_PROXY backend headers and Lambda proxy
	// result headers. AWS-REC (HTTP_PROXY): the backend's Connection,
	// Content-Length, Date, Server and x-amzn-RequestId are renamed,
	// Transfer-Encoding dropped. x-amz-apigw-id, Authorization and
	// WWW-Authenticate: renamed as the spec (§9) and the older DOC list
	// say (OBS). Via: dropped (OBS, LocalStack). Content-Encoding is kept
	// (LocalStack drops it because its HTTP client decoded the body; this
	// gateway passes the body as received) — UNCONFIRMED.
	proxyRules = &responseRules{
		remap: newHeaderSet("Connection", "Content-Length", "Date", "Server", request.HeaderRequestID, request.HeaderAPIGWID,
			"Authorization", "WWW-Authenticate"),
		drop: newHeaderSet("Transfer-Encoding", "Via"),
	}
	// mockRules: a mock has no backend; its mapped headers follow the
	// rules common to every type (OBS, LocalStack: Connection,
	// Content-Length, Date, Server renamed; Transfer-Encoding dropped).
	mockRules = &responseRules{
		remap: newHeaderSet("Connection", "Content-Length", "Date", "Server", request.HeaderRequestID, request.HeaderAPIGWID),
		drop:  newHeaderSet("Transfer-Encoding"),
	}
)

// add puts one response header into out under the rules. Connection-level
// headers in any spelling never reach the client under their own name:
// net/http writes a non-canonical key as it is, and one left in a response
// would frame it twice (Content-Length and chunked), a response smuggling
// vector.
func (rr *responseRules) add(out http.Header, name string, values []string) {
	ck := http.CanonicalHeaderKey(name)
	if aws, ok := rr.remap[ck]; ok {
		out[request.RemappedPrefix+aws] = values
		return
	}
	if _, drop := rr.drop[ck]; drop || ck == "Content-Length" || (isHopHeader[ck] && !(rr.keepTE && ck == "Te")) {
		return
	}
	out[name] = values // as spelled: a Lambda result's names keep their case
}

// rulesFor returns the response header rules of a non-proxy integration.
func rulesFor(typ string) *responseRules {
	if typ == restapi.Mock {
		return mockRules
	}
	return nonProxyRules
}

// applyMappedHeaders sets the integration.request.header mappings on req
// for an integration of type typ: a forbidden one fails the call with a
// configuration error (500) before anything is sent, a dropped one is not
// sent. AWS_PROXY only checks them (OBS: it applies none). A mapping whose
// value is empty (an absent request header) sets nothing.
func applyMappedHeaders(req *http.Request, in *restapi.Integration, env *mapping.Env, typ string) error {
	forbidden, dropped := forbiddenMapped, droppedMappedHTTP
	if typ == restapi.AWS || typ == restapi.AWSProxy {
		forbidden, dropped = forbiddenMappedAWS, droppedMappedAWS
	}
	for target, src := range in.RequestParameters {
		name, ok := strings.CutPrefix(target, "integration.request.header.")
		if !ok {
			continue
		}
		v, ok := env.Resolve(src)
		if !ok || v == "" {
			continue
		}
		if _, bad := forbidden.lookup(name); bad {
			return fail(gatewayresponse.APIConfigurationError, fmt.Errorf("execution failed due to configuration error: %s header already present", name))
		}
		if _, drop := dropped.lookup(name); drop || req == nil {
			continue
		}
		if strings.EqualFold(name, "Host") {
			req.Host = v // AWS-REC: a mapped Host reaches the backend
			continue
		}
		req.Header.Set(name, v)
	}
	return nil
}

// addGatewayHeaders adds what API Gateway adds to every HTTP integration
// request, after the client's (HTTP_PROXY) and mapped headers (AWS-REC,
// topic 4a): Accept application/json and User-Agent
// AmazonAPIGateway_<apiId> when neither the client nor a mapping set one,
// and always X-Amzn-Trace-Id and X-Amzn-Apigateway-Api-Id.
func addGatewayHeaders(h http.Header, c *request.Context) {
	apiID := ""
	if c.API != nil {
		apiID = c.API.ID()
	}
	if len(h["Accept"]) == 0 {
		h.Set("Accept", request.DefaultMediaType)
	}
	if len(h["User-Agent"]) == 0 {
		h.Set("User-Agent", "AmazonAPIGateway_"+apiID)
	}
	h.Set(request.HeaderTraceID, c.TraceID)
	h.Set(HeaderAPIID, apiID)
}

// addForwardedHeaders adds the X-Forwarded-* headers of an HTTP_PROXY
// request: the client's X-Forwarded-For chain plus the client address
// (AWS-REC: the HTTP_PROXY backend saw a chain, the non-proxy HTTP backend
// none). X-Forwarded-Port and -Proto: AWS puts them on the requests it
// receives (AWS-REC, in the Lambda proxy event's headers) and HTTP_PROXY
// forwards request headers, but no recording isolates them on an HTTP_PROXY
// request — UNCONFIRMED. Here they describe the gateway's own listener.
func addForwardedHeaders(h http.Header, r *http.Request, c *request.Context) {
	if c.SourceIP != "" {
		if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
			h.Set("X-Forwarded-For", prior+", "+c.SourceIP)
		} else {
			h.Set("X-Forwarded-For", c.SourceIP)
		}
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		port = strconv.Itoa(addr.Port)
	} else if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	h.Set("X-Forwarded-Port", port)
	h.Set("X-Forwarded-Proto", proto)
}

// hasBody reports whether a client request of this method carries a body
// whose Content-Type a non-proxy integration request keeps (OBS, LocalStack;
// consistent with AWS-REC: a GET's Content-Type was not sent, a POST's was).
func hasBody(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}
