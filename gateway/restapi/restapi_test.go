package restapi_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

const referenceAPI = "../../fixtures/apis/reference.openapi.yaml"

// configError asserts err is a *restapi.ConfigError for file and returns it.
func configError(t *testing.T, err error, file string) *restapi.ConfigError {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got nil")
	}
	var ce *restapi.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error is a %T, not a *restapi.ConfigError: %v", err, err)
	}
	if ce.File != file {
		t.Errorf("ConfigError.File = %q, want %q", ce.File, file)
	}
	if !strings.HasPrefix(err.Error(), file+": ") {
		t.Errorf("error text %q does not start with the file name %q", err.Error(), file)
	}
	if want := fmt.Sprintf("%d problem(s):", len(ce.Problems)); !strings.Contains(err.Error(), want) {
		t.Errorf("error text %q does not announce %q", err.Error(), want)
	}
	return ce
}

// problemWith returns the one problem that starts with field.
func problemWith(t *testing.T, ce *restapi.ConfigError, field string) string {
	t.Helper()
	var found []string
	for _, p := range ce.Problems {
		if strings.HasPrefix(p, field+": ") {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		t.Fatalf("no problem names field %q; problems:\n  %s", field, strings.Join(ce.Problems, "\n  "))
	}
	return strings.Join(found, "\n")
}

func TestLoadReferenceDefinition(t *testing.T) {
	data, err := os.ReadFile(referenceAPI)
	if err != nil {
		t.Fatal(err)
	}
	api, err := restapi.Load("reference.openapi.yaml", data)
	if err != nil {
		t.Fatalf("reference definition rejected: %v", err)
	}
	if len(api.Warnings) > 0 {
		t.Errorf("the reference API must import into AWS as it is: %q", api.Warnings)
	}
	if api.Name != "gatecheck-reference" {
		t.Errorf("Name = %q, want gatecheck-reference", api.Name)
	}
	if api.Source != "reference.openapi.yaml" {
		t.Errorf("Source = %q", api.Source)
	}
	var paths []string
	byPath := map[string]*restapi.Resource{}
	for _, r := range api.Resources {
		paths = append(paths, r.Path)
		byPath[r.Path] = r
	}
	wantPaths := []string{"/binary/bytes/{n}", "/binary/decode", "/binary/echo", "/binary/lambda", "/binary/to-binary", "/binary/to-text", "/bytes/{n}", "/cached", "/cached-encrypted", "/cached-items/{id}", "/cached-keyed", "/cached-large", "/cached-limit", "/cached-open", "/cached-short", "/cached-silent", "/cached-strict", "/cached-ttl0",
		"/delay/{ms}", "/echo", "/inspect", "/inspect/{proxy+}", "/keyed", "/keyed-method", "/lambda", "/lambda-event/{proxy+}", "/mock",
		"/parity/forbidden-header/aws", "/parity/forbidden-header/aws-authorization", "/parity/forbidden-header/aws-proxy", "/parity/forbidden-header/http",
		"/parity/forbidden-header/http-authorization", "/parity/forbidden-header/http-proxy", "/parity/header-remap", "/parity/http-request",
		"/parity/http-request-mapped", "/parity/lambda-mapping", "/parity/lambda-select/{statusCode}", "/routing/fixed", "/routing/{proxy+}",
		"/status/{code}", "/throttled", "/throttled-load", "/unreachable", "/validated", "/validated-model",
		"/vtl/broken", "/vtl/items", "/vtl/transform"}
	if strings.Join(paths, " ") != strings.Join(wantPaths, " ") {
		t.Errorf("resources = %v, want %v (sorted)", paths, wantPaths)
	}
	if strings.Join(api.BinaryMediaTypes, " ") != "application/octet-stream image/*" {
		t.Errorf("BinaryMediaTypes = %q", api.BinaryMediaTypes)
	}
	if in := byPath["/binary/to-text"].Methods["POST"].Integration; in.ContentHandling != "CONVERT_TO_TEXT" {
		t.Errorf("/binary/to-text contentHandling = %q", in.ContentHandling)
	}
	if r, _ := byPath["/binary/decode"].Methods["POST"].Integration.ResponseFor("200"); r == nil || r.ContentHandling != "CONVERT_TO_BINARY" {
		t.Errorf("/binary/decode integration response = %+v", r)
	}

	// ANY method, http_proxy with a stage-variable URI and default timeout.
	inspect := byPath["/inspect"]
	if inspect == nil || inspect.Methods[restapi.AnyMethod] == nil {
		t.Fatalf("/inspect has no ANY method: %+v", inspect)
	}
	if m := inspect.Method("DELETE"); m == nil || m.HTTPMethod != restapi.AnyMethod {
		t.Errorf("/inspect.Method(DELETE) should fall back to ANY, got %+v", m)
	}
	in := inspect.Methods[restapi.AnyMethod].Integration
	if in.Type != restapi.HTTPProxy || in.HTTPMethod != "ANY" || in.URI != "http://${stageVariables.backend}/inspect" {
		t.Errorf("/inspect integration = %+v", in)
	}
	if in.TimeoutInMillis != nil || in.Timeout() != restapi.DefaultTimeoutMillis {
		t.Errorf("/inspect timeout = %v / %d, want unset / %d", in.TimeoutInMillis, in.Timeout(), restapi.DefaultTimeoutMillis)
	}

	delay := byPath["/delay/{ms}"].Methods["GET"]
	if delay == nil || delay.Integration.Timeout() != 1000 {
		t.Fatalf("/delay/{ms} GET timeout: %+v", delay)
	}
	if delay.Integration.RequestParameters["integration.request.path.ms"] != "method.request.path.ms" {
		t.Errorf("/delay requestParameters = %v", delay.Integration.RequestParameters)
	}
	if byPath["/delay/{ms}"].Method("POST") != nil {
		t.Error("/delay/{ms} has only GET; POST must not match")
	}

	lambda := byPath["/lambda"].Methods[restapi.AnyMethod]
	if lambda.Integration.Type != restapi.AWSProxy || lambda.Integration.HTTPMethod != "POST" {
		t.Errorf("/lambda integration = %+v", lambda.Integration)
	}

	validated := byPath["/validated"].Methods["GET"]
	if validated.Validator == nil || validated.Validator.Name != "params-only" || !validated.Validator.ValidateRequestParameters || validated.Validator.ValidateRequestBody {
		t.Errorf("/validated validator = %+v", validated.Validator)
	}
	if len(validated.Parameters) != 1 || validated.Parameters[0] != (restapi.Parameter{In: "query", Name: "q", Required: true}) {
		t.Errorf("/validated parameters = %+v", validated.Parameters)
	}
	if byPath["/echo"].Methods["POST"].Validator != nil {
		t.Error("/echo has no validator but got one")
	}

	mock := byPath["/mock"].Methods["GET"].Integration
	if mock.Type != restapi.Mock || mock.Responses["default"].StatusCode != "200" || !strings.Contains(mock.Responses["default"].ResponseTemplates["application/json"], "$context.requestId") {
		t.Errorf("/mock integration = %+v", mock)
	}

	for _, typ := range []string{"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_PARAMETERS"} {
		if _, ok := api.GatewayResponses[typ]; !ok {
			t.Errorf("gateway response %s not loaded", typ)
		}
	}
	if gr := api.GatewayResponses["DEFAULT_4XX"]; gr.StatusCode != nil || gr.ResponseParameters["gatewayresponse.header.x-gatecheck-default"] != "'4xx'" {
		t.Errorf("DEFAULT_4XX = %+v", gr)
	}
	if gr := api.GatewayResponses["BAD_REQUEST_PARAMETERS"]; gr.StatusCode == nil || *gr.StatusCode != 422 {
		t.Errorf("BAD_REQUEST_PARAMETERS status = %v, want 422", gr.StatusCode)
	}
}

func TestLoadFile(t *testing.T) {
	api, err := restapi.LoadFile(referenceAPI)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if api.Source != referenceAPI {
		t.Errorf("Source = %q, want %q", api.Source, referenceAPI)
	}
	_, err = restapi.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "API definition") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want a wrapped not-exist error", err)
	}
}

