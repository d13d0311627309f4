package suites_test

// Deliberately wrong non-proxy integrations: the reference gateway built
// from an edited API, or wrapped by a handler that undoes a header rule.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// editIntegrations applies edit to every method integration of the
// resource at path.
func editIntegrations(api *restapi.API, path string, edit func(*restapi.Integration)) {
	editMethods(api, path, func(m *restapi.Method) { edit(&m.Integration) })
}

var integrationDeviations = []deviation{
	{
		name: "non-proxy HTTP forwards the client's headers",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/parity/http-request", func(in *restapi.Integration) { in.Type = restapi.HTTPProxy })
			}, gateway.Options{})
		},
		fails: []string{"IntegrationRequestHeadersNonProxy"},
	},
	{
		name: "mapped reserved headers keep their names",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if !strings.HasSuffix(r.URL.Path, "/parity/header-remap") {
					return
				}
				h := rec.Header()
				for k, v := range h {
					if strings.HasPrefix(strings.ToLower(k), "x-amzn-remapped-") {
						delete(h, k)
						h[http.CanonicalHeaderKey(k[len("x-amzn-remapped-"):])] = v
					}
				}
			})
		},
		fails: []string{"HeaderRemappingNonProxy"},
	},
	{
		name: "an HTTP_PROXY backend's Date and Content-Length are dropped",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				for k := range rec.Header() { // exact-case keys: Del would not find them
					if strings.EqualFold(k, "x-amzn-Remapped-Date") || strings.EqualFold(k, "x-amzn-Remapped-Content-Length") {
						delete(rec.Header(), k)
					}
				}
			})
		},
		fails: []string{"BackendHeadersRemappedProxy"},
	},
	{
		name: "a forbidden header mapping is dropped silently",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/parity/forbidden-header/http-proxy", func(in *restapi.Integration) {
					delete(in.RequestParameters, "integration.request.header.Content-Length")
				})
			}, gateway.Options{})
		},
		fails: []string{"ForbiddenHeaderMappingFails"},
	},
	{
		name: "a non-proxy Lambda's selection patterns are ignored",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/parity/lambda-select/{statusCode}", func(in *restapi.Integration) {
					in.Responses = map[string]restapi.IntegrationResponse{"default": in.Responses["default"]}
				})
			}, gateway.Options{})
		},
		fails: []string{"LambdaErrorSelectedByPattern"},
	},
	{
		name: "a non-proxy Lambda's error is passed through untemplated",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/parity/lambda-mapping", func(in *restapi.Integration) {
					for k, r := range in.Responses {
						r.ResponseTemplates = nil
						in.Responses[k] = r
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"LambdaErrorMappedByTemplate"},
	},
	{
		name: "a Lambda error response's parameters are not applied",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/parity/lambda-mapping", func(in *restapi.Integration) {
					for k, r := range in.Responses {
						r.ResponseParameters = nil
						in.Responses[k] = r
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"LambdaErrorMappedByTemplate"},
	},
}

func init() { deviations = append(deviations, integrationDeviations...) }
