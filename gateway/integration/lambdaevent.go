package integration

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/serving/headercase"
)

// The REST Lambda proxy event (payload format 1.0) as API Gateway sends it.
// Evidence, unless a field says otherwise: AWS-REC, LocalStack
// tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json
// ::test_lambda_aws_proxy_integration (recorded against AWS 2024-07-10,
// re-recorded 2024-08-02), and the REGIONAL AWS_PROXY recording of
// test_apigateway_integrations.snapshot.json ::TestApiGatewayHeaderRemapping
// (2024-07-18). Every key is present; an absent part is null, never left
// out. Fields are in the recording's (alphabetical) order.
type proxyEvent struct {
	Body                            *string             `json:"body"` // null without a body
	Headers                         map[string]string   `json:"headers"`
	HTTPMethod                      string              `json:"httpMethod"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Path                            string              `json:"path"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	RequestContext                  eventContext        `json:"requestContext"`
	Resource                        string              `json:"resource"`
	StageVariables                  map[string]string   `json:"stageVariables"`
}

type eventContext struct {
	AccountID         string        `json:"accountId"`
	APIID             string        `json:"apiId"`
	DeploymentID      string        `json:"deploymentId"`
	DomainName        string        `json:"domainName"`
	DomainPrefix      string        `json:"domainPrefix"`
	ExtendedRequestID string        `json:"extendedRequestId"`
	HTTPMethod        string        `json:"httpMethod"`
	Identity          eventIdentity `json:"identity"`
	Path              string        `json:"path"`
	Protocol          string        `json:"protocol"`
	RequestID         string        `json:"requestId"`
	RequestTime       string        `json:"requestTime"`
	RequestTimeEpoch  int64         `json:"requestTimeEpoch"`
	ResourceID        string        `json:"resourceId"`
	ResourcePath      string        `json:"resourcePath"`
	Stage             string        `json:"stage"`
}

// eventIdentity has every key the recording has, null but for the source
// IP and the user agent (no authorizer, no IAM caller on the emulator).
// apiKey and apiKeyId appear only when the method took an API key
// (DOC: $context.identity.apiKey/apiKeyId; their presence in the event is
// UNCONFIRMED, no recording has a keyed method).
type eventIdentity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	APIKey                        *string `json:"apiKey,omitempty"`
	APIKeyID                      *string `json:"apiKeyId,omitempty"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     *string `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// requestTimeLayout is $context.requestTime: CLF, always UTC ("+0000").
const requestTimeLayout = "02/Jan/2006:15:04:05 +0000"

// defaultAccountID is requestContext.accountId when the integration's
// function ARN names no account: AWS's documentation account, which the
// reference API's function ARN uses too.
const defaultAccountID = "123456789012"

// eventDroppedHeaders are client headers API Gateway does not put in the
// event: connection-level and framing headers (AWS-REC: a POST's event has
// no Content-Length or Connection; TestApiGatewayHeaderRemapping shows the
// same set never reaching any integration, LocalStack's
// DROPPED_FROM_REQUEST_COMMON). Content-Encoding and Via are kept for
// AWS_PROXY (AWS-REC).
var eventDroppedHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Md5": true, "Expect": true, "Max-Forwards": true,
	"Proxy-Authenticate": true, "Server": true, "Te": true, "Transfer-Encoding": true, "Trailer": true,
	"Upgrade": true, "Www-Authenticate": true, "Keep-Alive": true, "Proxy-Connection": true,
}

// Headers API Gateway adds to every event (REGIONAL endpoint: no
// CloudFront-*, Via or X-Amz-Cf-Id, which only an edge-optimized API's
// CloudFront distribution adds).
const (
	headerHost           = "Host"
	headerForwardedFor   = "X-Forwarded-For"
	headerForwardedPort  = "X-Forwarded-Port"
	headerForwardedProto = "X-Forwarded-Proto"
)

var eventGatewayHeaders = map[string]bool{headerHost: true, request.HeaderTraceID: true, headerForwardedFor: true, headerForwardedPort: true, headerForwardedProto: true}