// withIntegration is a valid one-method definition whose integration is the
// given YAML flow mapping, plus optional top-level extensions.
func withIntegration(integration string) []byte {
	return []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: ` + integration + `
`)
}

const itemsField = "paths./items/{id}.get.x-amazon-apigateway-integration"

func TestLoadTimeoutBounds(t *testing.T) {
	for _, tc := range []struct {
		timeout string // "" omits the field
		want    int
		wantErr bool
	}{
		{"", restapi.DefaultTimeoutMillis, false},
		{"49", 0, true},
		{"50", 50, false},
		{"1000", 1000, false},
		{"29000", 29000, false},
		{"29001", 0, true},
		{"0", 0, true},
		{"-1", 0, true},
	} {
		t.Run("timeout="+tc.timeout, func(t *testing.T) {
			in := `{type: http_proxy, httpMethod: GET, uri: "http://example.com/items/{id}"`
			if tc.timeout != "" {
				in += ", timeoutInMillis: " + tc.timeout
			}
			api, err := restapi.Load("api.yaml", withIntegration(in+"}"))
			if tc.wantErr {
				ce := configError(t, err, "api.yaml")
				if len(ce.Problems) != 1 {
					t.Errorf("want exactly one problem, got %q", ce.Problems)
				}
				p := problemWith(t, ce, itemsField+".timeoutInMillis")
				for _, want := range []string{tc.timeout + " is outside 50–29000 ms", "pick a value in range or omit it for the 29000 ms default"} {
					if !strings.Contains(p, want) {
						t.Errorf("problem %q lacks %q", p, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			got := api.Resources[0].Methods["GET"].Integration
			if got.Timeout() != tc.want {
				t.Errorf("Timeout() = %d, want %d", got.Timeout(), tc.want)
			}
			if tc.timeout == "" && got.TimeoutInMillis != nil {
				t.Errorf("TimeoutInMillis = %d, want nil when omitted", *got.TimeoutInMillis)
			}
		})
	}
}

func TestLoadValidIntegrations(t *testing.T) {
	for name, in := range map[string]string{
		"http_proxy":                `{type: http_proxy, httpMethod: GET, uri: "https://example.com/{id}"}`,
		"upper-case type":           `{type: HTTP_PROXY, httpMethod: get, uri: "http://example.com/"}`,
		"stage variable host":       `{type: http_proxy, httpMethod: ANY, uri: "http://${stageVariables.backend}/items"}`,
		"http with templates":       `{type: http, httpMethod: POST, uri: "http://example.com/", passthroughBehavior: never, requestTemplates: {application/json: "{}"}, responses: {default: {statusCode: "200"}, "4\\d{2}": {statusCode: "400"}}}`,
		"mock":                      `{type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200"}}}`,
		"aws_proxy":                 `{type: aws_proxy, httpMethod: POST, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations"}`,
		"request parameter mapping": `{type: http_proxy, httpMethod: GET, uri: "http://example.com/{id}", requestParameters: {integration.request.path.id: method.request.path.id, integration.request.header.x-a: "'lit'", integration.request.querystring.s: stageVariables.v, integration.request.header.x-r: context.requestId}}`,
	} {
		t.Run(name, func(t *testing.T) {
			api, err := restapi.Load("api.yaml", withIntegration(in))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			got := api.Resources[0].Methods["GET"].Integration
			if got.Type != strings.ToLower(got.Type) || got.HTTPMethod != strings.ToUpper(got.HTTPMethod) {
				t.Errorf("type/httpMethod not normalised: %q %q", got.Type, got.HTTPMethod)
			}
			if got.PassthroughBehavior != strings.ToUpper(got.PassthroughBehavior) {
				t.Errorf("passthroughBehavior not normalised: %q", got.PassthroughBehavior)
			}
		})
	}
}

func TestLoadInvalidIntegrations(t *testing.T) {
	for _, tc := range []struct {
		name        string
		integration string
		field       string   // the field path the problem must name
		want        []string // substrings of that problem: what is wrong and the fix
	}{
		{"unknown type", `{type: lambda_magic, httpMethod: GET, uri: "http://example.com/"}`,
			itemsField + ".type", []string{`"lambda_magic" is not an integration type`, "use one of [http_proxy http mock aws_proxy aws]"}},
		{"AWS type for a service other than Lambda", `{type: AWS, httpMethod: POST, uri: "arn:aws:apigateway:us-east-1:s3:path/b"}`,
			itemsField + ".uri", []string{"is not a Lambda invocation URI", "type aws for Lambda functions only"}},
		{"AWS Lambda type with GET", `{type: aws, httpMethod: GET, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"}`,
			itemsField + ".httpMethod", []string{"Lambda (type aws) integrations must call the Lambda Invoke API with POST, not GET"}},
		{"missing type", `{httpMethod: GET, uri: "http://example.com/"}`,
			itemsField + ".type", []string{"missing; use one of [http_proxy http mock aws_proxy aws]"}},
		{"missing uri", `{type: http_proxy, httpMethod: GET}`,
			itemsField + ".uri", []string{"required for type http_proxy"}},
		{"missing httpMethod", `{type: http_proxy, uri: "http://example.com/"}`,
			itemsField + ".httpMethod", []string{"required for type http_proxy", "e.g. GET, POST or ANY"}},
		{"aws_proxy with GET", `{type: aws_proxy, httpMethod: GET, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"}`,
			itemsField + ".httpMethod", []string{"Lambda proxy integrations must call the Lambda Invoke API with POST, not GET"}},
		{"aws_proxy with non-Lambda uri", `{type: aws_proxy, httpMethod: POST, uri: "http://example.com/"}`,
			itemsField + ".uri", []string{"is not a Lambda invocation URI", "use arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function-arn}/invocations"}},
		{"non-URL http uri", `{type: http, httpMethod: GET, uri: "example.com/items"}`,
			itemsField + ".uri", []string{`"example.com/items" must be an http:// or https:// URL`, "stage variables allowed as ${stageVariables.name}"}},
		{"ftp uri", `{type: http_proxy, httpMethod: GET, uri: "ftp://example.com/"}`,
			itemsField + ".uri", []string{`"ftp://example.com/" must be an http:// or https:// URL`}},
		{"unknown field", `{type: http_proxy, httpMethod: GET, uri: "http://example.com/", timeoutInMilis: 100}`,
			itemsField, []string{`unknown field "timeoutInMilis"`, "fix: see the API Gateway OpenAPI extensions reference"}},
		{"wrong field type", `{type: http_proxy, httpMethod: GET, uri: "http://example.com/", timeoutInMillis: "soon"}`,
			itemsField, []string{"timeoutInMillis", "fix:"}},
		{"bad passthroughBehavior", `{type: http, httpMethod: GET, uri: "http://example.com/", passthroughBehavior: SOMETIMES}`,
			itemsField + ".passthroughBehavior", []string{`"SOMETIMES" is not WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER`}},
		{"bad selection pattern", `{type: http, httpMethod: GET, uri: "http://example.com/", responses: {"4(": {statusCode: "400"}}}`,
			itemsField + ".responses.4(", []string{"selection pattern is not a valid regular expression"}},
		{"bad integration response status", `{type: http, httpMethod: GET, uri: "http://example.com/", responses: {default: {statusCode: "OK"}}}`,
			itemsField + ".responses.default.statusCode", []string{`"OK" is not an HTTP status code (100–599)`}},
		{"bad mapping target", `{type: http_proxy, httpMethod: GET, uri: "http://example.com/", requestParameters: {method.request.header.x: "'v'"}}`,
			itemsField + ".requestParameters.method.request.header.x", []string{"mapping targets start with integration.request."}},
		{"bad mapping source", `{type: http_proxy, httpMethod: GET, uri: "http://example.com/", requestParameters: {integration.request.header.x: "body.x"}}`,
			itemsField + ".requestParameters.integration.request.header.x", []string{`source "body.x" is not a literal`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := restapi.Load("api.yaml", withIntegration(tc.integration))
			ce := configError(t, err, "api.yaml")
			p := problemWith(t, ce, tc.field)
			for _, want := range tc.want {
				if !strings.Contains(p, want) {
					t.Errorf("problem %q lacks %q", p, want)
				}
			}
		})
	}
}

func TestLoadMissingIntegration(t *testing.T) {
	doc := []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses: {"200": {description: OK}}
`)
	ce := configError(t, mustFail(t, doc), "api.yaml")
	p := problemWith(t, ce, "paths./a.get")
	if !strings.Contains(p, "every method needs an integration") || !strings.Contains(p, "fix: add `x-amazon-apigateway-integration:") {
		t.Errorf("problem %q does not explain the fix", p)
	}
}

