package restapi_test

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Mapping templates over API Gateway's 300 KB limit are definition errors,
// each named by its field; one at the limit loads.
func TestLoadTemplateSizeLimit(t *testing.T) {
	over := strings.Repeat("x", restapi.MaxTemplateBytes+1)
	at := strings.Repeat("x", restapi.MaxTemplateBytes)
	doc := `openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    responseTemplates: {application/json: "` + over + `"}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: "` + over + `", text/plain: "` + at + `"}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: "` + over + `"}}
`
	_, err := restapi.Load("api.yaml", []byte(doc))
	ce := configError(t, err, "api.yaml")
	for _, field := range []string{
		itemsField + ".requestTemplates.application/json",
		itemsField + ".responses.default.responseTemplates.application/json",
		"x-amazon-apigateway-gateway-responses.DEFAULT_4XX.responseTemplates.application/json",
	} {
		p := problemWith(t, ce, field)
		if !strings.Contains(p, "307201 bytes; API Gateway's limit is 307200 (300 KB)") {
			t.Errorf("problem %q", p)
		}
	}
	if len(ce.Problems) != 3 {
		t.Errorf("problems = %q, want exactly the three templates over the limit", ce.Problems)
	}
}
