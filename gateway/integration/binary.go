package integration

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Payload encodings of REST APIs (evidence topic 6). All of the gateway's
// binary handling is here; the integrations call these hooks:
//
//   - non-proxy integrations (http, mock): requestPayload converts the
//     method request body before the request template sees it, and
//     responsePayload converts the integration response body before the
//     response template sees it, with the conversion tables of "Content
//     type conversions in API Gateway" (DOC,
//     api-gateway-payload-encodings-workflow; LocalStack applies the same
//     tables in the same order, OBS);
//   - Lambda proxy: lambdaEventBody and lambdaResultBody;
//   - http_proxy: no conversion, the body passes through byte for byte
//     (UNCONFIRMED: the tables name Integration.contentHandling, which
//     proxy integrations do not use).
//
// A text payload is a UTF-8 string: where the tables say "UTF8-encoded
// string", bytes that are not UTF-8 become U+FFFD, one per invalid byte
// (the documented text conversion; the replacement's granularity is
// UNCONFIRMED). Base64 is the standard alphabet, padded or not; a payload
// that must be decoded and is not base64 is API Gateway's 500, "an API
// configuration error" (DOC).

// contentHandling values of an integration or integration response.
const (
	ConvertToBinary = "CONVERT_TO_BINARY"
	ConvertToText   = "CONVERT_TO_TEXT"
)

// IsBinaryMediaType reports whether a Content-Type or Accept header value
// names one of binaryMediaTypes. Only the first media type of the value
// counts ("API Gateway honors only the first Accept media type", DOC), its
// parameters are ignored, and case does not matter. An entry "*/*" covers
// every media type ("*/* includes all content types", DOC) and "type/*"
// every subtype of type; a wildcard in the header is not expanded (Accept
// "*/*" does not match "image/png"). An empty header matches nothing.
func IsBinaryMediaType(binaryMediaTypes []string, header string) bool {
	if len(binaryMediaTypes) == 0 {
		return false
	}
	mt := firstMediaType(header)
	if mt == "" {
		return false
	}
	typ, _, _ := strings.Cut(mt, "/")
	for _, entry := range binaryMediaTypes {
		entry = firstMediaType(entry)
		switch {
		case entry == "*/*":
			return true
		case strings.HasSuffix(entry, "/*"):
			if strings.EqualFold(typ, strings.TrimSuffix(entry, "/*")) {
				return true
			}
		case strings.EqualFold(entry, mt):
			return true
		}
	}
	return false
}

// firstMediaType is the first media type of a header value, without
// parameters or surrounding spaces.
func firstMediaType(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

func binaryTypes(api *restapi.API) []string {
	if api == nil {
		return nil
	}
	return api.BinaryMediaTypes
}

// convertRequestBody applies the request table: the method request body,
// its Content-Type, the API's binary media types and the integration's
// contentHandling give the integration request body.
func convertRequestBody(binaryMediaTypes []string, contentType string, body []byte, handling string) ([]byte, error) {
	if IsBinaryMediaType(binaryMediaTypes, contentType) {
		if handling == ConvertToText {
			return base64Encode(body), nil
		}
		return body, nil // binary data, as is (also for CONVERT_TO_BINARY)
	}
	if handling == ConvertToBinary {
		return decodeBase64(body)
	}
	return validUTF8(body), nil
}

// convertResponseBody applies the response table: the integration
// response body and its Content-Type, the request's Accept, the API's
// binary media types and the integration response's contentHandling give
// the method response body.
func convertResponseBody(binaryMediaTypes []string, accept, payloadType string, body []byte, handling string) ([]byte, error) {
	toText := handling == ConvertToText || (handling == "" && !IsBinaryMediaType(binaryMediaTypes, accept))
	if IsBinaryMediaType(binaryMediaTypes, payloadType) {
		if toText {
			return base64Encode(body), nil
		}
		return body, nil
	}
	if toText {
		return validUTF8(body), nil
	}
	return decodeBase64(body) // CONVERT_TO_BINARY, or a binary Accept
}

// requestPayload is the hook for non-proxy integrations: env with its
// request body converted for the integration. The request's own Context
// keeps the method request body; a converted one goes into a copy.
func requestPayload(env *mapping.Env, r *http.Request, in *restapi.Integration) (*mapping.Env, error) {
	body, err := convertRequestBody(binaryTypes(env.Ctx.API), r.Header.Get("Content-Type"), env.Ctx.Body, in.ContentHandling)
	if err != nil {
		return nil, err
	}
	if sameBytes(body, env.Ctx.Body) {
		return env, nil
	}
	ctx := *env.Ctx
	ctx.Body = body
	converted := *env
	converted.Ctx = &ctx
	return &converted, nil
}

// responsePayload is the hook for non-proxy integrations: it converts
// res.body in place under the chosen integration response.
func responsePayload(c *request.Context, r *http.Request, chosen *restapi.IntegrationResponse, res *result) error {
	body := res.body.Bytes()
	out, err := convertResponseBody(binaryTypes(c.API), r.Header.Get("Accept"), res.header.Get("Content-Type"), body, chosen.ContentHandling)
	if err != nil {
		return err
	}
	if !sameBytes(out, body) {
		res.body.Reset()
		res.body.Write(out)
	}
	return nil
}

// lambdaEventBody is the Lambda proxy event's body: base64 with
// isBase64Encoded true when the request's Content-Type is a binary media
// type of the API (DOC), else the body as text (encoding the event as
// JSON turns bytes that are not UTF-8 into U+FFFD).
func lambdaEventBody(api *restapi.API, r *http.Request, body []byte) (string, bool) {
	if IsBinaryMediaType(binaryTypes(api), r.Header.Get("Content-Type")) {
		return base64.StdEncoding.EncodeToString(body), true
	}
	return string(body), false
}

// lambdaResultBody is the client's body for a Lambda proxy result. A
// result with isBase64Encoded true is decoded when the request's first
// Accept type is a binary media type of the API ("API Gateway uses the
// first Accept header from clients to determine if a response should
// return binary media", DOC lambda-proxy-binary-media); otherwise its body
// goes out as the function wrote it, still encoded (spec §9). That the
// result's own Content-Type does not count is our reading of the same
// sentence and of the response table (a text payload with a text Accept
// stays text): UNCONFIRMED.
func lambdaResultBody(api *restapi.API, r *http.Request, pr *ProxyResult) ([]byte, error) {
	if !pr.IsBase64Encoded || !IsBinaryMediaType(binaryTypes(api), r.Header.Get("Accept")) {
		return []byte(pr.Body), nil
	}
	return decodeBase64([]byte(pr.Body))
}

var errNotBase64 = errors.New("the payload is not base64")

// decodeBase64 decodes standard base64, padded or not (line breaks are
// ignored); anything else is a configuration error, 500.
func decodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b))) // room for either form
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		if n, err = base64.RawStdEncoding.Decode(out, b); err != nil {
			return nil, fail(gatewayresponse.APIConfigurationError, errNotBase64)
		}
	}
	return out[:n], nil
}

func base64Encode(b []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out
}

// validUTF8 returns b, or a copy with each byte that is not part of a
// valid UTF-8 sequence replaced by U+FFFD.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// sameBytes reports whether a and b are the same slice (a conversion that
// changed nothing returns its input).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
