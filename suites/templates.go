package suites

// Mapping templates and binary payloads (issue 11): what a client sees of
// API Gateway's Velocity (VTL) templates, its request and response
// overrides, and its binary media type conversions.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
)

// FeatureMappingTemplates: VTL mapping templates (#set, #if, #foreach,
// $input, $util, $context overrides).
const FeatureMappingTemplates = "mapping-templates"

// FeatureBinaryMedia: binaryMediaTypes and contentHandling conversions.
const FeatureBinaryMedia = "binary-media"

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureMappingTemplates, Description: "VTL mapping templates: directives, $input, $util, request and response overrides (DG mapping template reference)"})
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureBinaryMedia, Description: "binary media types and contentHandling conversions (DG content type conversions)"})
}

// postJSON posts a JSON body to a role's URL.
func postJSON(t *conformance.T, url, body string, h http.Header) *conformance.Response {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	return t.Do(conformance.Request{Method: http.MethodPost, URL: url, Body: bytes.NewReader([]byte(body)), Header: h})
}

// binaryBody is a PNG signature and bytes that are not UTF-8: a payload
// that only survives as binary.
var binaryBody = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0xff, 0xfe, 0x80, 0x01}

var _ = conformance.Register(conformance.Area{
	Name:  "templates",
	Title: "Mapping templates and binary payloads",
	Checks: []conformance.Check{
		{
			Name: "MappingTemplateDirectives", Feature: FeatureMappingTemplates, Section: "§9",
			Description: "A request template builds the backend's body with #foreach, #set arithmetic, $input.path, $input.json and $util functions, and the response template maps a header from it (DG API Gateway mapping template and access logging variable reference)",
			Needs:       []string{conformance.NeedRoute("vtl-transform")},
			Test: func(t *conformance.T) {
				resp := postJSON(t, t.Target.URL("vtl-transform")+"?tag=it%27s%20new", `{"items":[{"name":"pen","qty":2},{"name":"cap","qty":40}]}`, nil)
				t.Expect(resp.Status).To(Equal(http.StatusOK), "%s", resp)
				var got struct {
					Transformed struct {
						Names     []string       `json:"names"`
						Total     int            `json:"total"`
						Tag       string         `json:"tag"`
						TagBase64 string         `json:"tagBase64"`
						First     map[string]any `json:"first"`
					} `json:"transformed"`
					Stage string `json:"stage"`
				}
				t.Expect(json.Unmarshal(resp.Body, &got)).To(Succeed(), "the templates' output is JSON: %s", resp)
				tr := got.Transformed
				t.Expect(tr.Names).To(Equal([]string{"PEN", "CAP"}), "#foreach over $input.path('$.items') with toUpperCase(): %s", resp)
				t.Expect(tr.Total).To(Equal(42), "#set arithmetic: %s", resp)
				t.Expect(tr.Tag).To(Equal("it's new"), "$util.escapeJavaScript of a query parameter: %s", resp)
				t.Expect(tr.TagBase64).To(Equal(base64.StdEncoding.EncodeToString([]byte("it's new"))), "$util.base64Encode: %s", resp)
				t.Expect(tr.First).To(Equal(map[string]any{"name": "pen", "qty": float64(2)}), "$input.json('$.items[0]'): %s", resp)
				t.Expect(got.Stage).To(Equal(t.Target.Profile.Target.Stage), "$context.stage: %s", resp)
				t.Expect(resp.Header.Get("X-Vtl-Total")).To(Equal("42"), "a response header mapped from the integration response: %s", resp)
			},
		},
		{
			Name: "MappingTemplateOverrides", Feature: FeatureMappingTemplates, Section: "§9",
			Description: "$context.responseOverride.status and .header.X set by a response template are what the client gets; a value a request template stores in $context.requestOverride is readable in the response template (AWS-REC, 2023-09-17 and 2024-11-06; DG)",
			Needs:       []string{conformance.NeedRoute("vtl-items")},
			Test: func(t *conformance.T) {
				items := `"items":[{"name":"a"},{"name":"b"},{"name":"c"}]`
				var doc struct {
					Count int      `json:"count"`
					Names []string `json:"names"`
				}
				plain := postJSON(t, t.Target.URL("vtl-items"), "{"+items+"}", nil)
				t.Expect(plain.Status).To(Equal(http.StatusOK), "%s", plain)
				t.Expect(json.Unmarshal(plain.Body, &doc)).To(Succeed(), "%s", plain)
				t.Expect(doc.Count).To(Equal(3), "%s", plain)
				t.Expect(doc.Names).To(Equal([]string{"a", "b", "c"}), "names stored by the request template, read back by the response template: %s", plain)
				t.Expect(plain.Header.Get("X-Vtl-Accepted")).To(BeEmpty(), "%s", plain)

				accepted := postJSON(t, t.Target.URL("vtl-items"), `{"accepted":true,`+items+"}", nil)
				t.Expect(accepted.Status).To(Equal(http.StatusAccepted), "$context.responseOverride.status: %s", accepted)
				t.Expect(accepted.Header.Get("X-Vtl-Accepted")).To(Equal("yes"), "$context.responseOverride.header: %s", accepted)
			},
		},
		{
			Name: "MappingTemplateFailureIs500", Feature: FeatureMappingTemplates, Section: "§9",
			Description: "A template that fails while rendering (substring past the end of a string) fails the call with 500 Internal server error, not a partial answer (OBS: aws-cdk#34777)",
			Needs:       []string{conformance.NeedRoute("vtl-broken")},
			Test: func(t *conformance.T) {
				expectGatewayError(t, t.Get(t.Target.URL("vtl-broken"), nil), http.StatusInternalServerError, "Internal server error", "")
			},
		},
		{
			Name: "BinaryPayloadFollowsAccept", Feature: FeatureBinaryMedia, Section: "§9",
			Description: "A binary payload (a Content-Type in binaryMediaTypes) comes back as is for a binary first Accept type and base64-encoded for a text one (DG Content type conversions in API Gateway)",
			Needs:       []string{conformance.NeedRoute("binary-echo")},
			Test: func(t *conformance.T) {
				send := func(accept string) *conformance.Response {
					return t.Do(conformance.Request{Method: http.MethodPost, URL: t.Target.URL("binary-echo"), Body: bytes.NewReader(binaryBody),
						Header: header("Content-Type", "image/png", "Accept", accept)})
				}
				raw := send("image/png")
				t.Expect(raw.Status).To(Equal(http.StatusOK), "%s", raw)
				t.Expect(raw.Body).To(Equal(binaryBody), "the bytes come back as is for a binary Accept: %s", raw)
				encoded := send("application/json")
				t.Expect(encoded.Status).To(Equal(http.StatusOK), "%s", encoded)
				t.Expect(string(encoded.Body)).To(Equal(base64.StdEncoding.EncodeToString(binaryBody)), "base64 for a text Accept: %s", encoded)
				firstOnly := send("application/json, image/png")
				t.Expect(string(firstOnly.Body)).To(Equal(base64.StdEncoding.EncodeToString(binaryBody)), "only the first Accept type counts: %s", firstOnly)
			},
		},
		{
			Name: "BinaryConversionFailureIs500", Feature: FeatureBinaryMedia, Section: "§9",
			Description: "CONVERT_TO_BINARY on a payload that is not base64 fails the call with 500, an API configuration error (DG Content type conversions in API Gateway)",
			Needs:       []string{conformance.NeedRoute("binary-to-binary")},
			Test: func(t *conformance.T) {
				ok := t.Do(conformance.Request{Method: http.MethodPost, URL: t.Target.URL("binary-to-binary"),
					Body: bytes.NewReader([]byte(base64.StdEncoding.EncodeToString(binaryBody))), Header: header("Content-Type", "text/plain", "Accept", "image/png")})
				t.Expect(ok.Status).To(Equal(http.StatusOK), "a base64 text body is decoded for the backend: %s", ok)
				t.Expect(ok.Body).To(Equal(binaryBody), "%s", ok)
				bad := t.Do(conformance.Request{Method: http.MethodPost, URL: t.Target.URL("binary-to-binary"),
					Body: bytes.NewReader([]byte("not base64!")), Header: header("Content-Type", "text/plain")})
				expectGatewayError(t, bad, http.StatusInternalServerError, "Internal server error", "")
			},
		},
		{
			Name: "BinaryConvertToTextEncodes", Feature: FeatureBinaryMedia, Section: "§9",
			Description: "CONVERT_TO_TEXT on an integration response base64-encodes a binary payload, whatever the client's Accept (DG Content type conversions in API Gateway: binary payload, CONVERT_TO_TEXT -> base64-encoded string)",
			Needs:       []string{conformance.NeedRoute("binary-bytes")},
			Test: func(t *conformance.T) {
				const n = 25
				want := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("gatecheck\n", 3)[:n]))
				for _, accept := range []string{"application/octet-stream", "application/json"} {
					resp := t.Get(t.Target.URL("binary-bytes", "n", strconv.Itoa(n)), header("Accept", accept))
					t.Expect(resp.Status).To(Equal(http.StatusOK), "Accept %s: %s", accept, resp)
					t.Expect(strings.TrimRight(string(resp.Body), "=")).To(Equal(strings.TrimRight(want, "=")), "Accept %s: the fixture's %d bytes, base64-encoded: %s", accept, n, resp)
				}
			},
		},
	},
})
