package suites

// Non-proxy integrations (spec §9; issue 11): what API Gateway sends to an
// HTTP backend, how it renames the headers a response maps, which request
// header mappings fail the call, and how a non-proxy Lambda's errors are
// mapped to responses. Every expectation here was recorded against real
// API Gateway (LocalStack's validated snapshots; the fixture README's
// "Parity routes" cite them) or is documented.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureHeaderMapping: API Gateway's header rules for non-proxy
// integrations (requests it sends, names it renames, mappings it refuses).
const FeatureHeaderMapping = "header-mapping"

// FeatureLambdaIntegration: non-proxy Lambda integrations (type aws) and
// the selection of their integration responses.
const FeatureLambdaIntegration = "lambda-integration"

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureHeaderMapping, Description: "header rules of non-proxy integrations: the request sent, renamed and forbidden headers (spec §9)"})
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureLambdaIntegration, Description: "non-proxy Lambda integrations and integration-response selection (spec §9)"})
}

// The headers a non-proxy response maps as method.response.header.H (the
// /parity/header-remap route maps each to 'response_param_H'): AWS renames
// these x-amzn-Remapped-H and keeps the others (TestApiGatewayHeaderRemapping,
// 2024-07-17).
var (
	remappedHeaders = []string{"Authorization", "Connection", "Content-Length", "Content-MD5", "Date", "Expect", "Host", "Max-Forwards",
		"Proxy-Authenticate", "Server", "Trailer", "Upgrade", "User-Agent", "WWW-Authenticate"}
	keptHeaders = []string{"Accept", "Accept-Charset", "Age", "Pragma", "Range", "Referer", "Warn"}
)

