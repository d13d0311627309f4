package restapi

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Request models (evidence topic 8). A method's requestBody content
// schemas are its request models, keyed by content type; "$default"
// applies to any content type without its own model (DOC,
// api-gateway-method-request-validation). Models may reference each
// other with "#/components/schemas/X" or, as API Gateway writes them, with
// "https://apigateway.amazonaws.com/restapis/{api-id}/models/X" (AWS-REC:
// LocalStack test_api_gateway_request_validator_with_ref_models,
// 2024-10-28); both name a schema of components.schemas.

// DefaultModelContentType is the requestModels key that applies to any
// content type.
const DefaultModelContentType = "$default"

// awsModelRef matches a $ref whose value is an API Gateway model URL, with
// the key's quoting (JSON or YAML) and the value's quotes.
var awsModelRef = regexp.MustCompile(`(\$ref["']?\s*:\s*)(["']?)https://apigateway\.amazonaws\.com/restapis/[^/"'\s]+/models/([A-Za-z0-9_.-]+)(["']?)`)

// rewriteModelRefs turns API Gateway model URLs in $ref values into
// references to components.schemas, so the OpenAPI loader resolves them
// inside the document (it refuses external references).
func rewriteModelRefs(data []byte) []byte {
	if !bytes.Contains(data, []byte("apigateway.amazonaws.com/restapis/")) {
		return data
	}
	return awsModelRef.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := awsModelRef.FindSubmatch(m)
		open, closing := sub[2], sub[4]
		if len(open) == 0 {
			// Unquoted YAML: a bare "#" would start a comment.
			open, closing = []byte(`"`), append([]byte(`"`), closing...)
		}
		out := slices.Concat(sub[1], open, []byte("#/components/schemas/"), sub[3], closing)
		return out
	})
}

// requestModels collects op's request body schemas by lower-case content
// type. A schema reference that did not resolve is reported.
func requestModels(op *openapi3.Operation, field string, p *problems) map[string]*openapi3.Schema {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	content := op.RequestBody.Value.Content
	models := make(map[string]*openapi3.Schema, len(content))
	for _, ct := range sortedKeys(content) {
		mt := content[ct]
		if mt == nil || mt.Schema == nil {
			continue
		}
		if mt.Schema.Value == nil {
			p.addf(field+".requestBody.content."+ct+".schema", "$ref %q does not resolve; define the model under components.schemas", mt.Schema.Ref)
			continue
		}
		models[strings.ToLower(ct)] = mt.Schema.Value
	}
	return models
}

// RequestModel returns the model that validates a request body of the
// given Content-Type: the model for its media type (parameters and case
// ignored), else the "$default" model, else nil (the body is not
// validated: "If no matching content type is found, request validation is
// not performed", DOC). A request without a Content-Type is taken as
// application/json, API Gateway's default (AWS-REC: a GET with no body
// and no Content-Type fails an application/json model, 2024-01-10).
func (m *Method) RequestModel(contentType string) *openapi3.Schema {
	if len(m.RequestModels) == 0 {
		return nil
	}
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	if mt == "" {
		mt = "application/json"
	}
	if s, ok := m.RequestModels[mt]; ok {
		return s
	}
	if s, ok := m.RequestModels[strings.ToLower(mt)]; ok {
		return s
	}
	return m.RequestModels[DefaultModelContentType]
}

// resolveOperationRefs resolves the references in op, an operation the
// loader did not see (x-amazon-apigateway-any-method is an extension, so
// its $refs stay unresolved), against doc's components.
func resolveOperationRefs(loader *openapi3.Loader, doc *openapi3.T, path string, op *openapi3.Operation) error {
	tmp := &openapi3.T{OpenAPI: doc.OpenAPI, Info: doc.Info, Components: doc.Components}
	tmp.Paths = openapi3.NewPaths(openapi3.WithPath(path, &openapi3.PathItem{Post: op}))
	return loader.ResolveRefsIn(tmp, nil)
}

// withoutNullTypes runs validate while every schema of doc that allows
// the JSON Schema type "null" has it removed: API Gateway models are JSON
// Schema draft 4, where {"type": "null"} is valid (AWS-REC: a oneOf of
// null and a $ref model is enforced, 2024-10-28), while OpenAPI 3.0
// validation rejects it. The types are put back before returning.
func withoutNullTypes(doc *openapi3.T, validate func() error) error {
	type saved struct {
		schema *openapi3.Schema
		types  *openapi3.Types
	}
	var changed []saved
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Type != nil && s.Type.Includes(openapi3.TypeNull) {
			changed = append(changed, saved{s, s.Type})
			var rest openapi3.Types
			for _, t := range *s.Type {
				if t != openapi3.TypeNull {
					rest = append(rest, t)
				}
			}
			s.Type = nil
			if len(rest) > 0 {
				s.Type = &rest
			}
		}
		for _, sub := range s.Properties {
			visit(sub)
		}
		for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, sub := range list {
				visit(sub)
			}
		}
		visit(s.Items)
		visit(s.Not)
		visit(s.AdditionalProperties.Schema)
	}
	visitContent := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				visit(mt.Schema)
			}
		}
	}
	if comp := doc.Components; comp != nil {
		for _, s := range comp.Schemas {
			visit(s)
		}
		for _, rb := range comp.RequestBodies {
			if rb != nil && rb.Value != nil {
				visitContent(rb.Value.Content)
			}
		}
	}
	if doc.Paths != nil {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op.RequestBody != nil && op.RequestBody.Value != nil {
					visitContent(op.RequestBody.Value.Content)
				}
			}
		}
	}
	defer func() {
		for _, c := range changed {
			c.schema.Type = c.types
		}
	}()
	return validate()
}
