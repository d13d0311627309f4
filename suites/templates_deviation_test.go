package suites_test

// Deliberately wrong mapping templates and binary conversions: the
// reference gateway built from an edited API, or wrapped by a handler
// that undoes what the template or the conversion did.

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// onPath narrows a recorded rewrite to one route.
func onPath(suffix string, edit func(r *http.Request, rec *httptest.ResponseRecorder)) func(*http.Request, *httptest.ResponseRecorder) {
	return func(r *http.Request, rec *httptest.ResponseRecorder) {
		if strings.HasSuffix(r.URL.Path, suffix) {
			edit(r, rec)
		}
	}
}

var templateDeviations = []deviation{
	{
		name: "template string methods are no-ops",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/vtl/transform", func(in *restapi.Integration) {
					for k, v := range in.RequestTemplates {
						in.RequestTemplates[k] = strings.ReplaceAll(v, ".toUpperCase()", "")
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"MappingTemplateDirectives"},
	},
	{
		name: "response template header overrides are dropped",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if strings.Contains(r.URL.Path, "/vtl/") {
					rec.Header().Del("X-Vtl-Total")
					rec.Header().Del("X-Vtl-Accepted")
				}
			})
		},
		fails: []string{"MappingTemplateDirectives", "MappingTemplateOverrides"},
	},
	{
		name: "$context.responseOverride.status is ignored",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, onPath("/vtl/items", func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusAccepted {
					rec.Code = http.StatusOK
				}
			}))
		},
		fails: []string{"MappingTemplateOverrides"},
	},
	{
		name: "a failing template answers 200 with what it rendered so far",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, onPath("/vtl/broken", func(r *http.Request, rec *httptest.ResponseRecorder) {
				rec.Code = http.StatusOK
				rec.Body.Reset()
				rec.Body.WriteString(`{"partial": `)
			}))
		},
		fails: []string{"MappingTemplateFailureIs500"},
	},
	{
		name: "binaryMediaTypes ignored: every payload is text",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) { api.BinaryMediaTypes = nil }, gateway.Options{})
		},
		fails: []string{"BinaryPayloadFollowsAccept"},
	},
	{
		name: "any binary type in Accept, not only the first, returns bytes",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, onPath("/binary/echo", func(r *http.Request, rec *httptest.ResponseRecorder) {
				if !strings.Contains(r.Header.Get("Accept"), "image/png") {
					return
				}
				if raw, err := base64.StdEncoding.DecodeString(rec.Body.String()); err == nil {
					rec.Body.Reset()
					rec.Body.Write(raw)
				}
			}))
		},
		fails: []string{"BinaryPayloadFollowsAccept"},
	},
	{
		name: "CONVERT_TO_BINARY ignored: text reaches the backend as is",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/binary/to-binary", func(in *restapi.Integration) { in.ContentHandling = "" })
			}, gateway.Options{})
		},
		fails: []string{"BinaryConversionFailureIs500"},
	},
}

func init() {
	deviations = append(deviations, templateDeviations...)
	deviations = append(deviations, deviation{
		name: "CONVERT_TO_TEXT ignored: binary passed through",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) {
				editIntegrations(api, "/binary/bytes/{n}", func(in *restapi.Integration) {
					for k, r := range in.Responses {
						r.ContentHandling = ""
						in.Responses[k] = r
					}
				})
			}, gateway.Options{})
		},
		fails: []string{"BinaryConvertToTextEncodes"},
	})
}
