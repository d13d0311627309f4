package suites

// Routing and request validation (issue 11): which resource answers a
// method when a greedy {proxy+} resource has a more specific sibling, and
// request bodies validated against a model that refers to another.

import (
	"encoding/json"
	"net/http"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureProxyResources: greedy path variables ({proxy+}) and how they
// share paths with specific resources.
const FeatureProxyResources = "proxy-resources"

// FeatureRequestValidation: request validators checking bodies against
// models.
const FeatureRequestValidation = "request-validation"

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureProxyResources, Description: "{proxy+} resources next to specific siblings: routing on the resource and method pair (DG method request settings)"})
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureRequestValidation, Description: "request validators: bodies checked against models, including models that refer to others (DG request validation)"})
}

// routedBy is what the routing fixtures' mock integrations answer: which
// resource served the request, and with what.
type routedBy struct {
	Route        string `json:"route"`
	Method       string `json:"method"`
	ResourcePath string `json:"resourcePath"`
	Proxy        string `json:"proxy"`
}

func routed(t *conformance.T, method, url string) routedBy {
	resp := t.Do(conformance.Request{Method: method, URL: url})
	t.Expect(resp.Status).To(Equal(http.StatusOK), "%s %s is served by some resource: %s", method, url, resp)
	var got routedBy
	t.Expect(json.Unmarshal(resp.Body, &got)).To(Succeed(), "%s %s: the route's mock answers JSON: %s", method, url, resp)
	return got
}

var _ = conformance.Register(conformance.Area{
	Name:  "routing",
	Title: "Routing and request validation",
	Checks: []conformance.Check{
		{
			Name: "GreedySiblingServesOtherMethods", Feature: FeatureProxyResources, Section: "§9",
			Description: "A request is routed on its resource and method together: a specific resource serves the methods it has, and its greedy {proxy+} sibling serves every other method on that path and every deeper path, rather than 403 (DG \"a method request against a specific resource takes precedence\"; AWS-validated, LocalStack PR #9208 and test_routing_with_hardcoded_resource_sibling_order, 2024-02-24)",
			Needs:       []string{conformance.NeedRoute("routing-fixed")},
			Test: func(t *conformance.T) {
				fixed := t.Target.URL("routing-fixed")
				got := routed(t, http.MethodGet, fixed)
				t.Expect(got.Route).To(Equal("fixed"), "GET is the specific resource's own method: %+v", got)
				t.Expect(got.ResourcePath).To(Equal("/routing/fixed"), "GET: %+v", got)
				for _, method := range []string{http.MethodPost, http.MethodOptions, http.MethodDelete} {
					got := routed(t, method, fixed)
					t.Expect(got.Route).To(Equal("proxy"), "%s: the specific resource has no such method, so its {proxy+} sibling serves it: %+v", method, got)
					t.Expect(got.Method).To(Equal(method), "%s: $context.httpMethod: %+v", method, got)
					t.Expect(got.Proxy).To(Equal("fixed"), "%s: the greedy variable holds the path below it: %+v", method, got)
				}
				got = routed(t, http.MethodGet, fixed+"/deeper/still")
				t.Expect(got.Route).To(Equal("proxy"), "a deeper path: %+v", got)
				t.Expect(got.Proxy).To(Equal("fixed/deeper/still"), "a deeper path: the greedy variable spans segments: %+v", got)
			},
		},
		{
			Name: "RequestBodyValidatedAgainstRefModel", Feature: FeatureRequestValidation, Section: "§9",
			Description: "A body validator enforces a model whose items are a $ref to another model: a valid array passes to the integration, an item missing a required property or a body of the wrong shape gets 400 \"Invalid request body\" (AWS-REC test_api_gateway_request_validator_with_ref_models, 2024-10-28; DG request validation)",
			Needs:       []string{conformance.NeedRoute("validated-model")},
			Test: func(t *conformance.T) {
				url := t.Target.URL("validated-model")
				resp := postJSON(t, url, `[{"a": 1, "b": 2}, {"a": 3.5, "b": -1}]`, nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "a body matching the model reaches the integration: %s", resp)
				t.Expect(strings.TrimSpace(string(resp.Body))).To(MatchJSON(`{"data": "ok"}`), "%s", resp)
				for _, body := range []string{
					`[{"a": 1}]`,             // an item misses required "b" (in the referred model)
					`[{"a": 1, "b": "two"}]`, // an item's property has the wrong type
					`{"a": 1, "b": 2}`,       // an object where the model wants an array
				} {
					// expectGatewayError names the response, and so the body sent.
					expectGatewayError(t, postJSON(t, url, body, nil), http.StatusBadRequest, "Invalid request body", "")
				}
			},
		},
	},
})