func newEvent(r *http.Request, c *request.Context, functionARN string) *proxyEvent {
	path, fullPath := eventPaths(r)
	ev := &proxyEvent{
		HTTPMethod: r.Method,
		Path:       path,
		Resource:   c.Method.ResourcePath,
		RequestContext: eventContext{
			AccountID:         accountID(functionARN),
			DeploymentID:      c.DeploymentID,
			DomainName:        r.Host,
			ExtendedRequestID: c.ExtendedID,
			HTTPMethod:        r.Method,
			Identity:          eventIdentity{SourceIP: c.SourceIP, UserAgent: nonEmpty(r.UserAgent())},
			Path:              fullPath,
			Protocol:          request.Protocol,
			RequestID:         c.ID,
			RequestTime:       c.Start.UTC().Format(requestTimeLayout),
			RequestTimeEpoch:  c.Start.UnixMilli(),
			ResourcePath:      c.Method.ResourcePath,
		},
	}
	if c.API != nil {
		ev.RequestContext.APIID = c.API.ID()
		ev.RequestContext.ResourceID = c.API.ResourceID(c.Resource)
	}
	ev.RequestContext.DomainPrefix = request.DomainPrefix(r.Host, ev.RequestContext.APIID)
	if c.Stage != nil {
		ev.RequestContext.Stage = c.Stage.StageName
	}
	if c.APIKeyID != "" {
		key, id := r.Header.Get("X-Api-Key"), c.APIKeyID
		ev.RequestContext.Identity.APIKey, ev.RequestContext.Identity.APIKeyID = &key, &id
	}
	ev.Headers, ev.MultiValueHeaders = eventHeaders(r, c)
	// Query strings are decoded ("+" is a space, %2B a plus); the last
	// value of a repeated name wins in queryStringParameters (AWS-REC).
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = make(map[string]string, len(q)), q
		for k, v := range q {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	ev.PathParameters = eventPathParameters(c.Method.ResourcePath, path, c.PathParams)
	if len(c.StageVariables) > 0 {
		ev.StageVariables = c.StageVariables
	}
	if len(c.Body) > 0 {
		var body string
		body, ev.IsBase64Encoded = lambdaEventBody(c.API, r, c.Body) // binary.go
		ev.Body = &body
	}
	return ev
}

// eventHeaders are the client's headers (the last value in headers, all
// in multiValueHeaders), less eventDroppedHeaders, plus those API Gateway
// adds: Host, X-Amzn-Trace-Id, X-Forwarded-For/-Port/-Proto.
//
// Header names are spelled as the client sent them (AWS-REC:
// "tEsT-HEADeR" arrives so), except Authorization, which AWS always
// capitalises (AWS-REC: "authorization" and "aUThorization" both arrive as
// "Authorization"). The spelling comes from headercase, which the
// gatecheck servers install; elsewhere (httptest, HTTP/2) names stay
// net/http's canonical ones.
func eventHeaders(r *http.Request, c *request.Context) (map[string]string, map[string][]string) {
	n := len(r.Header) + 5
	single, multi := make(map[string]string, n), make(map[string][]string, n)
	sent := headercase.Names(r)
	for k, v := range r.Header {
		if ck := http.CanonicalHeaderKey(k); len(v) == 0 || eventDroppedHeaders[ck] || eventGatewayHeaders[ck] {
			continue // a gateway header is set below, in AWS's spelling
		}
		if s, ok := sent[k]; ok && k != "Authorization" {
			k = s
		}
		single[k], multi[k] = v[len(v)-1], v
	}
	set := func(k, v string) {
		if v != "" {
			single[k], multi[k] = v, []string{v}
		}
	}
	set(headerHost, r.Host)
	set(request.HeaderTraceID, c.TraceID)
	forwardedFor := c.SourceIP
	if prior := strings.Join(r.Header.Values(headerForwardedFor), ", "); prior != "" && c.SourceIP != "" {
		forwardedFor = prior + ", " + c.SourceIP // AWS appends the client it saw (EDGE recording: "<client>, <CloudFront>")
	}
	set(headerForwardedFor, forwardedFor)
	proto, port := forwardedProtoPort(r)
	set(headerForwardedPort, port)
	set(headerForwardedProto, proto)
	return single, multi
}

// forwardedProtoPort are the scheme and port the client connected with:
// AWS sends "https" and "443" (its only listener); the emulator tells the
// truth about its own.
func forwardedProtoPort(r *http.Request) (proto, port string) {
	proto, port = "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(addr.String()); err == nil {
			return proto, p
		}
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil && p != "" {
		port = p
	}
	return proto, port
}

// eventPaths returns the event's path and requestContext.path from the
// request path as the client sent it (percent-encoding kept: AWS-REC
// "test%2Balias" stays encoded). requestContext.path is the whole path,
// stage included, with leading slashes collapsed ("//test/x" is "/test/x")
// and inner ones kept ("/test//x"); path is what follows the stage, its
// leading slashes collapsed too ("/test//x" gives "/x"), a trailing slash
// kept.
func eventPaths(r *http.Request) (path, fullPath string) {
	escaped := r.URL.EscapedPath()
	trimmed := strings.TrimLeft(escaped, "/")
	if k := len(escaped) - len(trimmed); k > 0 {
		fullPath = escaped[k-1:] // one slash kept, no copy
	} else {
		fullPath = "/" + trimmed
	}
	i := strings.IndexByte(trimmed, '/') // the end of the stage
	if i < 0 {
		return "/", fullPath
	}
	rest := trimmed[i:]
	return rest[len(rest)-len(strings.TrimLeft(rest, "/"))-1:], fullPath
}

// eventPathParameters are the path parameters as the client encoded them
// (AWS-REC: {proxy+} of ".../test%2Balias@gmail.com/..." keeps %2B),
// without the trailing slash (AWS-REC: "/test-path/" gives proxy
// "test-path"). decoded are the router's values; a value the raw path
// does not line up with (the router matched segments differently) is
// taken from them, escaped.
func eventPathParameters(resourcePath, path string, decoded map[string]string) map[string]string {
	if len(decoded) == 0 {
		return nil
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/"), "/")
	out := make(map[string]string, len(decoded))
	for i, part := range strings.Split(strings.Trim(resourcePath, "/"), "/") {
		name, ok := strings.CutPrefix(part, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		greedy := strings.HasSuffix(name, "+")
		name = strings.TrimSuffix(name, "+")
		want, known := decoded[name]
		if !known || i >= len(segs) {
			continue
		}
		raw := segs[i]
		if greedy {
			raw = strings.Join(segs[i:], "/")
		}
		if dec, err := url.PathUnescape(raw); err == nil && (dec == want || greedy && dec == strings.TrimLeft(want, "/")) {
			out[name] = raw
		}
	}
	for name, v := range decoded {
		if _, ok := out[name]; !ok {
			out[name] = (&url.URL{Path: v}).EscapedPath()
		}
	}
	return out
}

// accountID is the account of a function ARN
// (arn:aws:lambda:{region}:{account}:function:{name}), the API's own for
// a function in the same account; defaultAccountID otherwise.
func accountID(functionARN string) string {
	parts := strings.SplitN(functionARN, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "lambda" && len(parts[4]) == 12 {
		return parts[4]
	}
	return defaultAccountID
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
