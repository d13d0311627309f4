package suites

import (
	"net/http"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureLambdaProxy: Lambda proxy (aws_proxy) result handling (spec §9).
const FeatureLambdaProxy = "lambda-proxy"

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureLambdaProxy, Description: "Lambda proxy result validation (spec §9)"})
}

// lambda calls the lambda route asking the fixture function for one of its
// catalog results (fixtures/README.md).
func lambda(t *conformance.T, result string) *conformance.Response {
	return t.Get(t.Target.URL("lambda")+"?result="+result, nil)
}

// malformedResult builds the check that a malformed proxy result is a 502.
func malformedResult(name, result, what string) conformance.Check {
	return conformance.Check{
		Name:        name,
		Feature:     FeatureLambdaProxy,
		Section:     "§9",
		Description: `A Lambda proxy result ` + what + ` is malformed: 502 {"message": "Internal server error"} (DG set-up-lambda-proxy-integrations: output in another format is a 502; AWS-REC LocalStack test_aws_proxy_response_payload_format_validation, 2024-11-15)`,
		Needs:       []string{conformance.NeedRoute("lambda")},
		Test: func(t *conformance.T) {
			expectGatewayError(t, lambda(t, result), http.StatusBadGateway, "Internal server error", "")
		},
	}
}

var _ = conformance.Register(conformance.Area{
	Name:  "lambda-proxy",
	Title: "Lambda proxy integration",
	Checks: []conformance.Check{
		{
			Name:        "LambdaProxyValidResult",
			Feature:     FeatureLambdaProxy,
			Section:     "§9, §11",
			Description: "A well-formed Lambda proxy result is returned with its status, headers and body, plus X-Amzn-Trace-Id",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "ok")
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				doc, err := resp.Document()
				t.Expect(err).NotTo(HaveOccurred())
				t.Expect(doc.Route).To(Equal("lambda"), "%s", resp)
				t.Expect(resp.Header.Get("X-Gatecheck-Invocation-Id")).To(Equal(doc.InvocationID), "headers from the result: %s", resp)
				t.Expect(resp.Header.Get("X-Amzn-Trace-Id")).NotTo(BeEmpty(), "a Lambda proxy response carries X-Amzn-Trace-Id: %s", resp)
			},
		},
		malformedResult("LambdaProxyUnknownKeyMalformed", "unknown-key", `with an unknown top-level key ({"statusCode":200,"wrongValue":"v"})`),
		{
			// Spec §9 (corrected 2026-11-29) once read {} as malformed; AWS
			// answers 200 with an empty body (AWS-REC, LocalStack
			// test_lambda_aws_proxy_response_format, validated 2024-02-23:
			// status and exact body asserted).
			Name:        "LambdaProxyEmptyObjectEmpty200",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: "A Lambda proxy result that is an empty object ({}) is a 200 with an empty body, not a malformed result",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "empty-object")
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Body).To(BeEmpty(), "%s", resp)
			},
		},
		malformedResult("LambdaProxyBareStringMalformed", "bare-string", `that is a bare JSON string ("hello")`),
		malformedResult("LambdaProxyStatusNotNumberMalformed", "status-not-number", `whose statusCode is not numeric ({"statusCode":"test"})`),
		malformedResult("LambdaProxyMultiValueNotListMalformed", "multivalue-not-list", "whose multiValueHeaders value is not a list"),
		malformedResult("LambdaProxyInvalidJSONMalformed", "invalid-json", "that is not JSON"),
		malformedResult("LambdaProxyFunctionErrorMalformed", "function-error", "reporting a function error (X-Amz-Function-Error)"),
		{
			Name:        "LambdaProxyStatusCodeString",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: `A numeric string statusCode ("201") is accepted as that status`,
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "status-string")
				t.Expect(resp.Status).To(Equal(http.StatusCreated), "%s", resp)
				t.Expect(string(resp.Body)).To(Equal("created"), "%s", resp)
			},
		},
		{
			Name:        "LambdaProxyHeadersOnlyIs200",
			Feature:     FeatureLambdaProxy,
			Section:     "§9, §13.4",
			Description: "A result with headers and no statusCode is a 200 with those headers",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "headers-only")
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Header.Get("x-gatecheck-only")).To(Equal("yes"), "%s", resp)
			},
		},
		{
			Name:        "LambdaProxyNoBodyDefaultsContentType",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: "A result without a body gives an empty body with Content-Type application/json",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "no-body")
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Body).To(BeEmpty(), "%s", resp)
				t.Expect(resp.Header.Get("Content-Type")).To(Equal("application/json"), "%s", resp)
			},
		},
		{
			Name:        "LambdaProxyHeadersMerge",
			Feature:     FeatureLambdaProxy,
			Section:     "§9",
			Description: `headers and multiValueHeaders for the same name merge as "value-multi, value-solo"`,
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				resp := lambda(t, "merge-headers")
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Header.Values("x-gatecheck-merge")).To(Equal([]string{"value-multi, value-solo"}), "%s", resp)
			},
		},
	},
})
