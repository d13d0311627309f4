package suites

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/fixtures/backend"
)

// The Lambda proxy event (payload format 1.0) as API Gateway builds it.
// Every assertion here is recorded against AWS: LocalStack
// tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json
// ::test_lambda_aws_proxy_integration (2024-07-10, re-recorded 2024-08-02),
// and the REGIONAL AWS_PROXY recording of
// test_apigateway_integrations.snapshot.json ::TestApiGatewayHeaderRemapping
// (2024-07-18). The fixture function echoes the event (request.event).

// requestTimeRE is $context.requestTime's format ("dd/MMM/yyyy:HH:mm:ss +0000").
var requestTimeRE = regexp.MustCompile(`^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$`)

var restAPIIDRE = regexp.MustCompile(`^[a-z0-9]{10}$`)

// lambdaEvent calls url on the Lambda function (result ok) and returns
// the fixture's document with its event echo.
func lambdaEvent(t *conformance.T, url string) (*conformance.Response, *backend.Document) {
	resp := t.Get(url, nil)
	t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
	doc, err := resp.Document()
	t.Expect(err).NotTo(HaveOccurred())
	t.Expect(doc.Request.Event).NotTo(BeNil(), "the fixture function echoed no event: %s", resp)
	return resp, doc
}

// restHost is the host (and port) clients call: the event's Host and
// requestContext.domainName; and the scheme and port they call it with.
func restHost(t *conformance.T) (host, scheme, port string) {
	u, err := url.Parse(t.Target.Profile.Target.RestURL)
	t.Expect(err).NotTo(HaveOccurred())
	port = u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return u.Host, u.Scheme, port
}

