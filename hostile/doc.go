// Package hostile is gatecheck's hostile-input suite: categories of
// malformed and odd requests sent to the reference gateway (REST,
// management, WebSocket and @connections listeners) and to the fixture,
// each with the answers it documents. `gatecheck hostile` runs it against
// the two as child processes and adds what a library cannot see: no panic
// in their logs, their peak memory under a bound, and normal traffic
// served afterwards.
//
// A probe is one request written raw on its own connection (net/http's
// client cannot send most of them), a pipelined batch, or a WebSocket
// connection fed raw frames. Every read and write has a deadline. A
// probe's outcome is a label: the status code with the x-amzn-ErrorType
// when the answer has one ("403 ForbiddenException"), "closed" (the
// connection closed without an answer), "ws-close:N" (a WebSocket close
// frame with code N), "ws-reply" (the route's reply arrived), "in-order"
// (every pipelined request answered, in order), or "timeout" (no answer
// by the deadline: a hang). A category fails when a probe's label is not
// one its probe allows, when an allowed answer's content is wrong (not
// the gateway's JSON message, a fixture echo of another path or body),
// when a probe hangs, or when its after-run check finds a problem. No
// 5xx is allowed except where the table names one: net/http's 501 and
// 505 for what RFC 9112 tells a server to refuse so, and integrations
// asked to fail.
//
// # Expected answers
//
// Where AWS's own answer is UNCONFIRMED (spec §14), the table allows
// exactly what the emulator documents, and says so.
//
//	methods: methods that are not tokens, lower/mixed case, unknown, 1,000-80,000 characters
//	    400                                      net/http: not a token (RFC 9110 §9.1)
//	    200                                      on /inspect's ANY method, which passes any token on and the fixture echoes it (AWS: UNCONFIRMED)
//	    403 MissingAuthenticationTokenException  a method the resource does not have (spec §9)
//	    431                                      net/http: request line over its 68 KiB limit
//	request-targets: absolute-form (any scheme, userinfo), asterisk-form, authority-form, "//", relative, fragment, odd stage spellings
//	    200                                      the path of an absolute-form target (RFC 9112 §3.2.2), an encoded stage; net/http's empty answer to OPTIONS * (RFC 9110 §9.3.7)
//	    400                                      net/http: a target that is not a path or an absolute URI
//	    403 MissingAuthenticationTokenException  no stage or resource matches (a fragment stays in the path)
//	http-versions: other HTTP versions, malformed version strings, a missing, repeated or malformed Host
//	    200                                      HTTP/1.0 (Host optional) and other HTTP/1.x minor versions (RFC 9112 §2.3)
//	    400                                      net/http: a malformed version; HTTP/1.1 without exactly one valid Host (RFC 9112 §3.2)
//	    505                                      net/http: a major version other than 1 (RFC 9110 §15.6.6)
//	dot-segments: literal and encoded dot segments and separators under /inspect/{proxy+}, aimed at the fixture's other endpoints
//	    200                                      resolved (RFC 3986 §5.2.4) to a path under /inspect: the fixture's inspect document, without dot segments
//	    403 MissingAuthenticationTokenException  resolved to no resource, or above the stage
//	    422 BadRequestException                  a segment hides a dot segment behind an encoded separator (BAD_REQUEST_PARAMETERS, which the reference API customises to 422; AWS: UNCONFIRMED)
//	                                             after the run: the fixture counted the category's scope on its inspect route only
//	percent-encoding: invalid and odd percent-encoding in the path and the query, raw control and high bytes
//	    400                                      net/http: an invalid escape or a control byte in the path
//	    200                                      NUL, overlong UTF-8, raw high bytes, %2F, double encoding; any query (passed on raw)
//	    403 MissingAuthenticationTokenException  a valid escape on an unknown path
//	huge-headers: header values from 10,241 bytes to 200 KB, in one header, several, or a Cookie
//	    431                                      the gateway's JSON {"message":"Request Header Fields Too Large"} over 10,240 bytes of values (gateway/requestlimits; AWS: UNCONFIRMED); net/http's plain text over 68 KiB
//	many-headers: 100 to 6,000 headers, distinct or one name repeated
//	    200                                      under the quota, every header reaches the fixture
//	    431                                      over the quota or net/http's limit, as huge-headers
//	long-urls: paths and query strings of 10,240 to 150,000 characters
//	    200                                      at the 10,240-character quota
//	    414                                      the gateway's JSON {"message":"Request URI too long"} over it (AWS documents that text for a long method ARN; UNCONFIRMED here)
//	    431                                      net/http: over its 68 KiB limit
//	chunked: valid but odd chunked bodies (extensions, upper-case hex, leading zeros, 200 one-byte chunks, trailers) and invalid ones (sizes, overruns, bare LF, long lines, truncation)
//	    200                                      the fixture echoes the decoded body; trailers are dropped (RFC 9112 §7.1.2)
//	    400 BadRequestException                  BAD_REQUEST_BODY {"message":"Invalid request body"}: the body could not be read
//	cl-te: Content-Length with Transfer-Encoding, repeated or odd framing headers, HTTP/1.0 with Transfer-Encoding; each followed by a sentinel request in the same write
//	    200                                      chunked wins over Content-Length (RFC 9112 §6.3) and the fixture echoes the chunked body; the connection then closes, as after every HTTP/1.0 request (net/http ignores Transfer-Encoding on HTTP/1.0, Go issue 12785): nothing after such a request is read as one (serving); if a connection stays open the sentinel is answered next (no desync)
//	    400                                      net/http: differing or malformed Content-Length
//	    501                                      net/http: any transfer coding but one "chunked" (RFC 9112 §6.1)
//	pipelining: 2 to 8 requests in one write (GET, HEAD, POST with a body or chunked, unknown routes, a fixture 404), sometimes a malformed one
//	    in-order                                 every request answered in order with its own answer; after a malformed one, 400 and the connection closes; a chunked one is answered and the connection closes (serving: ambiguous framing)
//	slow-bodies: a body announced (up to 10 MB) and cut short, a request cut off in its line or headers; the server's deadlines end them (at most 64 probes)
//	    400 BadRequestException                  the gateway, after its body deadline
//	    400 BadRequestException                  a signed management call whose body never arrives (the signature cannot be checked)
//	                                             every answer or close of the category comes at the servers' deadline, not before
//	    400                                      net/http: a request line cut short, parsed at the header deadline
//	    closed                                   headers cut short; allowed for every probe of the category
//	large-bodies: Content-Length over the 10 MB payload limit, up to 2^63-1, with a few bytes sent
//	    413                                      plain text "HTTP content length exceeded 10485760 bytes." (spec §2), before the body is read
//	management: invalid JSON patches to UpdateStage, unsigned and signed with the emulator's credential; unknown paths and stages
//	    403 MissingAuthenticationTokenException  unsigned
//	    400 BadRequestException                  signed, "Invalid patch request"
//	    404 NotFoundException                    signed, no such path or stage
//	management-large-bodies: management calls with bodies over 1 MiB (at most 32 probes)
//	    413 PayloadTooLargeException             signed: the emulator's answer (the apigateway model has none); over 17 MiB refused from the header
//	    403 MissingAuthenticationTokenException  unsigned: refused before the body is read
//	sigv4: malformed Authorization headers and presigned queries to the management and @connections APIs; Authorization headers on unknown REST routes
//	    403 MissingAuthenticationTokenException  no signature; a SigV4 header on an unknown REST route (spec §9)
//	    403 IncompleteSignatureException         unparseable header, missing parameters or X-Amz-Date, bad date format, upper-case SignedHeaders, non-hex signature, a presigned query lacking parameters or with a bad algorithm or expiry; a non-SigV4 Authorization on an unknown REST route (spec §9, §13.1)
//	    403 UnrecognizedClientException          an unknown access key (gateway/sigv4)
//	    403 InvalidSignatureException            wrong service, scope date or terminator, expired or future date, host or X-Amz-Date not signed, a wrong signature, a signed call sent to another path
//	api-keys: missing, empty, unknown, random (1-2,000 characters), non-ASCII, disabled, other-stage and misplaced API keys on /keyed and /keyed-method
//	    403 ForbiddenException                   INVALID_API_KEY {"message":"Forbidden"} (spec §3.3)
//	    400                                      net/http: a control byte in the key
//	websocket-handshakes: handshakes without an upgrade, malformed, to unknown stages, without or with a wrong API key, or refused by the $connect integration
//	    426                                      no upgrade
//	    400 BadRequestException                  not GET, a version other than 13, a key that is not 16 bytes of base64
//	    403 ForbiddenException                   an unknown stage or path; a missing or wrong API key
//	    400                                      the $connect integration refuses a bad ?delayMs= or ?reject= (fixtures/README.md)
//	    401                                      the $connect integration asked to refuse with 401 (spec §8.2)
//	    403                                      likewise with 403
//	    429                                      likewise with 429
//	    500                                      likewise with 500: an integration asked to fail
//	    503                                      likewise with 503: an integration asked to fail
//	websocket-frames: raw frames on an established connection
//	    ws-close:1002                            reserved bits or opcodes, an unmasked frame, a fragmented or oversized control frame, a close with a one-byte body, an invalid code or a non-UTF-8 reason, a continuation without a start, a new message inside a fragmented one
//	    closed                                   allowed for those protocol errors (RFC 6455 §7.1.7)
//	    ws-close:1009                            a frame over 32 KB, a header announcing up to 2^63-1 bytes, a message over 128 KB (spec §2)
//	    ws-close:1007                            text that is not UTF-8 (RFC 6455 §8.1; AWS: UNCONFIRMED)
//	    ws-close:1003                            binary data (DG, binary media types for WebSocket APIs); also a client close with 1003, echoed
//	    ws-close:1000                            the client's close code, echoed
//	    ws-close:1001                            likewise
//	    ws-close:3000                            likewise
//	    ws-close:4000                            likewise
//	    ws-close:4999                            likewise
//	    ws-close:1005                            a client close without a code
//	    ws-reply                                 after a ping flood, a fragmented message with a ping inside, odd valid messages (empty, not JSON, no route), a frame of exactly 32 KB: the connection stays usable
//	fixture-parameters: the fixture's endpoints with bad parameters, directly and (/delay, /status, /bytes) through the gateway
//	    400                                      a JSON message naming the parameter or header (fixtures/README.md)
//	    400 InvalidRequestContentException       an Invoke payload that is not a JSON object, or a bad delayMs in it
//	    404                                      a route the fixture does not have
//	failing-integrations: Lambda proxy results that are not valid result documents; an HTTP integration nobody listens on
//	    502 InternalServerErrorException         {"message":"Internal server error"} (spec §9)
//	    504 InternalServerErrorException         INTEGRATION_FAILURE (spec §4)
package hostile
