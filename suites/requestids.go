package suites

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureRequestIDs: request id and trace headers (spec §11).
const FeatureRequestIDs = "request-ids"

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureRequestIDs, Description: "request id and trace headers (spec §11)"})
}

func expectUUID(t *conformance.T, s, what string) {
	_, err := uuid.Parse(s)
	t.Expect(err).NotTo(HaveOccurred(), "%s %q is not a UUID", what, s)
}

var _ = conformance.Register(conformance.Area{
	Name:  "request-ids",
	Title: "Request ids and tracing",
	Checks: []conformance.Check{
		{
			Name:        "RequestIDHeadersOnEveryResponse",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "Every response, success or gateway error, carries a UUID x-amzn-RequestId and an x-amz-apigw-id, both fresh on each request",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				ok1 := t.Get(t.Target.URL("inspect"), nil)
				ok2 := t.Get(t.Target.URL("inspect"), nil)
				missing := t.Get(t.Target.StageURL(t.Target.Profile.Target.Stage, "/gatecheck-no-such-resource"), nil)
				t.Expect(ok1.Status).To(Equal(http.StatusOK), "%s", ok1)
				// Which 4xx an unknown path gets is the errors area's check.
				t.Expect(missing.Status).To(BeNumerically(">=", 400), "an unknown path is a gateway error: %s", missing)
				t.Expect(missing.Status).To(BeNumerically("<", 500), "an unknown path is a gateway error: %s", missing)
				seenReq, seenExt := map[string]bool{}, map[string]bool{}
				for _, r := range []*conformance.Response{ok1, ok2, missing} {
					id, ext := r.Header.Get("x-amzn-RequestId"), r.Header.Get("x-amz-apigw-id")
					expectUUID(t, id, "x-amzn-RequestId")
					t.Expect(ext).NotTo(BeEmpty(), "x-amz-apigw-id missing: %s", r)
					t.Expect(seenReq[id]).To(BeFalse(), "x-amzn-RequestId %s repeated", id)
					t.Expect(seenExt[ext]).To(BeFalse(), "x-amz-apigw-id %s repeated", ext)
					seenReq[id], seenExt[ext] = true, true
				}
			},
		},
		{
			Name:        "RequestIDClientUUIDHonoured",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A UUID sent by the client in x-amzn-RequestId becomes the request id",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				id := uuid.NewString()
				resp := t.Get(t.Target.URL("inspect"), header("x-amzn-RequestId", id))
				t.Expect(resp.Header.Get("x-amzn-RequestId")).To(Equal(id), "%s", resp)
			},
		},
		{
			Name:        "RequestIDNonUUIDReplaced",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A client x-amzn-RequestId that is not a UUID is replaced, never echoed",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("inspect"), header("x-amzn-RequestId", "gatecheck-not-a-uuid"))
				got := resp.Header.Get("x-amzn-RequestId")
				t.Expect(got).NotTo(BeEmpty(), "%s", resp)
				t.Expect(got).NotTo(ContainSubstring("gatecheck-not-a-uuid"), "%s", resp)
			},
		},
		{
			Name:        "RequestIDInContext",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "$context.requestId in a mapping template equals the x-amzn-RequestId response header",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("mock"), nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				var b struct {
					RequestID string `json:"requestId"`
				}
				t.Expect(json.Unmarshal(resp.Body, &b)).To(Succeed(), "%s", resp)
				t.Expect(b.RequestID).To(Equal(resp.Header.Get("x-amzn-RequestId")), "%s", resp)
			},
		},
		{
			Name:        "TraceIDForwardedToBackend",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A client X-Amzn-Trace-Id reaches the HTTP backend with its Root kept (X-Ray DG: API Gateway adds a tracing header only to requests that have none; AWS-REC: the HTTP backends of TestApiGatewayHeaderRemapping, 2024-07-17, got X-Amzn-Trace-Id)",
			Needs:       []string{conformance.NeedRoute("inspect")},
			Test: func(t *conformance.T) {
				root := "Root=1-5759e988-bd862e3fe1be46a994272793"
				resp := t.Get(t.Target.URL("inspect"), header("X-Amzn-Trace-Id", root+";Parent=53995c3f42cd8ad8;Sampled=1"))
				doc, err := resp.Document()
				t.Expect(err).NotTo(HaveOccurred())
				got := strings.Join(doc.Request.Headers["X-Amzn-Trace-Id"], ",")
				t.Expect(got).To(ContainSubstring(root), "trace header the backend received")
			},
		},
		// The three below: AWS-REC, LocalStack
		// tests/aws/services/apigateway/test_apigateway_common.py
		// ::test_invocation_trace_id (recorded 2024-08-07; tracing off).
		{
			Name:        "TraceIDClientHeaderReturned",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A client X-Amzn-Trace-Id with Root and Parent comes back unchanged on a Lambda proxy response",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				const full = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
				resp := t.Get(t.Target.URL("lambda")+"?result=ok", header("X-Amzn-Trace-Id", full))
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Header.Get("X-Amzn-Trace-Id")).To(ContainSubstring(full), "%s", resp)
			},
		},
		{
			Name:        "TraceIDRootOnlyGetsParent",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A client X-Amzn-Trace-Id with only a Root comes back on a Lambda proxy response with that Root and a new Parent (16 hex digits) as its second field",
			Needs:       []string{conformance.NeedRoute("lambda")},
			Test: func(t *conformance.T) {
				const root = "Root=1-3152b799-8954dae64eda91bc9a23a7e8"
				resp := t.Get(t.Target.URL("lambda")+"?result=ok", header("X-Amzn-Trace-Id", root))
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				fields := strings.Split(resp.Header.Get("X-Amzn-Trace-Id"), ";")
				t.Expect(fields[0]).To(Equal(root), "%s", resp)
				t.Expect(len(fields)).To(BeNumerically(">=", 2), "no Parent added: %s", resp)
				t.Expect(fields[1]).To(MatchRegexp(`^Parent=[0-9a-f]{16}$`), "%s", resp)
			},
		},
		{
			Name:        "TraceIDNotOnMockResponse",
			Feature:     FeatureRequestIDs,
			Section:     "§11",
			Description: "A mock integration's response carries no X-Amzn-Trace-Id, even when the client sent one",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				resp := t.Get(t.Target.URL("mock"), header("X-Amzn-Trace-Id", "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"))
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				t.Expect(resp.Header.Values("X-Amzn-Trace-Id")).To(BeEmpty(), "%s", resp)
			},
		},
	},
})
