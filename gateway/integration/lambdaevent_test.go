package integration_test

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// The keys of the event AWS sends (AWS-REC, LocalStack
// test_apigateway_lambda.snapshot.json ::test_lambda_aws_proxy_integration,
// 2024-08-02): every one present, in every event.
var (
	recordedEventKeys   = []string{"body", "headers", "httpMethod", "isBase64Encoded", "multiValueHeaders", "multiValueQueryStringParameters", "path", "pathParameters", "queryStringParameters", "requestContext", "resource", "stageVariables"}
	recordedContextKeys = []string{"accountId", "apiId", "deploymentId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "identity", "path", "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage"}
	recordedIdentity    = map[string]bool{ // key: whether its value is set (else null)
		"accessKey": false, "accountId": false, "caller": false, "cognitoAuthenticationProvider": false, "cognitoAuthenticationType": false,
		"cognitoIdentityId": false, "cognitoIdentityPoolId": false, "principalOrgId": false, "sourceIp": true, "user": false, "userAgent": true, "userArn": false,
	}
)

// proxyAPI is the recording's API: ANY /{proxy+} and ANY /hardcoded, both
// AWS_PROXY, deployed to stage "test".
func proxyCall(t *testing.T, h *harness, calls <-chan invocation, resource, target string, params map[string]string, edit func(*http.Request, *request.Context)) invocation {
	t.Helper()
	req := httptest.NewRequest("GET", "http://placeholder"+target, nil)
	req.Host = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
	req.Header.Set("User-Agent", "python-requests/testing")
	req.Header.Set("Accept", "*/*")
	c := h.ctx(restapi.Integration{Type: restapi.AWSProxy, HTTPMethod: "POST", URI: lambdaURI}, resource, params)
	c.StageVariables = map[string]string{"fn": "f"}
	c.DeploymentID = "d1"
	if edit != nil {
		edit(req, c)
	}
	rec := h.serve(req, c)
	if rec.Code != 200 {
		t.Fatalf("%s: status %d %s", target, rec.Code, rec.Body)
	}
	return receive(t, calls, "Lambda invocation")
}

func TestLambdaEventKeysAreAWSs(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	h.api.RestAPIID = "a1b2c3d4e5"
	inv := proxyCall(t, h, calls, "/{proxy+}", "/test/proxy-value", map[string]string{"proxy": "proxy-value"}, nil)
	if got := slices.Sorted(maps.Keys(inv.raw)); !slices.Equal(got, recordedEventKeys) {
		t.Errorf("event keys %v, want %v", got, recordedEventKeys)
	}
	var rc map[string]json.RawMessage
	if err := json.Unmarshal(inv.raw["requestContext"], &rc); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(rc)); !slices.Equal(got, recordedContextKeys) {
		t.Errorf("requestContext keys %v, want %v", got, recordedContextKeys)
	}
	var identity map[string]json.RawMessage
	if err := json.Unmarshal(rc["identity"], &identity); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(identity)); !slices.Equal(got, slices.Sorted(maps.Keys(recordedIdentity))) {
		t.Errorf("identity keys %v, want %v", got, slices.Sorted(maps.Keys(recordedIdentity)))
	}
	for k, set := range recordedIdentity {
		if isNull := string(identity[k]) == "null"; isNull == set {
			t.Errorf("identity.%s = %s, want null: %v", k, identity[k], !set)
		}
	}
	for _, k := range []string{"body", "multiValueQueryStringParameters", "queryStringParameters"} {
		if string(inv.raw[k]) != "null" {
			t.Errorf("%s = %s, want null (a GET without a query)", k, inv.raw[k])
		}
	}

	ev := inv.event.RequestContext
	if ev.APIID != "a1b2c3d4e5" || ev.DomainPrefix != "a1b2c3d4e5" || ev.DomainName != "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com" {
		t.Errorf("apiId %q domainPrefix %q domainName %q", ev.APIID, ev.DomainPrefix, ev.DomainName)
	}
	if ev.DeploymentID != "d1" || ev.AccountID != "123456789012" || ev.Stage != "test" || ev.ResourcePath != "/{proxy+}" || ev.Protocol != "HTTP/1.1" {
		t.Errorf("requestContext %+v", ev)
	}
	if ev.ResourceID != h.api.ResourceID(&restapi.Resource{Path: "/{proxy+}"}) || !regexp.MustCompile(`^[a-z0-9]{6}$`).MatchString(ev.ResourceID) {
		t.Errorf("resourceId %q", ev.ResourceID)
	}
	if !regexp.MustCompile(`^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$`).MatchString(ev.RequestTime) || ev.RequestTimeEpoch != epoch.UnixMilli() {
		t.Errorf("requestTime %q epoch %d", ev.RequestTime, ev.RequestTimeEpoch)
	}
	if inv.event.Resource != "/{proxy+}" || inv.event.HTTPMethod != "GET" || inv.event.IsBase64Encoded {
		t.Errorf("event %+v", inv.event)
	}
}

