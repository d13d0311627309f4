package restapi_test

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// modelsAPI references models both ways API Gateway documents do, from a
// standard operation and from x-amazon-apigateway-any-method (evidence
// topic 8; the models are AWS-REC's testSchema, testSchemaList, TestModel
// and StatusModel).
const modelsAPI = `openapi: 3.0.1
info: {title: models, version: "1"}
x-amazon-apigateway-request-validators:
  body: {validateRequestBody: true}
x-amazon-apigateway-request-validator: body
components:
  schemas:
    testSchema:
      title: testSchema
      type: object
      properties: {a: {type: number}, b: {type: number}}
      required: [a, b]
    testSchemaList:
      type: array
      items: {$ref: https://apigateway.amazonaws.com/restapis/abc123/models/testSchema}
    StatusModel:
      type: object
      properties: {code: {type: integer}}
      required: [code]
    TestModel:
      type: object
      properties:
        status:
          oneOf:
            - {type: "null"}
            - {$ref: 'https://apigateway.amazonaws.com/restapis/abc123/models/StatusModel'}
      required: [status]
  requestBodies:
    listBody:
      content:
        application/json:
          schema: {$ref: "#/components/schemas/testSchemaList"}
paths:
  /list:
    post:
      requestBody: {$ref: "#/components/requestBodies/listBody"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
  /any:
    x-amazon-apigateway-any-method:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/testSchema"}
          $default:
            schema: {"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/TestModel"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
  /status:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/TestModel"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`

func TestLoadRequestModels(t *testing.T) {
	api, err := restapi.Load("models.yaml", []byte(modelsAPI))
	if err != nil {
		t.Fatal(err)
	}
	method := func(path, verb string) *restapi.Method {
		for _, r := range api.Resources {
			if r.Path == path {
				return r.Methods[verb]
			}
		}
		t.Fatalf("no resource %s", path)
		return nil
	}
	for _, tc := range []struct {
		path, verb, contentType string
		body                    any
		valid                   bool
	}{
		{"/list", "POST", "application/json", []any{map[string]any{"a": 1.0, "b": 2.0}}, true},
		{"/list", "POST", "application/json", []any{map[string]any{"a": 1.0}}, false}, // the AWS model URL inside items resolved
		{"/any", "ANY", "application/json", map[string]any{"a": 1.0, "b": 2.0}, true},
		{"/any", "ANY", "application/json", map[string]any{"test": "test"}, false},
		{"/any", "ANY", "text/plain", map[string]any{"status": nil}, true}, // $default: TestModel
		{"/any", "ANY", "text/plain", map[string]any{"status": map[string]any{"code": 1.0}}, true},
		{"/any", "ANY", "text/plain", map[string]any{"status": map[string]any{"wrong": 1.0}}, false},
		{"/any", "ANY", "text/plain", map[string]any{}, false},
		{"/status", "POST", "application/json", map[string]any{"status": "text"}, false},
		{"/status", "POST", "application/json", map[string]any{"status": nil}, true},
	} {
		m := method(tc.path, tc.verb)
		model := m.RequestModel(tc.contentType)
		if model == nil {
			t.Errorf("%s %s %s: no model", tc.verb, tc.path, tc.contentType)
			continue
		}
		if err := model.VisitJSON(tc.body); (err == nil) != tc.valid {
			t.Errorf("%s %s %s %v: valid=%v, want %v (%v)", tc.verb, tc.path, tc.contentType, tc.body, err == nil, tc.valid, err)
		}
	}
	if m := method("/status", "POST"); m.RequestModel("text/plain") != nil {
		t.Error("a content type without a model (and no $default) got one")
	}
}

func TestLoadRequestModelProblems(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"missing model in an ANY method", `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /a:
    x-amazon-apigateway-any-method:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Nope"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`, "paths./a.x-amazon-apigateway-any-method: a reference does not resolve"},
		{"missing AWS model", `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "https://apigateway.amazonaws.com/restapis/x/models/Nope"}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`, `components/schemas/Nope" (fix: define what the $ref names`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := restapi.Load("api.yaml", []byte(tc.doc))
			ce := configError(t, err, "api.yaml")
			if !strings.Contains(strings.Join(ce.Problems, "\n"), tc.want) {
				t.Errorf("problems %q do not mention %q", ce.Problems, tc.want)
			}
		})
	}
}

func TestLoadPayloadEncodingProblems(t *testing.T) {
	doc := `openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-binary-media-types: ["image/*", "*/*", "application/octet-stream", "png", "image/", "a/b/c"]
paths:
  /a:
    get:
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration:
        type: mock
        contentHandling: CONVERT_TO_BLOB
        responses:
          default: {statusCode: "200", contentHandling: convert_to_text}
`
	_, err := restapi.Load("api.yaml", []byte(doc))
	ce := configError(t, err, "api.yaml")
	all := strings.Join(ce.Problems, "\n")
	for _, want := range []string{
		`x-amazon-apigateway-binary-media-types: "png" is not a media type`,
		`x-amazon-apigateway-binary-media-types: "image/" is not a media type`,
		`x-amazon-apigateway-binary-media-types: "a/b/c" is not a media type`,
		`paths./a.get.x-amazon-apigateway-integration.contentHandling: "CONVERT_TO_BLOB" is not a content handling`,
		`paths./a.get.x-amazon-apigateway-integration.responses.default.contentHandling: "convert_to_text" is not a content handling`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not include %q:\n%s", want, all)
		}
	}
	if len(ce.Problems) != 5 {
		t.Errorf("%d problems, want 5 (the valid media types are not reported):\n%s", len(ce.Problems), all)
	}
}
