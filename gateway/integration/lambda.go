package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// lambdaProxy invokes the function through the Lambda Invoke API and maps
// its proxy result; a malformed result is a 502 (spec §9).
func (s *Stage) lambdaProxy(ctx context.Context, r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	env := &mapping.Env{Request: r, Ctx: c}
	if err := applyMappedHeaders(nil, in, env, restapi.AWSProxy); err != nil {
		return nil, err // a forbidden header mapping fails even here (AWS-REC)
	}
	uri := env.Substitute(in.URI)
	_, fn, _ := strings.Cut(uri, ":lambda:path/2015-03-31/functions/")
	fn = strings.TrimSuffix(fn, "/invocations")
	if s.LambdaEndpoint == "" || fn == "" {
		return nil, fail(gatewayresponse.APIConfigurationError, errors.New("no Lambda endpoint configured"))
	}
	event, err := json.Marshal(newEvent(r, c, fn))
	if err != nil {
		return nil, fail(gatewayresponse.APIConfigurationError, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.LambdaEndpoint, "/")+"/2015-03-31/functions/"+url.PathEscape(fn)+"/invocations", bytes.NewReader(event))
	if err != nil {
		return nil, fail(gatewayresponse.APIConfigurationError, err)
	}
	res, err := s.invokeLambda(req, c)
	if err != nil {
		return nil, err
	}
	defer res.release()
	if res.header.Get("X-Amz-Function-Error") != "" {
		return nil, fail(gatewayresponse.LambdaProxyMalformed, errors.New("function error"))
	}
	pr, err := ParseProxyResult(res.body.Bytes())
	if err != nil {
		return nil, fail(gatewayresponse.LambdaProxyMalformed, err)
	}
	// The function's headers are cleaned and remapped like a backend's.
	body, err := lambdaResultBody(c.API, r, pr) // binary.go
	if err != nil {
		return nil, err
	}
	return &result{status: pr.StatusCode, header: responseHeaders(pr.Header, proxyRules), body: newBuffer(body)}, nil
}

// invokeLambda sends an Invoke call, for either Lambda integration type. A
// failed call, or one the Lambda service refuses (no such function,
// throttled), is a 500 as AWS records for aws_proxy (spec §9, §13.12);
// UNCONFIRMED for type aws, where LocalStack selects on the Invoke status.
func (s *Stage) invokeLambda(req *http.Request, c *request.Context) (*result, error) {
	req.Header.Set("Content-Type", request.DefaultMediaType)
	req.Header.Set(request.HeaderTraceID, c.TraceID)
	res, err := s.do(req)
	if err != nil {
		var f *failure
		if errors.As(err, &f) && f.typ == gatewayresponse.IntegrationFailure {
			f.typ = gatewayresponse.APIConfigurationError
		}
		return nil, err
	}
	if res.status/100 != 2 {
		res.release()
		return nil, fail(gatewayresponse.APIConfigurationError, fmt.Errorf("lambda invoke returned %d", res.status))
	}
	return res, nil
}

// ProxyResult is a validated Lambda proxy result.
type ProxyResult struct {
	StatusCode      int
	Header          http.Header // exact-case names
	Body            string
	IsBase64Encoded bool
}

var proxyResultKeys = []string{"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}

// ParseProxyResult validates a Lambda proxy result the way API Gateway does
// (spec §9, recorded against AWS): the result must be a JSON object with
// only the known keys, each optional ({} is a 200 with an empty body:
// AWS-REC, LocalStack test_lambda_aws_proxy_response_format, 2024-02-23);
// statusCode is a number or a numeric string and defaults to 200; multiValueHeaders values must be lists; headers and
// multiValueHeaders for the same name merge as "multi, solo".
func ParseProxyResult(b []byte) (*ProxyResult, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the result")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("result is a %T, not an object", raw)
	}
	for k := range obj {
		if !slices.Contains(proxyResultKeys, k) {
			return nil, fmt.Errorf("unknown key %q", k)
		}
	}
	pr := &ProxyResult{StatusCode: http.StatusOK, Header: http.Header{}}
	if v, ok := obj["statusCode"]; ok && v != nil {
		code, err := statusCode(v)
		if err != nil {
			return nil, err
		}
		pr.StatusCode = code
	}
	solo := map[string]string{}
	if v, ok := obj["headers"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("headers is not an object")
		}
		for k, hv := range m {
			s, err := scalar(hv)
			if err != nil {
				return nil, fmt.Errorf("headers.%s: %w", k, err)
			}
			solo[k] = s
		}
	}
	if v, ok := obj["multiValueHeaders"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("multiValueHeaders is not an object")
		}
		for k, hv := range m {
			list, ok := hv.([]any)
			if !ok {
				return nil, fmt.Errorf("multiValueHeaders.%s is not a list", k)
			}
			vals := make([]string, 0, len(list)+1)
			for _, item := range list {
				s, err := scalar(item)
				if err != nil {
					return nil, fmt.Errorf("multiValueHeaders.%s: %w", k, err)
				}
				vals = append(vals, s)
			}
			if s, ok := solo[k]; ok {
				vals = []string{strings.Join(append(vals, s), ", ")}
				delete(solo, k)
			}
			pr.Header[k] = vals
		}
	}
	for k, s := range solo {
		pr.Header[k] = []string{s}
	}
	if v, ok := obj["body"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("body is not a string")
		}
		pr.Body = s
	}
	if v, ok := obj["isBase64Encoded"]; ok && v != nil {
		bv, ok := v.(bool)
		if !ok {
			return nil, errors.New("isBase64Encoded is not a boolean")
		}
		pr.IsBase64Encoded = bv
	}
	return pr, nil
}

func statusCode(v any) (int, error) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, fmt.Errorf("statusCode is a %T", v)
	}
	code, err := strconv.Atoi(s)
	if err != nil || code < 100 || code > 599 {
		return 0, fmt.Errorf("statusCode %q is not an HTTP status", s)
	}
	return code, nil
}

func scalar(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", fmt.Errorf("value is a %T, not a string", v)
}
