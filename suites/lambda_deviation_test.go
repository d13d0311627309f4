package suites_test

// Deliberately wrong Lambda proxy results and events.
// Each is failed by the checks it names (TestChecksFailAgainstDeviations).

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

var lambdaDeviations = []deviation{
	{
		name: "malformed Lambda results answered 500 instead of 502",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if rec.Code == http.StatusBadGateway {
					rec.Code = http.StatusInternalServerError
				}
			})
		},
		fails: []string{"LambdaProxyUnknownKeyMalformed", "LambdaProxyBareStringMalformed", "LambdaProxyStatusNotNumberMalformed", "LambdaProxyMultiValueNotListMalformed", "LambdaProxyInvalidJSONMalformed", "LambdaProxyFunctionErrorMalformed"},
	},
	{
		name: "Lambda results passed through without validation",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			fixture := getEnv(t).embedded.FixtureURL
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/lambda") {
					ref.ServeHTTP(w, r)
					return
				}
				// A lenient gateway: anything but an explicit statusCode is 200.
				event := `{"httpMethod":"GET","path":"/lambda","queryStringParameters":{"result":"` + r.URL.Query().Get("result") + `"}}`
				resp, err := http.Post(fixture+"/2015-03-31/functions/f/invocations", "application/json", strings.NewReader(event))
				if err != nil {
					gatewayError(w, 500, "Internal server error")
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(b)
			})
		},
		fails: []string{"LambdaProxyValidResult", "LambdaProxyUnknownKeyMalformed", "LambdaProxyEmptyObjectEmpty200", "LambdaProxyBareStringMalformed", "LambdaProxyStatusNotNumberMalformed", "LambdaProxyMultiValueNotListMalformed", "LambdaProxyInvalidJSONMalformed", "LambdaProxyFunctionErrorMalformed", "LambdaProxyStatusCodeString", "LambdaProxyHeadersOnlyIs200", "LambdaProxyHeadersMerge",
			"LambdaProxyEventGatewayHeaders", "LambdaProxyEventRequestContext"},
	},
	{
		// What the reference gateway did before issue 11, and spec §9 said.
		name: "an empty-object Lambda result answered 502 as malformed",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if strings.HasSuffix(r.URL.Path, "/lambda") && r.URL.Query().Get("result") == "empty-object" {
					rec.Code = http.StatusBadGateway
					rec.Header()["x-amzn-ErrorType"] = []string{"InternalServerErrorException"}
					rec.Body.Reset()
					rec.Body.WriteString(`{"message": "Internal server error"}`)
				}
			})
		},
		fails: []string{"LambdaProxyEmptyObjectEmpty200"},
	},
	{
		name: "Lambda event paths decoded",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.URL.RawPath = "" // the path as decoded: "%2B" is sent on as "+"
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"LambdaProxyEventPathEncoding"},
	},
	{
		name: "header names canonicalised (as net/http serves them)",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ref.ServeHTTP(w, r.WithContext(context.Background())) // without the connection the spelling came from
			})
		},
		fails: []string{"LambdaProxyEventHeaderCase"},
	},
	{
		name: "Lambda event names another host",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Host = "gateway.invalid"
				ref.ServeHTTP(w, r)
			})
		},
		fails: []string{"LambdaProxyEventGatewayHeaders", "LambdaProxyEventRequestContext"},
	},
	{
		name: "Lambda event names the API by another id",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return gatewayWith(t, func(api *restapi.API) { api.RestAPIID = "zzzzzzzzzz" }, gateway.Options{})
		},
		fails: []string{"LambdaProxyEventRequestContext"},
	},
	{
		name: "Lambda result headers not merged and Content-Type not defaulted",
		handler: func(t *testing.T, ref http.Handler) http.Handler {
			return recorded(ref, func(r *http.Request, rec *httptest.ResponseRecorder) {
				if strings.HasSuffix(r.URL.Path, "/lambda") {
					for k, v := range rec.Header() {
						if strings.EqualFold(k, "x-gatecheck-merge") && len(v) == 1 {
							rec.Header()[k] = strings.Split(v[0], ", ")
						}
					}
					if rec.Body.Len() == 0 {
						rec.Header().Del("Content-Type")
						rec.Header()["Content-Type"] = nil
					}
				}
			})
		},
		fails: []string{"LambdaProxyHeadersMerge", "LambdaProxyNoBodyDefaultsContentType"},
	},
}

func init() { deviations = append(deviations, lambdaDeviations...) }
