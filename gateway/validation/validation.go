// Package validation applies a method's request validator: required
// parameters (BAD_REQUEST_PARAMETERS) and the JSON body schema
// (BAD_REQUEST_BODY), spec §9.
package validation

import (
	"encoding/json"
	"net/http"
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
		var missing []string
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
				missing = append(missing, p.Name)
			}
		}
		if len(missing) > 0 {
			s.Responder.Write(w, r, gatewayresponse.BadRequestParameters, "Missing required request parameters: ["+strings.Join(missing, ", ")+"]")
			return
		}
	}
	if m.Validator.ValidateRequestBody && m.BodySchema != nil {
		var v any
		if err := json.Unmarshal(c.Body, &v); err != nil {
			s.Responder.Write(w, r, gatewayresponse.BadRequestBody, "Invalid request body")
			return
		}
		if err := m.BodySchema.VisitJSON(v); err != nil {
			s.Responder.Write(w, r, gatewayresponse.BadRequestBody, "Invalid request body")
			return
		}
	}
	s.Next.ServeHTTP(w, r)
}