// Paths and path parameters as AWS recorded them for ANY /{proxy+}
// (stage "test"): percent-encoding kept, leading slashes after the stage
// collapsed, inner ones kept, a trailing slash kept in path but not in the
// parameter.
func TestLambdaEventPathsAsRecorded(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	for _, tc := range []struct {
		target, proxy                string // request path; the router's (decoded) proxy value
		path, fullPath, proxyInEvent string
	}{
		{"/test/proxy-value", "proxy-value", "/proxy-value", "/test/proxy-value", "proxy-value"},
		{"/test/proxy-value/", "proxy-value", "/proxy-value/", "/test/proxy-value/", "proxy-value"},
		{"/test/proxy-value//double-slash", "proxy-value//double-slash", "/proxy-value//double-slash", "/test/proxy-value//double-slash", "proxy-value//double-slash"},
		{"/test//proxy-value", "/proxy-value", "/proxy-value", "/test//proxy-value", "proxy-value"},
		{"/test/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", "proxy-value/api/user/test+alias@gmail.com/plus/test+alias@gmail.com",
			"/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com", "/test/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
			"proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"},
	} {
		inv := proxyCall(t, h, calls, "/{proxy+}", tc.target, map[string]string{"proxy": tc.proxy}, nil)
		ev := inv.event
		if ev.Path != tc.path || ev.RequestContext.Path != tc.fullPath || !maps.Equal(ev.PathParameters, map[string]string{"proxy": tc.proxyInEvent}) {
			t.Errorf("%s: path %q requestContext.path %q pathParameters %v, want %q %q proxy=%q", tc.target, ev.Path, ev.RequestContext.Path, ev.PathParameters, tc.path, tc.fullPath, tc.proxyInEvent)
		}
	}

	// A hard-coded resource reached with a doubled slash (AWS-REC
	// "invocation-hardcoded"); a {param} keeps its encoding too.
	inv := proxyCall(t, h, calls, "/hardcoded", "/test//hardcoded", nil, nil)
	if inv.event.Path != "/hardcoded" || inv.event.RequestContext.Path != "/test//hardcoded" || inv.event.PathParameters != nil {
		t.Errorf("hardcoded: path %q requestContext.path %q params %v", inv.event.Path, inv.event.RequestContext.Path, inv.event.PathParameters)
	}
	inv = proxyCall(t, h, calls, "/users/{id}", "/test/users/a%20b%2Fc", map[string]string{"id": "a b/c"}, nil)
	if inv.event.PathParameters["id"] != "a%20b%2Fc" {
		t.Errorf("{id} = %q, want the client's a%%20b%%2Fc", inv.event.PathParameters["id"])
	}
	// A value the raw path does not line up with comes from the router,
	// escaped.
	inv = proxyCall(t, h, calls, "/users/{id}", "/test/elsewhere", map[string]string{"id": "a b"}, nil)
	if inv.event.PathParameters["id"] != "a%20b" {
		t.Errorf("unaligned {id} = %q, want a%%20b", inv.event.PathParameters["id"])
	}
}

// Query strings are decoded, the last of repeated values wins (AWS-REC
// "invocation-payload-with-params-encoding" and "-multi").
func TestLambdaEventQueryAsRecorded(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	inv := proxyCall(t, h, calls, "/{proxy+}", "/test/proxy-value/api?dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/&category=electronics&category=books",
		map[string]string{"proxy": "proxy-value/api"}, nil)
	want := map[string]string{"dateTimeOffset": "2023-06-12T18:05:10.123456 00:00", "email": "test+alias@gmail.com", "plus": "test alias@gmail.com",
		"url": "https://www.google.com/", "whitespace": "foo bar", "zhash": "abort/", "category": "books"}
	if !maps.Equal(inv.event.QueryStringParameters, want) {
		t.Errorf("queryStringParameters = %v, want %v", inv.event.QueryStringParameters, want)
	}
	if got := inv.event.MultiValueQueryStringParameters["category"]; !slices.Equal(got, []string{"electronics", "books"}) {
		t.Errorf("multiValueQueryStringParameters.category = %q", got)
	}
}

