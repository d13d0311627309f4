package integration_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// A request template's $context.requestOverride reaches the integration
// request, over requestParameters (overrides are final); a response
// template's $context.responseOverride sets the client's status and
// headers, over responseParameters.
func TestTemplateOverrides(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"found":false}`))
	})
	in := restapi.Integration{
		Type: restapi.HTTP, HTTPMethod: "POST", URI: srv.URL + "/items/{id}",
		RequestParameters: map[string]string{
			"integration.request.path.id":        "method.request.path.id",
			"integration.request.header.X-Which": "'mapped'",
		},
		RequestTemplates: map[string]string{"application/json": `#set($context.requestOverride.path.id = "over$input.params('id')")
#set($context.requestOverride.header.X-Which = 'override')
#set($context.requestOverride.header.X-New = $input.path('$.n'))
#set($context.requestOverride.querystring.page = 2)
{"n": $input.json('$.n')}`},
		Responses: map[string]restapi.IntegrationResponse{"default": {
			StatusCode:         "200",
			ResponseParameters: map[string]string{"method.response.header.X-Out": "'mapped'"},
			ResponseTemplates: map[string]string{"application/json": `#if(!$input.path('$.found'))
#set($context.responseOverride.status = 404)
#set($context.responseOverride.header.X-Out = 'override')
#end
{"path": "$context.requestOverride.path.id"}`},
		}},
	}
	c := h.ctx(in, "/items/{id}", map[string]string{"id": "7"})
	c.Body = []byte(`{"n": 5}`)
	rec := h.serve(httptest.NewRequest("POST", "/test/items/7", nil), c)
	b := receive(t, got, "backend request")
	if b.path != "/items/over7" || b.rawQuery != "page=2" || b.header.Get("X-Which") != "override" || b.header.Get("X-New") != "5" || b.body != `{"n": 5}` {
		t.Errorf("backend saw %s?%s %v %q", b.path, b.rawQuery, b.header, b.body)
	}
	if rec.Code != 404 || rec.Header().Get("X-Out") != "override" || rec.Body.String() != `{"path": "over7"}` {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// A template that fails while rendering, in the request or the response,
// is API Gateway's 500 (API_CONFIGURATION_ERROR); the backend is not
// called when the request template fails.
func TestTemplateFailures(t *testing.T) {
	h := newHarness(t)
	srv, got := backend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	for _, tc := range []struct {
		name, request, response string
		callsBackend            bool
	}{
		{"request syntax error", "#if($x)", "", false},
		{"request method throws", "$input.params('id').substring(5)", "", false},
		{"request iteration limit", "#foreach($i in [0..1000])#end", "", false},
		{"request override set twice", "#set($context.requestOverride.header.A = 1)#set($context.requestOverride.header.A = 2)", "", false},
		{"response syntax error", "{}", "#foreach($i in $x)", true},
		{"response method throws", "{}", "$input.body.substring(9)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := restapi.Integration{Type: restapi.HTTP, HTTPMethod: "POST", URI: srv.URL,
				RequestTemplates: map[string]string{"application/json": tc.request},
				Responses:        map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
			if tc.response != "" {
				in.Responses["default"] = restapi.IntegrationResponse{StatusCode: "200", ResponseTemplates: map[string]string{"application/json": tc.response}}
			}
			rec := h.serve(httptest.NewRequest("POST", "/test/x", nil), h.ctx(in, "/x", map[string]string{"id": "7"}))
			assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
			if tc.callsBackend {
				receive(t, got, "backend request")
			} else {
				noneIn(t, got, "backend request")
			}
		})
	}
	// The same for a mock's templates.
	in := restapi.Integration{Type: restapi.Mock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": "$nope.x($y"}}}}
	assertGatewayError(t, h.serve(httptest.NewRequest("GET", "/test/m", nil), h.ctx(in, "/m", nil)), 500, "InternalServerErrorException", "Internal server error")
}
