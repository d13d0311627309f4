package suites_test

// Deliberately wrong routing and request validation: a gateway that routes
// on the path alone, and validators that skip bodies or the models that
// bodies' models refer to.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// editMethods applies edit to every method of the resource at path.
func editMethods(api *restapi.API, path string, edit func(*restapi.Method)) {
	for _, res := range api.Resources {
		if res.Path == path {
			for _, m := range res.Methods {
				edit(m)
			}
		}
	}
}

var routingDeviations = []deviation{
	{
		// The resource matched by path alone, then 403 for a method it lacks:
		// what a router that ignores the method when it picks a resource does.
		name: "a specific resource without the method answers 403",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, onPath("/routing/fixed", func(r *http.Request, rec *httptest.ResponseRecorder) {
				if r.Method != http.MethodGet {
					rec.Code = http.StatusForbidden
					rec.Header().Set("x-amzn-ErrorType", "MissingAuthenticationTokenException")
					rec.Body.Reset()
					rec.Body.WriteString(`{"message":"Missing Authentication Token"}`)
				}
			}))
		},
		fails: []string{"GreedySiblingServesOtherMethods"},
	},
	{
		name: "the greedy variable keeps only its first segment",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if strings.Contains(r.URL.Path, "/routing/fixed/deeper/") {
					body := strings.Replace(rec.Body.String(), `"fixed/deeper/still"`, `"fixed"`, 1)
					rec.Body.Reset()
					rec.Body.WriteString(body)
				}
			})
		},
		fails: []string{"GreedySiblingServesOtherMethods"},
	},
	{
		name: "request bodies are not validated",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editMethods(api, "/validated-model", func(m *restapi.Method) {
					if m.Validator != nil {
						v := *m.Validator
						v.ValidateRequestBody = false
						m.Validator = &v
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"RequestBodyValidatedAgainstRefModel"},
	},
	{
		// A validator that checks the outer model but not the one its items
		// refer to: an array of anything passes.
		name: "models referred to by $ref are not enforced",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editMethods(api, "/validated-model", func(m *restapi.Method) {
					for ct := range m.RequestModels {
						m.RequestModels[ct] = openapi3.NewArraySchema().WithItems(openapi3.NewSchema())
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"RequestBodyValidatedAgainstRefModel"},
	},
}

func init() { deviations = append(deviations, routingDeviations...) }
