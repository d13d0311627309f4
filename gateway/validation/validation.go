// Package validation applies a method's request validator: required
// parameters (BAD_REQUEST_PARAMETERS) and the JSON body schema
// (BAD_REQUEST_BODY), spec §9.
package validation

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
)

// Stage is the request-validation stage.
type Stage struct {
	Responder *gatewayresponse.Responder
	Next      http.Handler
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	m := c.Method
	if m == nil || m.Validator == nil {
		s.Next.ServeHTTP(w, r)
		return
	}
	if m.Validator.ValidateRequestParameters {
		var missing []missingParameter
		for _, p := range m.Parameters {
			if !p.Required {
				continue
			}
			var v string
			switch p.In {
			case "path":
				v = c.PathParams[p.Name]
			case "query":
				v = r.URL.Query().Get(p.Name)
			case "header":
				v = r.Header.Get(p.Name)
			}
			if v == "" {
				missing = append(missing, missingParameter{p.In, p.Name})
			}
		}
		if len(missing) > 0 {
			s.Responder.Write(w, r, gatewayresponse.BadRequestParameters, missingMessage(missing))
			return
		}
	}
	if !m.Validator.ValidateRequestBody {
		s.Next.ServeHTTP(w, r)
		return
	}
	// The model for the request's content type, or "$default"; none: the
	// body is not validated (DOC). Every method that declares models is
	// validated the same way, ANY included (evidence topic 8).
	if model := m.RequestModel(r.Header.Get("Content-Type")); model != nil {
		var v any
		if err := json.Unmarshal(c.Body, &v); err != nil {
			s.Responder.Write(w, r, gatewayresponse.BadRequestBody, "Invalid request body")
			return
		}
		if err := model.VisitJSON(v); err != nil {
			s.Responder.Write(w, r, gatewayresponse.BadRequestBody, "Invalid request body")
			return
		}
	}
	s.Next.ServeHTTP(w, r)
}

type missingParameter struct{ in, name string }

// missingMessage lists the missing parameters in the order API Gateway
// does: by their method.request.{location}.{name} key, which puts headers
// before path parameters before query strings (AWS-REC: LocalStack
// test_api_gateway_request_validator, 2024-01-10:
// "Missing required request parameters: [x-header-param, issuer, qs1]").
func missingMessage(missing []missingParameter) string {
	key := func(p missingParameter) string {
		in := p.in
		if in == "query" {
			in = "querystring"
		}
		return in + "." + p.name
	}
	slices.SortStableFunc(missing, func(a, b missingParameter) int { return strings.Compare(key(a), key(b)) })
	var b strings.Builder
	b.WriteString("Missing required request parameters: [")
	for i, p := range missing {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.name)
	}
	b.WriteString("]")
	return b.String()
}
