package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// HeaderFunctionError is the Lambda Invoke API's function error header
// (Handled or Unhandled).
const HeaderFunctionError = "X-Amz-Function-Error"

// lambdaCustom is the non-proxy Lambda integration (type aws, evidence
// topic 2): the request template's output is the Invoke payload verbatim
// (with no template, the passthrough body), and the integration responses
// map the function's result.
//
// Integration response selection: for a function error (X-Amz-Function-Error
// on the Invoke response, Handled or Unhandled) the patterns are matched
// against the error's errorMessage (DOC, MODEL; "" when it has none, which
// only a pattern such as .* matches); a result has no error to match, so
// patterns see "" too (MODEL: "If the back end is an AWS Lambda function, the
// AWS Lambda function error header is matched"; the status is matched only
// for other back ends. OBS: LocalStack selects on errorMessage or "").
// Patterns match the whole string and . does not
// match a newline (OBS; restapi compiles them so). No match: the default
// response — a function error is then a 200 with the error as the body (DOC:
// "Lambda errors are returned as 200 OK responses by default"); no default
// either: a configuration error (500). AWS-REC (test_lambda_selection_patterns,
// 2023-09-05): patterns .*400.* -> 405 and .*5\d\d.* -> 502 give those statuses
// with the raw error payload as the body; a result "Pass" gives 200 "Pass".
func (s *Stage) lambdaCustom(ctx context.Context, r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	env := &mapping.Env{Request: r, Ctx: c}
	payload, err := requestBody(in, env, r)
	if err != nil {
		return nil, err
	}
	target, err := s.invokeURL(env, in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(payload))
	if err != nil {
		return nil, fail(gatewayresponse.APIConfigurationError, err)
	}
	// Mapped headers go to the Invoke call (X-Amz-Invocation-Type, say).
	if err := applyMappedHeaders(req, in, env, restapi.AWS); err != nil {
		return nil, err
	}
	// So do the request template's $context.requestOverride.header values
	// (DG: overrides apply to every non-proxy integration).
	applyRequestOverrides(req, env)
	res, err := s.invokeLambda(req, c)
	if err != nil {
		return nil, err
	}
	key := ""
	if res.header.Get(HeaderFunctionError) != "" {
		key = errorMessage(res.body.Bytes())
	}
	// The trace id is added by ServeHTTP (setTraceHeader), for every
	// integration type that carries one.
	return mapResponse(in, env, res, key)
}

// invokeURL is the Lambda Invoke API URL of the integration's function.
func (s *Stage) invokeURL(env *mapping.Env, in *restapi.Integration) (string, error) {
	_, fn, _ := strings.Cut(env.Substitute(in.URI), ":lambda:path/2015-03-31/functions/")
	fn = strings.TrimSuffix(fn, "/invocations")
	if s.LambdaEndpoint == "" || fn == "" {
		return "", fail(gatewayresponse.APIConfigurationError, errors.New("no Lambda endpoint configured"))
	}
	return strings.TrimSuffix(s.LambdaEndpoint, "/") + "/2015-03-31/functions/" + url.PathEscape(fn) + "/invocations", nil
}

// errorMessage is the errorMessage of a Lambda function error payload, or
// "" when the payload is not an object with a string errorMessage.
func errorMessage(payload []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return ""
	}
	var msg string
	if json.Unmarshal(obj["errorMessage"], &msg) != nil {
		return ""
	}
	return msg
}