var _ = conformance.Register(conformance.Area{
	Name:  "lambda-event",
	Title: "Lambda proxy event",
	Checks: []conformance.Check{
		{
			Name:        "LambdaProxyEventGatewayHeaders",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: "The Lambda proxy event carries the headers API Gateway adds: Host (the API's domain), X-Forwarded-For, X-Forwarded-Port and X-Forwarded-Proto (as the client connected), X-Amzn-Trace-Id",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				_, doc := lambdaEvent(t, t.Target.URL("lambda")+"?result=ok")
				h := doc.Request.Headers
				host, scheme, port := restHost(t)
				t.Expect(h["Host"]).To(Equal([]string{host}), "Host in the event: %v", h)
				t.Expect(h["X-Forwarded-For"]).To(HaveLen(1), "X-Forwarded-For in the event: %v", h)
				t.Expect(h["X-Forwarded-For"][0]).NotTo(BeEmpty(), "X-Forwarded-For in the event: %v", h)
				t.Expect(h["X-Forwarded-Port"]).To(Equal([]string{port}), "X-Forwarded-Port in the event: %v", h)
				t.Expect(h["X-Forwarded-Proto"]).To(Equal([]string{scheme}), "X-Forwarded-Proto in the event: %v", h)
				t.Expect(h["X-Amzn-Trace-Id"]).To(HaveLen(1), "X-Amzn-Trace-Id in the event: %v", h)
				t.Expect(h["X-Amzn-Trace-Id"][0]).To(HavePrefix("Root=1-"), "X-Amzn-Trace-Id in the event: %v", h)
			},
		},
		{
			Name:        "LambdaProxyEventHeaderCase",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: "The Lambda proxy event keeps the spelling the client gave a header name (tEsT-HEADeR; AWS-REC LocalStack test_lambda_aws_proxy_integration, 2024-07-10), but for Authorization, always capitalised (OBS: that test's notes on the recording)",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				h := http.Header{"tEsT-HEADeR": {"aValUE"}, "authorization": {"random-value"}} // sent as spelled here (HTTP/1.1)
				resp := t.Get(t.Target.URL("lambda")+"?result=ok", h)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				doc, err := resp.Document()
				t.Expect(err).NotTo(HaveOccurred())
				t.Expect(doc.Request.Event).NotTo(BeNil(), "the fixture function echoed no event: %s", resp)
				names := doc.Request.Event.HeaderNames
				t.Expect(names).To(ContainElement("tEsT-HEADeR"), "event header names: %q", names)
				t.Expect(names).NotTo(ContainElement("Test-Header"), "event header names: %q", names)
				t.Expect(names).To(ContainElement("Authorization"), "event header names: %q", names)
			},
		},
		{
			Name:        "LambdaProxyEventRequestContext",
			Feature:     FeatureLambdaProxy,
			Section:     "§9, §11",
			Description: "The Lambda proxy event's requestContext names the API by its id (target.restApiId), the stage, the resource, the path as sent with the stage, the domain, HTTP/1.1, the request ids of the response and a CLF requestTime matching requestTimeEpoch; body is null for a GET",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp, doc := lambdaEvent(t, t.Target.URL("lambda")+"?result=ok")
				ev := doc.Request.Event
				rc := ev.RequestContext
				route, _ := t.Target.Profile.Route("lambda")
				stage := t.Target.Profile.Target.Stage
				if id := t.Target.Profile.Target.RestAPIID; id != "" {
					t.Expect(rc.APIID).To(Equal(id), "requestContext.apiId is the API's id (target.restApiId): %+v", rc)
				} else {
					t.Expect(rc.APIID).To(MatchRegexp(restAPIIDRE.String()), "requestContext.apiId: %+v", rc)
				}
				host, _, _ := restHost(t)
				t.Expect(rc.DomainName).To(Equal(host), "requestContext.domainName: %+v", rc)
				t.Expect(rc.Stage).To(Equal(stage), "requestContext.stage: %+v", rc)
				t.Expect(rc.ResourcePath).To(Equal(route), "requestContext.resourcePath: %+v", rc)
				t.Expect(ev.Resource).To(Equal(route), "resource: %+v", ev)
				t.Expect(rc.Path).To(Equal("/"+stage+route), "requestContext.path: %+v", rc)
				t.Expect(rc.HTTPMethod).To(Equal(http.MethodGet), "requestContext.httpMethod: %+v", rc)
				t.Expect(rc.Protocol).To(Equal("HTTP/1.1"), "requestContext.protocol: %+v", rc)
				t.Expect(rc.RequestID).To(Equal(resp.Header.Get("x-amzn-RequestId")), "requestContext.requestId is the response's x-amzn-RequestId: %+v", rc)
				t.Expect(rc.ExtendedRequestID).To(Equal(resp.Header.Get("x-amz-apigw-id")), "requestContext.extendedRequestId is the response's x-amz-apigw-id: %+v", rc)
				t.Expect(rc.ResourceID).NotTo(BeEmpty(), "requestContext.resourceId: %+v", rc)
				t.Expect(rc.Identity.SourceIP).NotTo(BeEmpty(), "requestContext.identity.sourceIp: %+v", rc)
				t.Expect(rc.RequestTime).To(MatchRegexp(requestTimeRE.String()), "requestContext.requestTime: %+v", rc)
				want := time.UnixMilli(rc.RequestTimeEpoch).UTC().Format("02/Jan/2006:15:04:05 +0000")
				t.Expect(rc.RequestTime).To(Equal(want), "requestTime and requestTimeEpoch (ms) name the same second: %+v", rc)
				t.Expect(ev.BodyIsNull).To(BeTrue(), "body is null without a request body: %+v", ev)
			},
		},
		{
			Name:        "LambdaProxyEventPathEncoding",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: "On a {proxy+} resource, the event's path, requestContext.path and pathParameters keep the client's percent-encoding (%2B stays %2B: AWS-REC, LocalStack test_lambda_aws_proxy_integration, 2024-07-10); path keeps a trailing slash, the parameter does not; query strings are decoded, the last value winning",
			Needs:       []string{conformance.NeedRoute("lambda-event")},
			Test: func(t *conformance.T) {
				route, _ := t.Target.Profile.Route("lambda-event")
				greedy := regexp.MustCompile(`\{[^}]+\+\}`).FindString(route)
				if greedy == "" {
					t.ConfigError("routes.lambda-event %q has no greedy {name+} parameter", route)
					return
				}
				const sent = "a%2Bb/c+d/"
				_, doc := lambdaEvent(t, t.Target.URL("lambda-event", strings.Trim(greedy, "{}"), sent)+"?result=ok&q=a+b&q=c%2Bd")
				ev := doc.Request.Event
				path := strings.Replace(route, greedy, sent, 1)
				name := strings.TrimSuffix(strings.Trim(greedy, "{}"), "+")
				t.Expect(ev.Path).To(Equal(path), "path: %+v", ev)
				t.Expect(ev.RequestContext.Path).To(Equal("/"+t.Target.Profile.Target.Stage+path), "requestContext.path: %+v", ev)
				t.Expect(ev.PathParameters).To(Equal(map[string]string{name: strings.TrimSuffix(sent, "/")}), "pathParameters: %+v", ev)
				t.Expect(ev.Resource).To(Equal(route), "resource: %+v", ev)
				t.Expect(ev.QueryStringParameters).To(Equal(map[string]string{"result": "ok", "q": "c+d"}), "queryStringParameters: %+v", ev)
			},
		},
	},
})