func mustFail(t *testing.T, doc []byte) error {
	t.Helper()
	api, err := restapi.Load("api.yaml", doc)
	if err == nil {
		t.Fatalf("definition accepted: %+v", api)
	}
	if api != nil {
		t.Errorf("Load returned an API alongside the error")
	}
	return err
}

// withGatewayResponses is a valid mock API with the given gateway responses block.
func withGatewayResponses(block string) []byte {
	return []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-gateway-responses:
` + block + `
paths:
  /a:
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`)
}

func TestLoadGatewayResponseStatusCode(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		want         int // 0: rejected
	}{
		{"string 404", `"404"`, 404},
		{"number 404", `404`, 404},
		{"number 599", `599`, 599},
		{"number 400", `400`, 400},
		{"number 200", `200`, 0},
		{"string 200", `"200"`, 0},
		{"600", `600`, 0},
		{"not a number", `"four"`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := withGatewayResponses("  MISSING_AUTHENTICATION_TOKEN:\n    statusCode: " + tc.status + "\n    responseTemplates: {application/json: '{}'}")
			api, err := restapi.Load("api.yaml", doc)
			if tc.want == 0 {
				ce := configError(t, err, "api.yaml")
				p := problemWith(t, ce, "x-amazon-apigateway-gateway-responses.MISSING_AUTHENTICATION_TOKEN.statusCode")
				if !strings.Contains(p, "is not a 4xx or 5xx status code") {
					t.Errorf("problem %q", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			gr, ok := api.GatewayResponses["MISSING_AUTHENTICATION_TOKEN"]
			if !ok || gr.StatusCode == nil || *gr.StatusCode != tc.want {
				t.Fatalf("gateway response = %+v, want status %d", gr, tc.want)
			}
			if gr.ResponseTemplates["application/json"] != "{}" {
				t.Errorf("templates = %v", gr.ResponseTemplates)
			}
		})
	}
}

func TestLoadGatewayResponseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, block, field string
		want               []string
	}{
		{"unknown type", "  NOT_A_TYPE:\n    statusCode: 404",
			"x-amazon-apigateway-gateway-responses.NOT_A_TYPE", []string{"unknown gateway response type; use one of [ACCESS_DENIED", "WAF_FILTERED]"}},
		{"lower-case type", "  default_4xx:\n    statusCode: 404",
			"x-amazon-apigateway-gateway-responses.default_4xx", []string{"unknown gateway response type"}},
		{"not an object", "  DEFAULT_4XX: 404",
			"x-amazon-apigateway-gateway-responses.DEFAULT_4XX", []string{"must be an object with statusCode, responseParameters, responseTemplates"}},
		{"unknown field", "  DEFAULT_4XX:\n    responseTemplate: {}",
			"x-amazon-apigateway-gateway-responses.DEFAULT_4XX", []string{`unknown field "responseTemplate"`, "fix:"}},
		{"bad header key", "  DEFAULT_4XX:\n    responseParameters: {x-hint: \"'x'\"}",
			"x-amazon-apigateway-gateway-responses.DEFAULT_4XX.responseParameters.x-hint", []string{"keys must be gatewayresponse.header.<name>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ce := configError(t, mustFail(t, withGatewayResponses(tc.block)), "api.yaml")
			p := problemWith(t, ce, tc.field)
			for _, want := range tc.want {
				if !strings.Contains(p, want) {
					t.Errorf("problem %q lacks %q", p, want)
				}
			}
		})
	}
	t.Run("block not a map", func(t *testing.T) {
		ce := configError(t, mustFail(t, withGatewayResponses("  - DEFAULT_4XX")), "api.yaml")
		p := problemWith(t, ce, "x-amazon-apigateway-gateway-responses")
		if !strings.Contains(p, "must be a map from response type to response") {
			t.Errorf("problem %q", p)
		}
	})
}

func TestLoadGarbage(t *testing.T) {
	for name, doc := range map[string]string{
		"unbalanced yaml": "paths: [\n",
		"plain text":      "this is not an API definition",
		"binary":          "\x00\x01\x02\xff",
	} {
		t.Run(name, func(t *testing.T) {
			ce := configError(t, mustFail(t, []byte(doc)), "api.yaml")
			if len(ce.Problems) != 1 {
				t.Fatalf("problems = %q, want one", ce.Problems)
			}
			if p := ce.Problems[0]; !strings.HasPrefix(p, "not a valid OpenAPI 3 document: ") || !strings.Contains(p, "fix: the file must be OpenAPI 3.0 YAML or JSON") {
				t.Errorf("problem %q", p)
			}
		})
	}
	t.Run("empty document", func(t *testing.T) {
		ce := configError(t, mustFail(t, []byte("")), "api.yaml")
		if len(ce.Problems) == 0 {
			t.Fatal("no problems")
		}
	})
	t.Run("swagger 2", func(t *testing.T) {
		ce := configError(t, mustFail(t, []byte("swagger: \"2.0\"\ninfo: {title: t, version: '1'}\npaths: {}\n")), "api.yaml")
		problemWith(t, ce, "openapi")
		problemWith(t, ce, "paths")
	})
	t.Run("no paths", func(t *testing.T) {
		ce := configError(t, mustFail(t, []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n")), "api.yaml")
		p := problemWith(t, ce, "paths")
		if !strings.Contains(p, "add at least one path") {
			t.Errorf("problem %q", p)
		}
	})
}

func TestLoadResourcePaths(t *testing.T) {
	op := func(params ...string) string {
		// kin-openapi checks declared path parameters of standard operations
		// only; greedy paths use the extension operation, as AWS exports do.
		s := "    get:\n"
		if len(params) > 0 {
			s += "      parameters:\n"
			for _, p := range params {
				s += "        - {name: " + p + ", in: path, required: true, schema: {type: string}}\n"
			}
		}
		return s + "      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n"
	}
	doc := func(paths ...string) []byte {
		return []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n" + strings.Join(paths, ""))
	}

	anyOp := "    x-amazon-apigateway-any-method:\n      parameters:\n        - {name: proxy, in: path, required: true, schema: {type: string}}\n" +
		"      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n"
	t.Run("greedy not last", func(t *testing.T) {
		ce := configError(t, mustFail(t, doc("  /a/{proxy+}/b:\n"+anyOp)), "api.yaml")
		if len(ce.Problems) != 1 {
			t.Errorf("problems = %q, want one", ce.Problems)
		}
		p := problemWith(t, ce, "paths./a/{proxy+}/b")
		if !strings.Contains(p, "greedy path variable {proxy+} must be the last path part") {
			t.Errorf("problem %q", p)
		}
	})
	t.Run("dot segments", func(t *testing.T) {
		mockOp := "    get:\n      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n"
		ce := configError(t, mustFail(t, doc("  /a/../b:\n"+mockOp, "  /.:\n"+mockOp)), "api.yaml")
		for _, field := range []string{"paths./a/../b", "paths./."} {
			if p := problemWith(t, ce, field); !strings.Contains(p, "dot segment") {
				t.Errorf("%s: problem %q", field, p)
			}
		}
	})
	t.Run("greedy last is fine", func(t *testing.T) {
		api, err := restapi.Load("api.yaml", doc("  /a/{proxy+}:\n"+anyOp))
		if err != nil {
			t.Fatal(err)
		}
		if api.Resources[0].Path != "/a/{proxy+}" {
			t.Errorf("path = %q", api.Resources[0].Path)
		}
		m := api.Resources[0].Methods[restapi.AnyMethod]
		if m == nil || len(m.Parameters) != 1 || m.Parameters[0] != (restapi.Parameter{In: "path", Name: "proxy", Required: true}) {
			t.Errorf("ANY method = %+v", m)
		}
	})
	t.Run("sibling variables with different names", func(t *testing.T) {
		ce := configError(t, mustFail(t, doc("  /a/{id}:\n"+op("id"), "  /a/{name}/b:\n"+op("name"))), "api.yaml")
		if len(ce.Problems) != 1 {
			t.Errorf("problems = %q, want one", ce.Problems)
		}
		p := problemWith(t, ce, "paths./a/{name}/b")
		if !strings.Contains(p, "variable {name} conflicts with sibling variable {id} under /a; use one name for both") {
			t.Errorf("problem %q", p)
		}
	})
	t.Run("sibling variables with one name", func(t *testing.T) {
		api, err := restapi.Load("api.yaml", doc("  /a/{id}:\n"+op("id"), "  /a/{id}/b:\n"+op("id")))
		if err != nil {
			t.Fatal(err)
		}
		if len(api.Resources) != 2 {
			t.Errorf("resources = %d", len(api.Resources))
		}
	})
	t.Run("variables at different parents", func(t *testing.T) {
		if _, err := restapi.Load("api.yaml", doc("  /a/{id}:\n"+op("id"), "  /b/{name}:\n"+op("name"))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("invalid path part", func(t *testing.T) {
		ce := configError(t, mustFail(t, doc("  /a b:\n"+op())), "api.yaml")
		p := problemWith(t, ce, "paths./a b")
		if !strings.Contains(p, `path part "a b" is not valid`) {
			t.Errorf("problem %q", p)
		}
	})
	t.Run("path without operations", func(t *testing.T) {
		ce := configError(t, mustFail(t, doc("  /a:\n    summary: nothing\n")), "api.yaml")
		p := problemWith(t, ce, "paths./a")
		if !strings.Contains(p, "the path has no operations") {
			t.Errorf("problem %q", p)
		}
	})
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	doc := []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-gateway-responses:
  NOPE: {statusCode: 404}
  DEFAULT_4XX: {statusCode: 200}
paths:
  /a:
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "http://example.com/", timeoutInMillis: 49}
    post:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: GET, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations"}
    put:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: teleport}
    delete:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "http://example.com/", extra: true}
`)
	ce := configError(t, mustFail(t, doc), "api.yaml")
	want := []string{
		"x-amazon-apigateway-gateway-responses.DEFAULT_4XX.statusCode: 200 is not a 4xx or 5xx status code",
		"x-amazon-apigateway-gateway-responses.NOPE: unknown gateway response type",
		"paths./a.get.x-amazon-apigateway-integration.timeoutInMillis: 49 is outside",
		"paths./a.post.x-amazon-apigateway-integration.httpMethod: Lambda proxy integrations must call the Lambda Invoke API with POST, not GET",
		"paths./a.put.x-amazon-apigateway-integration.type: \"teleport\" is not an integration type",
		"paths./a.delete.x-amazon-apigateway-integration: unknown field \"extra\"",
	}
	if len(ce.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n  %s", len(ce.Problems), len(want), strings.Join(ce.Problems, "\n  "))
	}
	for _, w := range want {
		found := false
		for _, p := range ce.Problems {
			if strings.HasPrefix(p, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem starts with %q; got:\n  %s", w, strings.Join(ce.Problems, "\n  "))
		}
	}
	if !strings.Contains(ce.Error(), "api.yaml: 6 problem(s):\n  - ") {
		t.Errorf("Error() = %q", ce.Error())
	}
}

