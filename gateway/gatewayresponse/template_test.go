package gatewayresponse_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Gateway response templates are VTL too; one that fails while rendering
// gives API Gateway's uncustomised 500 (API_CONFIGURATION_ERROR) instead
// of the response it was rendering, without that response's headers.
func TestWriteTemplates(t *testing.T) {
	api := &restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"DEFAULT_4XX": {
			ResponseParameters: map[string]string{"gatewayresponse.header.x-custom": "'c'"},
			ResponseTemplates: map[string]string{"application/json": `#if($context.error.responseType == 'THROTTLED')
{"retry":true,"message":$context.error.messageString}
#else
{"message":$context.error.messageString.toUpperCase()}
#end`},
		},
		"INVALID_API_KEY": {
			StatusCode:         status(403),
			ResponseParameters: map[string]string{"gatewayresponse.header.x-custom": "'c'"},
			ResponseTemplates:  map[string]string{"application/json": `{"m":"$context.error.message.substring(100)"}`},
		},
	}}
	r := gatewayresponse.New(api)
	write := func(typ gatewayresponse.Type) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.Write(rec, withContext(httptest.NewRequest("GET", "/test/x", nil), &request.Context{ID: "id"}), typ, "")
		return rec
	}
	for typ, want := range map[gatewayresponse.Type]string{
		gatewayresponse.Throttled:                  `{"retry":true,"message":"Too Many Requests"}` + "\n",
		gatewayresponse.MissingAuthenticationToken: `{"message":"MISSING AUTHENTICATION TOKEN"}` + "\n",
	} {
		rec := write(typ)
		if rec.Body.String() != want || rec.Header().Get("X-Custom") != "c" || rec.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("%s: got %d %v %q, want %q", typ, rec.Code, rec.Header(), rec.Body, want)
		}
	}
	rec := write(gatewayresponse.InvalidAPIKey)
	if et, _ := headerValue(rec.Header(), "x-amzn-ErrorType"); rec.Code != 500 || rec.Body.String() != `{"message":"Internal server error"}` || et != "InternalServerErrorException" || rec.Header().Get("X-Custom") != "" {
		t.Errorf("failed template: got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}