// Headers: the client's (but connection-level and framing ones), and the
// ones API Gateway adds on a Regional endpoint.
func TestLambdaEventHeaders(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	inv := proxyCall(t, h, calls, "/lambda", "/test/lambda", nil, func(req *http.Request, c *request.Context) {
		for _, k := range []string{"Connection", "Content-Length", "Content-Md5", "Expect", "Max-Forwards", "Te", "Trailer", "Upgrade", "Www-Authenticate", "Server", "Proxy-Authenticate", "Transfer-Encoding"} {
			req.Header.Set(k, "x")
		}
		req.Header.Set("Via", "1.1 proxy")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("X-Forwarded-For", "203.0.113.1")
		req.Header.Set("X-Forwarded-Proto", "gopher")
		req.Header.Add("X-Multi", "1")
		req.Header.Add("X-Multi", "2")
		req.Header.Set("X-Amzn-Trace-Id", "Root=1-client")
		*req = *req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}))
	})
	want := map[string]string{
		"Accept": "*/*", "User-Agent": "python-requests/testing", "Via": "1.1 proxy", "Content-Encoding": "gzip", "X-Multi": "2",
		"Host":            "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
		"X-Amzn-Trace-Id": testTraceID, // the gateway's, not the client's raw header
		"X-Forwarded-For": "203.0.113.1, 192.0.2.7", "X-Forwarded-Port": "8080", "X-Forwarded-Proto": "http",
	}
	if !maps.Equal(inv.event.Headers, want) {
		t.Errorf("headers = %v\nwant %v", inv.event.Headers, want)
	}
	if len(inv.event.MultiValueHeaders) != len(inv.event.Headers) {
		t.Errorf("multiValueHeaders %v does not have the names of headers %v", inv.event.MultiValueHeaders, inv.event.Headers)
	}
	for k, v := range inv.event.Headers {
		mv := inv.event.MultiValueHeaders[k]
		if len(mv) == 0 || mv[len(mv)-1] != v {
			t.Errorf("multiValueHeaders[%s] = %q, headers[%s] = %q", k, mv, k, v)
		}
	}
	if got := inv.event.MultiValueHeaders["X-Multi"]; !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("multiValueHeaders[X-Multi] = %q", got)
	}
}

func TestLambdaEventBodyAndContext(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	h.api.RestAPIID = "a1b2c3d4e5"
	// An empty body is null, as no body.
	inv := proxyCall(t, h, calls, "/lambda", "/test/lambda", nil, func(req *http.Request, c *request.Context) {
		c.Body = []byte{}
		req.Host = "127.0.0.1:8080"
		req.Header.Del("User-Agent")
		c.APIKeyID = "key-id"
		req.Header.Set("x-api-key", "secret-key-value")
	})
	if inv.event.Body != nil || string(inv.raw["body"]) != "null" {
		t.Errorf("empty body = %s, want null", inv.raw["body"])
	}
	rc := inv.event.RequestContext
	if rc.DomainName != "127.0.0.1:8080" || rc.DomainPrefix != "a1b2c3d4e5" {
		t.Errorf("an IP host: domainName %q domainPrefix %q, want the host and the API id", rc.DomainName, rc.DomainPrefix)
	}
	if rc.Identity.UserAgent != nil {
		t.Errorf("userAgent = %q without a User-Agent, want null", *rc.Identity.UserAgent)
	}
	if rc.Identity.APIKey == nil || *rc.Identity.APIKey != "secret-key-value" || rc.Identity.APIKeyID == nil || *rc.Identity.APIKeyID != "key-id" {
		t.Errorf("identity apiKey %v apiKeyId %v", rc.Identity.APIKey, rc.Identity.APIKeyID)
	}
	for host, prefix := range map[string]string{"localhost:8080": "a1b2c3d4e5", "[::1]:8080": "a1b2c3d4e5", "api.example.com": "api", "": "a1b2c3d4e5"} {
		inv = proxyCall(t, h, calls, "/lambda", "/test/lambda", nil, func(req *http.Request, c *request.Context) { req.Host = host })
		if inv.event.RequestContext.DomainPrefix != prefix {
			t.Errorf("host %q: domainPrefix %q, want %q", host, inv.event.RequestContext.DomainPrefix, prefix)
		}
	}
}

// A function that returns {} answers 200 with an empty body and API
// Gateway's default Content-Type (AWS-REC 2024-02-23 for the status and
// body; DOC for the content type).
func TestLambdaEmptyObjectResult(t *testing.T) {
	h, calls := lambdaHarness(t, result(`{}`))
	rec := lambdaCtx(h, "/lambda", nil)(httptest.NewRequest("GET", "/test/lambda", nil))
	receive(t, calls, "Lambda invocation")
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != "0" {
		t.Errorf("{}: %d %v %q, want 200, application/json, empty", rec.Code, rec.Header(), rec.Body)
	}
	if v := headerValues(rec.Header(), "x-amzn-ErrorType"); len(v) != 0 || strings.Contains(rec.Body.String(), "message") {
		t.Errorf("{} answered as an error: %v %s", rec.Header(), rec.Body)
	}
}