func TestLoadValidators(t *testing.T) {
	base := `openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true, validateRequestParameters: true}
  params: {validateRequestParameters: true}
x-amazon-apigateway-request-validator: %s
paths:
  /a:
    post:
      x-amazon-apigateway-request-validator: %s
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name]}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`
	api, err := restapi.Load("api.yaml", []byte(fmt.Sprintf(base, "params", "all")))
	if err != nil {
		t.Fatal(err)
	}
	res := api.Resources[0]
	if v := res.Methods["POST"].Validator; v == nil || v.Name != "all" || !v.ValidateRequestBody {
		t.Errorf("POST validator = %+v, want all", v)
	}
	if res.Methods["POST"].RequestModel("application/json") == nil {
		t.Error("POST application/json request model not loaded")
	}
	if v := res.Methods["GET"].Validator; v == nil || v.Name != "params" || v.ValidateRequestBody {
		t.Errorf("GET validator = %+v, want the API default params", v)
	}

	_, err = restapi.Load("api.yaml", []byte(fmt.Sprintf(base, "params", "nope")))
	ce := configError(t, err, "api.yaml")
	p := problemWith(t, ce, "paths./a.post.x-amazon-apigateway-request-validator")
	if !strings.Contains(p, `validator "nope" is not declared`) || !strings.Contains(p, "declared: [all params]") {
		t.Errorf("problem %q", p)
	}
}