var _ = conformance.Register(conformance.Area{
	Name:  "integrations",
	Title: "Non-proxy integrations",
	Checks: []conformance.Check{
		{
			Name: "IntegrationRequestHeadersNonProxy", Feature: FeatureHeaderMapping, Section: "§9",
			Description: "A non-proxy HTTP integration sends the backend none of the client's headers, but Accept: application/json, User-Agent: AmazonAPIGateway_<apiId>, X-Amzn-Apigateway-Api-Id and X-Amzn-Trace-Id (AWS-REC, 2024-07-17); an X-Forwarded-For of the gateway's own is NON-STRICT",
			Needs:       []string{conformance.NeedRoute("http-request")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("http-request"), header("X-Client-Marker", "from-the-client", "User-Agent", "gatecheck-client", "X-Forwarded-For", "198.51.100.7"))
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				doc, err := resp.Document()
				t.Expect(err).NotTo(HaveOccurred(), "the backend's document: %s", resp)
				got := http.Header(doc.Request.Headers)
				apiID := t.Target.Profile.Target.RestAPIID
				t.Expect(got.Get("Accept")).To(Equal("application/json"), "Accept the backend got: %v", got)
				if apiID != "" {
					t.Expect(got.Get("User-Agent")).To(Equal("AmazonAPIGateway_"+apiID), "User-Agent the backend got: %v", got)
					t.Expect(got.Get("X-Amzn-Apigateway-Api-Id")).To(Equal(apiID), "X-Amzn-Apigateway-Api-Id the backend got: %v", got)
				} else {
					t.Expect(got.Get("User-Agent")).To(HavePrefix("AmazonAPIGateway_"), "User-Agent the backend got: %v", got)
					t.Expect(got.Get("X-Amzn-Apigateway-Api-Id")).NotTo(BeEmpty(), "headers the backend got: %v", got)
				}
				t.Expect(got.Get("X-Amzn-Trace-Id")).To(HavePrefix("Root="), "headers the backend got: %v", got)
				t.Expect(got.Get("X-Client-Marker")).To(BeEmpty(), "a client header reached a non-proxy backend: %v", got)
				xff := got.Get("X-Forwarded-For")
				t.Expect(xff).NotTo(ContainSubstring("198.51.100.7"), "the client's X-Forwarded-For reached a non-proxy backend: %v", got)
				if xff != "" {
					// Inferred, not recorded: a Lambda function URL behind a
					// non-proxy integration saw only the connecting address
					// (2024-08-07), so AWS added none; its own would be
					// harmless.
					t.NonStrict("the gateway added X-Forwarded-For %q for a non-proxy backend; AWS appears to add none (inferred from test_http_integration_with_lambda, 2024-08-07)", xff)
				}
			},
		},
		{
			Name: "HeaderRemappingNonProxy", Feature: FeatureHeaderMapping, Section: "§9",
			Description: "Reserved headers a non-proxy integration response maps (Authorization, Connection, Content-Length, Date, Host, Server, User-Agent, …) reach the client renamed x-amzn-Remapped-<name>; the others keep their names (AWS-REC TestApiGatewayHeaderRemapping, 2024-07-17)",
			Needs:       []string{conformance.NeedRoute("header-remap")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("header-remap"), nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				for _, h := range remappedHeaders {
					t.Expect(resp.Header.Get("x-amzn-Remapped-"+h)).To(Equal("response_param_"+h), "%s mapped by the integration response is renamed x-amzn-Remapped-%s: %v", h, h, resp.Header)
				}
				for _, h := range keptHeaders {
					t.Expect(resp.Header.Get(h)).To(Equal("response_param_"+h), "%s mapped by the integration response keeps its name: %v", h, resp.Header)
				}
				t.Expect(resp.Header.Get("Content-Type")).To(Equal("response_param_Content-Type"), "a mapped Content-Type wins: %v", resp.Header)
			},
		},
		{
			Name: "ForbiddenHeaderMappingFails", Feature: FeatureHeaderMapping, Section: "§9",
			Description: "A request parameter mapping to a header API Gateway forbids (Content-Length) fails the call with 500 and nothing reaches the backend (AWS-REC TestApiGatewayHeaderRemapping, 2024-07-17; that the backend is not called is inferred from the 500 carrying no X-Amzn-Trace-Id, which a called backend's response has)",
			Needs:       []string{conformance.NeedRoute("forbidden-header"), conformance.NeedFixtureCounters},
			Test: func(t *conformance.T) {
				scope := conformance.NewScope()
				resp := t.Get(t.Target.URL("forbidden-header"), conformance.ScopeHeader(scope))
				expectGatewayError(t, resp, http.StatusInternalServerError, "Internal server error", "")
				t.Expect(t.Invocations(scope)).To(BeZero(), "the call must fail before the backend")
			},
		},
		{
			Name: "LambdaErrorSelectedByPattern", Feature: FeatureLambdaIntegration, Section: "§9",
			Description: "A non-proxy Lambda's function error picks the integration response whose selectionPattern matches its errorMessage (405 for .*400.*, 502 for .*5\\d\\d.*), passing the error through; a result picks the default, 200 (AWS-REC test_lambda_selection_patterns, 2023-09-05)",
			Needs:       []string{conformance.NeedRoute("lambda-select")},
			Test: func(t *conformance.T) {
				for _, tc := range []struct {
					status string
					want   int
				}{{"400", http.StatusMethodNotAllowed}, {"500", http.StatusBadGateway}} {
					resp := t.Get(t.Target.URL("lambda-select", "statusCode", tc.status), nil)
					t.Expect(resp.Status).To(Equal(tc.want), "a function error %q: %s", tc.status, resp)
					var fnErr struct{ ErrorMessage, ErrorType string }
					t.Expect(json.Unmarshal(resp.Body, &fnErr)).To(Succeed(), "the function's error passes through as the body: %s", resp)
					t.Expect(fnErr.ErrorMessage).To(Equal("Error: Raising "+tc.status+" from within the Lambda function"), "%s", resp)
					t.Expect(fnErr.ErrorType).To(Equal("Exception"), "%s", resp)
				}
				resp := t.Get(t.Target.URL("lambda-select", "statusCode", "200"), nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(strings.TrimSpace(string(resp.Body))).To(Equal(`"Pass"`), "the function's result is the body: %s", resp)
			},
		},
		{
			Name: "LambdaErrorMappedByTemplate", Feature: FeatureLambdaIntegration, Section: "§9",
			Description: "The integration response a non-proxy Lambda's function error selects applies its response template ($input.json('$') is the error payload) and its response parameters (a mapped Content-Type); a result selects the default and passes through (DG handle-errors-in-lambda-integration; AWS-REC test_lambda_aws_integration_response_with_mapping_templates, 2023-09-17)",
			Needs:       []string{conformance.NeedRoute("lambda-mapping")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("lambda-mapping")+"?result=function-error", nil)
				t.Expect(resp.Status).To(Equal(http.StatusBadRequest), "the error's message selects the 400 response: %s", resp)
				t.Expect(resp.Header.Get("Content-Type")).To(Equal("application/problem+json"), "the mapped Content-Type: %s", resp)
				var got struct {
					Type      string `json:"type"`
					RequestID string `json:"requestId"`
					Error     struct {
						ErrorMessage string `json:"errorMessage"`
					} `json:"error"`
				}
				t.Expect(json.Unmarshal(resp.Body, &got)).To(Succeed(), "the response template's output is JSON: %s", resp)
				t.Expect(got.Type).To(Equal("function-error"), "%s", resp)
				t.Expect(got.Error.ErrorMessage).To(HavePrefix("gatecheck fixture: deliberate"), "$input.json('$') is the function's error: %s", resp)
				t.Expect(got.RequestID).To(Equal(resp.Header.Get("x-amzn-RequestId")), "$context.requestId: %s", resp)
				ok := t.Get(t.Target.URL("lambda-mapping")+"?result=status-string", nil)
				t.Expect(ok.Status).To(Equal(http.StatusOK), "a result selects the default response: %s", ok)
				t.Expect(json.Valid(ok.Body)).To(BeTrue(), "the result passes through as JSON: %s", ok)
			},
		},
		{
			Name: "BackendHeadersRemappedProxy", Feature: FeatureHeaderMapping, Section: "§9",
			Description: "An HTTP_PROXY backend's own Date and Content-Length reach the client renamed x-amzn-Remapped-Date and x-amzn-Remapped-Content-Length, next to the gateway's own (AWS-REC TestApiGatewayHeaderRemapping[HTTP_PROXY], 2024-07-17; test_http_integration_with_lambda, 2024-08-07)",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("inspect"), nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Header.Get("x-amzn-Remapped-Date")).NotTo(BeEmpty(), "the backend's Date (every HTTP/1.1 server sends one): %v", resp.Header)
				// The fixture sends every document with a Content-Length.
				t.Expect(resp.Header.Get("x-amzn-Remapped-Content-Length")).To(Equal(strconv.Itoa(len(resp.Body))), "the backend's Content-Length, renamed: %v", resp.Header)
			},
		},
	},
})