func TestLoadStages(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		sf, err := restapi.LoadStages("stages.yaml", []byte(`stages:
  - stageName: prod
    description: production
    variables: {backend: "127.0.0.1:9090", version: v1, url: "https://a.example/x?y=1&z=2#f"}
  - stageName: dev_2-b
`))
		if err != nil {
			t.Fatal(err)
		}
		stages := sf.Stages
		if len(stages) != 2 || stages[0].StageName != "prod" || stages[0].Description != "production" || stages[1].StageName != "dev_2-b" {
			t.Fatalf("stages = %+v", stages)
		}
		if stages[0].Variables["backend"] != "127.0.0.1:9090" || stages[0].Variables["version"] != "v1" || len(stages[0].Variables) != 3 {
			t.Errorf("variables = %v", stages[0].Variables)
		}
		if stages[1].Variables != nil {
			t.Errorf("stage without variables got %v", stages[1].Variables)
		}
	})
	t.Run("reference stage file", func(t *testing.T) {
		sf, err := restapi.LoadStageFile("../../fixtures/apis/reference.stages.yaml")
		if err != nil {
			t.Fatal(err)
		}
		stages := sf.Stages
		if len(stages) != 5 || stages[0].StageName != "test" || stages[1].StageName != "other" || stages[2].StageName != "cached" || !stages[2].CacheClusterEnabled || stages[0].Variables["version"] != "v1" ||
			stages[3].CanarySettings == nil || stages[3].CanarySettings.StageVariableOverrides["version"] != "v2" {
			t.Errorf("stages = %+v", stages)
		}
		if ms, own, ok := stages[0].MethodSettingFor("/throttled", "GET"); !ok || !own || *ms.ThrottlingRateLimit != 10 || *ms.ThrottlingBurstLimit != 5 {
			t.Errorf("throttled/GET method setting = %+v", ms)
		}
		if len(sf.UsagePlans) != 3 || len(sf.APIKeys) != 5 || sf.UsagePlans[0].ID != "gatecheck-quota" || sf.APIKeys[0].ID != "gatecheck-a" {
			t.Errorf("plans %+v keys %+v", sf.UsagePlans, sf.APIKeys)
		}
		if sf.AccountThrottle() != (restapi.Throttle{RateLimit: 10000, BurstLimit: 5000}) {
			t.Errorf("account throttle default = %+v", sf.AccountThrottle())
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := restapi.LoadStageFile(filepath.Join(t.TempDir(), "nope.yaml"))
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "stage file") {
			t.Errorf("err = %v", err)
		}
	})

	for _, tc := range []struct {
		name, doc string
		count     int // problems; 0: don't check
		want      []string
	}{
		{"unknown key", "stages:\n  - stageName: prod\n    variabels: {a: b}\n", 1,
			[]string{`field variabels not found in type restapi.Stage`, "fix: a stage file is `stages: [{stageName: prod, variables: {name: value}}]`"}},
		{"unknown top-level key", "stage:\n  - stageName: prod\n", 1,
			[]string{"field stage not found", "fix: a stage file is"}},
		{"not yaml", "stages: [\n", 1, []string{"fix: a stage file is"}},
		{"bad stage name", "stages:\n  - stageName: pro d\n", 1,
			[]string{`stages[0].stageName: "pro d" is not a valid stage name: use 1–128 letters, digits, - or _`}},
		{"missing stage name", "stages:\n  - description: x\n", 1,
			[]string{`stages[0].stageName: "" is not a valid stage name`}},
		{"stage name too long", "stages:\n  - stageName: " + strings.Repeat("a", 129) + "\n", 1,
			[]string{"stages[0].stageName: ", "is not a valid stage name"}},
		{"bad variable name", "stages:\n  - stageName: prod\n    variables: {bad-name: v}\n", 1,
			[]string{"stages[0].variables.bad-name: variable names are 1–64 letters, digits or _"}},
		{"bad variable value", "stages:\n  - stageName: prod\n    variables: {v: \"has space\"}\n", 1,
			[]string{`stages[0].variables.v: value "has space" must be 1–512 characters from A-Z a-z 0-9 - . _ ~ : / ? # & = ,`}},
		{"empty variable value", "stages:\n  - stageName: prod\n    variables: {v: \"\"}\n", 1,
			[]string{`stages[0].variables.v: value "" must be 1–512 characters`}},
		{"duplicate stage", "stages:\n  - stageName: prod\n  - stageName: dev\n  - stageName: prod\n", 1,
			[]string{`stages[2].stageName: "prod" is declared twice`}},
		{"empty file", "", 1, []string{"stages: no stages; add at least one `- stageName: prod`"}},
		{"empty list", "stages: []\n", 1, []string{"stages: no stages"}},
		{"several problems", "stages:\n  - stageName: a b\n    variables: {x-y: \"\", ok: fine}\n  - stageName: a b\n", 5,
			[]string{"stages[0].stageName", "stages[0].variables.x-y: variable names", "stages[0].variables.x-y: value", "stages[1].stageName: \"a b\" is not a valid", "stages[1].stageName: \"a b\" is declared twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stages, err := restapi.LoadStages("stages.yaml", []byte(tc.doc))
			if stages != nil {
				t.Errorf("stages returned with an error: %+v", stages)
			}
			ce := configError(t, err, "stages.yaml")
			if tc.count != 0 && len(ce.Problems) != tc.count {
				t.Errorf("got %d problems, want %d: %q", len(ce.Problems), tc.count, ce.Problems)
			}
			all := strings.Join(ce.Problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestValidateStageVariables(t *testing.T) {
	if p := restapi.ValidateStageVariables("v", map[string]string{"a": "b", "A_1": strings.Repeat("x", 512), strings.Repeat("n", 64): "ok"}); len(p) != 0 {
		t.Errorf("valid variables rejected: %q", p)
	}
	if p := restapi.ValidateStageVariables("v", map[string]string{strings.Repeat("n", 65): "ok"}); len(p) != 1 {
		t.Errorf("65-character name: %q", p)
	}
	if p := restapi.ValidateStageVariables("v", map[string]string{"a": strings.Repeat("x", 513)}); len(p) != 1 || !strings.HasPrefix(p[0], "v.a: value") {
		t.Errorf("513-character value: %q", p)
	}
	many := map[string]string{}
	for i := range 101 {
		many[fmt.Sprintf("v%d", i)] = "x"
	}
	p := restapi.ValidateStageVariables("stages[0].variables", many)
	if len(p) != 1 || p[0] != "stages[0].variables: 101 variables; a stage may have at most 100" {
		t.Errorf("101 variables: %q", p)
	}
	delete(many, "v0")
	if p := restapi.ValidateStageVariables("v", many); len(p) != 0 {
		t.Errorf("100 variables rejected: %q", p)
	}
}

func TestResourceMethod(t *testing.T) {
	get := &restapi.Method{HTTPMethod: "GET"}
	anyM := &restapi.Method{HTTPMethod: restapi.AnyMethod}
	r := &restapi.Resource{Path: "/a", Methods: map[string]*restapi.Method{"GET": get, restapi.AnyMethod: anyM, "POST": {HTTPMethod: "POST"}}}
	if r.Method("GET") != get {
		t.Error("explicit method must win over ANY")
	}
	if r.Method("PATCH") != anyM {
		t.Error("unknown method must fall back to ANY")
	}
	delete(r.Methods, restapi.AnyMethod)
	if r.Method("PATCH") != nil {
		t.Error("no ANY: unknown method must be nil")
	}
}

// API Gateway exports greedy paths with a standard operation and a parameter
// named without the "+": that must load.
func TestLoadGreedyPathOnStandardOperation(t *testing.T) {
	doc := "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /files/{proxy+}:\n    get:\n" +
		"      parameters:\n        - {name: proxy, in: path, required: true, schema: {type: string}}\n" +
		"      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n"
	api, err := restapi.Load("api.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(api.Resources) != 1 || api.Resources[0].Path != "/files/{proxy+}" || api.Resources[0].Methods["GET"] == nil {
		t.Fatalf("resources = %+v", api.Resources)
	}
	if !api.Resources[0].Methods["GET"].IsGreedy("proxy") {
		t.Fatal("proxy should be greedy")
	}
}

func TestSelectionPatternsAreOrdered(t *testing.T) {
	in := restapi.Integration{Responses: map[string]restapi.IntegrationResponse{"2\\d{2}": {}, "201": {}, "default": {}, "4\\d{2}": {}}}
	for i := 0; i < 20; i++ { // map order varies between iterations
		got := in.SelectionPatterns()
		want := []string{"2\\d{2}", "4\\d{2}", "201"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("patterns = %q, want %q", got, want)
		}
	}
}

func TestStageFileValidateAgainstAPI(t *testing.T) {
	api, err := restapi.Load("api.yaml", []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /:\n    get:\n      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n  /items/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {\"200\": {description: OK}}\n      x-amazon-apigateway-integration: {type: mock}\n"))
	if err != nil {
		t.Fatal(err)
	}
	good := "stages:\n  - stageName: test\n    methodSettings:\n      \"*/*\": {throttlingRateLimit: 1}\n      \"items/{id}/GET\": {throttlingRateLimit: 2}\n      \"~1items~1{id}/GET\": {throttlingRateLimit: 2}\n      \"/GET\": {throttlingRateLimit: 3}\n" +
		"apiKeys: [{name: k, value: valueK0123456789012345}]\nusagePlans:\n  - name: p\n    apiStages: [{stage: test, throttle: {\"//GET\": {rateLimit: 1, burstLimit: 1}, \"/items/{id}/GET\": {rateLimit: 1, burstLimit: 1}}}]\n    apiKeys: [k]\n"
	sf, err := restapi.LoadStages("stages.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.ValidateAgainst(api); err != nil {
		t.Fatalf("valid references rejected: %v", err)
	}
	bad := "stages:\n  - stageName: test\n    methodSettings:\n      \"items/POST\": {throttlingRateLimit: 1}\n" +
		"apiKeys: [{name: k, value: valueK0123456789012345}]\nusagePlans:\n  - name: p\n    apiStages: [{stage: test, throttle: {\"/nope/GET\": {rateLimit: 1, burstLimit: 1}}}]\n    apiKeys: [k]\n"
	sf, err = restapi.LoadStages("stages.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	ce := configError(t, sf.ValidateAgainst(api), "stages.yaml")
	if len(ce.Problems) != 2 || !strings.Contains(ce.Problems[0]+ce.Problems[1], "methodSettings.items/POST") || !strings.Contains(ce.Problems[0]+ce.Problems[1], "throttle./nope/GET") {
		t.Fatalf("problems = %q", ce.Problems)
	}
}

func TestMethodThrottlesCountedPerStage(t *testing.T) {
	throttles := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "\"/r%d/GET\": {rateLimit: 1, burstLimit: 1}, ", i)
		}
		return "{" + strings.TrimSuffix(b.String(), ", ") + "}"
	}
	doc := func(a, b int) string {
		return "stages: [{stageName: s1}, {stageName: s2}]\napiKeys: [{name: k, value: valueK0123456789012345}]\nusagePlans:\n  - name: p\n    apiStages:\n      - {stage: s1, throttle: " + throttles(a) + "}\n      - {stage: s2, throttle: " + throttles(b) + "}\n    apiKeys: [k]\n"
	}
	if _, err := restapi.LoadStages("s.yaml", []byte(doc(11, 11))); err != nil {
		t.Fatalf("11 + 11 across two stages is allowed: %v", err)
	}
	if _, err := restapi.LoadStages("s.yaml", []byte(doc(21, 1))); err == nil || !strings.Contains(err.Error(), "at most 20 per stage") {
		t.Fatalf("21 on one stage: %v", err)
	}
}

// Loaded integrations select responses with patterns compiled at load.
func TestResponseForLoadedIntegration(t *testing.T) {
	api, err := restapi.Load("api.yaml", []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {\"200\": {description: OK}}\n"+
		"      x-amazon-apigateway-integration:\n        type: mock\n        responses:\n          \"2\\\\d{2}\": {statusCode: \"200\"}\n          \"201\": {statusCode: \"202\"}\n          default: {statusCode: \"500\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := &api.Resources[0].Methods["GET"].Integration
	for key, want := range map[string]string{"201": "200", "204": "200", "404": "500"} {
		r, ok := in.ResponseFor(key)
		if !ok || r.StatusCode != want {
			t.Errorf("ResponseFor(%s) = %+v %v, want status %s", key, r, ok, want)
		}
	}
	if _, ok := (&restapi.Integration{Responses: map[string]restapi.IntegrationResponse{"200": {StatusCode: "200"}}}).ResponseFor("500"); ok {
		t.Error("no matching pattern and no default: no response")
	}
}

// Problems found in maps (selection patterns, parameter mappings, gateway
// response parameters, methodSettings, plan throttles) are reported in the
// same order on every load, sorted by key.
func TestProblemsInStableOrder(t *testing.T) {
	api := withIntegration(`{type: http, httpMethod: GET, uri: 'http://h/x',
        responses: {'(': {statusCode: '200'}, '[': {statusCode: '1'}, '*': {statusCode: 'x'}, default: {statusCode: '200'}},
        requestParameters: {a: b, c: d, e: f, g: h}}`)
	api = append(api, []byte("x-amazon-apigateway-gateway-responses:\n  DEFAULT_4XX: {responseParameters: {a: x, b: x, c: x, d: x}}\n")...)
	stages := []byte(`stages:
- stageName: s
  methodSettings: {'a': {}, 'b': {}, 'c': {}, 'd/GET': {throttlingRateLimit: -1}, 'e/GET': {throttlingBurstLimit: -1}}
usagePlans:
- name: p
  apiStages: [{stage: s, throttle: {a: {}, b: {}, c: {}, '/d/GET': {rateLimit: -1}}}]
`)
	against := []byte("stages:\n- stageName: s\n  methodSettings: {'a/GET': {}, 'b/GET': {}, 'c/GET': {}, 'd/GET': {}}\nusagePlans:\n- name: p\n  apiStages: [{stage: s, throttle: {'/a/GET': {}, '/b/GET': {}, '/c/GET': {}}}]\n")
	ref, err := restapi.LoadFile(referenceAPI)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := restapi.LoadStages("against.yaml", against)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		load       func() error
	}{
		{"Load", "api.yaml", func() error { _, err := restapi.Load("api.yaml", api); return err }},
		{"LoadStages", "stages.yaml", func() error { _, err := restapi.LoadStages("stages.yaml", stages); return err }},
		{"ValidateAgainst", "against.yaml", func() error { return sf.ValidateAgainst(ref) }},
	} {
		first := tc.load()
		if ce := configError(t, first, tc.file); len(ce.Problems) < 4 {
			t.Fatalf("%s: want at least 4 problems, got %v", tc.name, first)
		}
		for range 20 {
			if again := tc.load(); again.Error() != first.Error() {
				t.Fatalf("%s: problems in another order:\n%v\nthen:\n%v", tc.name, first, again)
			}
		}
	}
}

// Declared parameters may be mapped: the path parameter of the resource,
// and a header whatever the case it is referred to in.
func TestLoadDeclaredSourcesAccepted(t *testing.T) {
	doc := []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: x-scope, in: header, schema: {type: string}}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: "http://example.com/{id}"
        requestParameters:
          integration.request.path.id: method.request.path.id
          integration.request.header.X-Scope: method.request.header.X-Scope
          integration.request.header.X-Body: method.request.body.name
          integration.request.header.X-Stage: context.stage
`)
	if _, err := restapi.Load("api.yaml", doc); err != nil {
		t.Fatal(err)
	}
}

// Parameters declared on the path item belong to each of its operations:
// they may be mapped, and a method's own declaration of the same one wins.
func TestLoadPathItemParameters(t *testing.T) {
	doc := []byte(`openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /items:
    parameters:
      - {name: X-Scope, in: header, required: true, schema: {type: string}}
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: "http://example.com/"
        requestParameters:
          integration.request.header.X-Scope: method.request.header.X-Scope
    post:
      parameters:
        - {name: X-Scope, in: header, required: false, schema: {type: string}}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`)
	api, err := restapi.Load("api.yaml", doc)
	if err != nil {
		t.Fatal(err)
	}
	res := api.Resources[0]
	for verb, required := range map[string]bool{"GET": true, "POST": false} {
		ps := res.Methods[verb].Parameters
		if len(ps) != 1 || ps[0].Name != "X-Scope" || ps[0].Required != required {
			t.Errorf("%s parameters = %+v, want X-Scope required=%v", verb, ps, required)
		}
	}
}

// A mapping from an undeclared method request parameter loads (the
// emulator serves it) with a warning naming the field and the fix: API
// Gateway refuses it.
func TestLoadUndeclaredSourcesWarn(t *testing.T) {
	for _, tc := range []struct{ name, integration, field, want string }{
		{"header", `{type: http, httpMethod: GET, uri: "http://example.com/", requestParameters: {integration.request.header.x: "method.request.header.X-Scope"}}`,
			itemsField + ".requestParameters.integration.request.header.x", "header parameter \"X-Scope\", which the method does not declare; API Gateway refuses this (fix: add `{name: X-Scope, in: header"},
		{"query", `{type: http, httpMethod: GET, uri: "http://example.com/", requestParameters: {integration.request.querystring.q: "method.request.multivaluequerystring.q"}}`,
			itemsField + ".requestParameters.integration.request.querystring.q", `query parameter "q", which the method does not declare`},
		{"path", `{type: http, httpMethod: GET, uri: "http://example.com/", requestParameters: {integration.request.path.x: "method.request.path.other"}}`,
			itemsField + ".requestParameters.integration.request.path.x", `path parameter "other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, err := restapi.Load("api.yaml", withIntegration(tc.integration))
			if err != nil {
				t.Fatal(err)
			}
			if len(api.Warnings) != 1 || !strings.HasPrefix(api.Warnings[0], tc.field+": ") || !strings.Contains(api.Warnings[0], tc.want) {
				t.Errorf("warnings %q, want one for %s naming %q", api.Warnings, tc.field, tc.want)
			}
		})
	}
}
