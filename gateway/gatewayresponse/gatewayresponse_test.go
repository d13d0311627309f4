package gatewayresponse_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func status(n int) *int { return &n }

// headerValue reads a header whatever the case of its key in the map.
func headerValue(h http.Header, name string) (string, int) {
	var v string
	n := 0
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			n += len(vs)
			if len(vs) > 0 {
				v = vs[0]
			}
		}
	}
	return v, n
}

func TestCatalogMatchesSpec(t *testing.T) {
	// Spec §4 and §9 defaults.
	for typ, want := range map[gatewayresponse.Type]gatewayresponse.Default{
		gatewayresponse.AccessDenied:               {403, "User is not authorized to access this resource", "AccessDeniedException"},
		gatewayresponse.APIConfigurationError:      {500, "Internal server error", "InternalServerErrorException"},
		gatewayresponse.BadRequestParameters:       {400, "Missing required request parameters", "BadRequestException"},
		gatewayresponse.BadRequestBody:             {400, "Invalid request body", "BadRequestException"},
		gatewayresponse.IntegrationFailure:         {504, "Network error communicating with endpoint", "InternalServerErrorException"},
		gatewayresponse.IntegrationTimeout:         {504, "Endpoint request timed out", "InternalServerErrorException"},
		gatewayresponse.InvalidAPIKey:              {403, "Forbidden", "ForbiddenException"},
		gatewayresponse.MissingAuthenticationToken: {403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		gatewayresponse.QuotaExceeded:              {429, "Limit Exceeded", "LimitExceededException"},
		gatewayresponse.RequestTooLarge:            {413, "HTTP content length exceeded 10485760 bytes.", ""},
		gatewayresponse.Throttled:                  {429, "Too Many Requests", "TooManyRequestsException"},
		gatewayresponse.Unauthorized:               {401, "Unauthorized", "UnauthorizedException"},
		gatewayresponse.UnsupportedMediaType:       {415, "Unsupported Media Type", "BadRequestException"},
		gatewayresponse.LambdaProxyMalformed:       {502, "Internal server error", "InternalServerErrorException"},
		gatewayresponse.IncompleteSignature:        {403, "", "IncompleteSignatureException"},
	} {
		if got := gatewayresponse.Catalog[typ]; got != want {
			t.Errorf("Catalog[%s] = %+v, want %+v", typ, got, want)
		}
	}
}

func TestResolveUncustomised(t *testing.T) {
	for _, api := range []*restapi.API{nil, {GatewayResponses: map[string]restapi.GatewayResponse{}}} {
		r := gatewayresponse.New(api)
		for typ, def := range gatewayresponse.Catalog {
			got := r.Resolve(typ)
			if got.Status != def.Status || got.Message != def.Message || got.ErrorType != def.ErrorType {
				t.Errorf("Resolve(%s) = %+v, want catalog %+v", typ, got, def)
			}
			if got.Customised || got.Headers != nil || got.Templates != nil {
				t.Errorf("Resolve(%s) uncustomised but got %+v", typ, got)
			}
		}
	}
}

// inheritanceAPI customises DEFAULT_4XX and DEFAULT_5XX fully and a few types partially.
func inheritanceAPI() *restapi.API {
	return &restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"DEFAULT_4XX": {
			StatusCode:         status(418),
			ResponseParameters: map[string]string{"gatewayresponse.header.x-class": "'4xx'"},
			ResponseTemplates:  map[string]string{"application/json": `{"class":"4xx"}`},
		},
		"DEFAULT_5XX": {
			StatusCode:         status(503),
			ResponseParameters: map[string]string{"gatewayresponse.header.x-class": "'5xx'"},
			ResponseTemplates:  map[string]string{"application/json": `{"class":"5xx"}`},
		},
		// Own status only: headers and templates still come from DEFAULT_4XX.
		"MISSING_AUTHENTICATION_TOKEN": {StatusCode: status(404)},
		// Own headers only.
		"THROTTLED": {ResponseParameters: map[string]string{"gatewayresponse.header.x-own": "'throttled'"}},
		// Own template only.
		"INTEGRATION_TIMEOUT": {ResponseTemplates: map[string]string{"application/json": `{"own":true}`}},
		// Fully customised.
		"INVALID_API_KEY": {
			StatusCode:         status(401),
			ResponseParameters: map[string]string{"gatewayresponse.header.x-own": "'key'"},
			ResponseTemplates:  map[string]string{"text/plain": "no key"},
		},
		// Never applied.
		"REQUEST_TOO_LARGE": {StatusCode: status(400), ResponseTemplates: map[string]string{"application/json": "{}"}},
	}}
}

func TestResolveInheritance(t *testing.T) {
	r := gatewayresponse.New(inheritanceAPI())
	class4 := map[string]string{"gatewayresponse.header.x-class": "'4xx'"}
	class5 := map[string]string{"gatewayresponse.header.x-class": "'5xx'"}
	tmpl4 := map[string]string{"application/json": `{"class":"4xx"}`}
	tmpl5 := map[string]string{"application/json": `{"class":"5xx"}`}
	for _, tc := range []struct {
		typ       gatewayresponse.Type
		status    int
		headers   map[string]string
		templates map[string]string
	}{
		// No own customisation: everything from the class default.
		{gatewayresponse.QuotaExceeded, 418, class4, tmpl4},
		{gatewayresponse.AccessDenied, 418, class4, tmpl4},
		{gatewayresponse.BadRequestBody, 418, class4, tmpl4},
		{gatewayresponse.APIConfigurationError, 503, class5, tmpl5},
		{gatewayresponse.IntegrationFailure, 503, class5, tmpl5},
		// Per-field: own where set, inherited elsewhere.
		{gatewayresponse.MissingAuthenticationToken, 404, class4, tmpl4},
		{gatewayresponse.Throttled, 418, map[string]string{"gatewayresponse.header.x-own": "'throttled'"}, tmpl4},
		{gatewayresponse.IntegrationTimeout, 503, class5, map[string]string{"application/json": `{"own":true}`}},
		{gatewayresponse.InvalidAPIKey, 401, map[string]string{"gatewayresponse.header.x-own": "'key'"}, map[string]string{"text/plain": "no key"}},
		// The malformed Lambda result keeps 502 but takes DEFAULT_5XX's headers and templates.
		{gatewayresponse.LambdaProxyMalformed, 502, class5, tmpl5},
		// The SigV4 parse error is a 4XX type without its own customisation.
		{gatewayresponse.IncompleteSignature, 418, class4, tmpl4},
	} {
		got := r.Resolve(tc.typ)
		def := gatewayresponse.Catalog[tc.typ]
		if got.Status != tc.status || !maps.Equal(got.Headers, tc.headers) || !maps.Equal(got.Templates, tc.templates) {
			t.Errorf("Resolve(%s) = status %d headers %v templates %v; want %d %v %v", tc.typ, got.Status, got.Headers, got.Templates, tc.status, tc.headers, tc.templates)
		}
		if !got.Customised || got.Message != def.Message || got.ErrorType != def.ErrorType {
			t.Errorf("Resolve(%s) = %+v: message and error type must stay the catalog's", tc.typ, got)
		}
	}

	got := r.Resolve(gatewayresponse.RequestTooLarge)
	if got.Status != 413 || got.Customised || got.Templates != nil || got.Headers != nil {
		t.Errorf("REQUEST_TOO_LARGE must never be customised, got %+v", got)
	}
}

func TestResolveWithoutClassDefault(t *testing.T) {
	// Only DEFAULT_5XX is customised: 4XX types keep their defaults.
	r := gatewayresponse.New(&restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"DEFAULT_5XX": {StatusCode: status(599)},
	}})
	if got := r.Resolve(gatewayresponse.Throttled); got.Status != 429 || got.Customised {
		t.Errorf("THROTTLED = %+v", got)
	}
	if got := r.Resolve(gatewayresponse.IntegrationTimeout); got.Status != 599 || !got.Customised || got.Templates != nil {
		t.Errorf("INTEGRATION_TIMEOUT = %+v", got)
	}
	if got := r.Resolve(gatewayresponse.LambdaProxyMalformed); got.Status != 502 {
		t.Errorf("LAMBDA_PROXY_MALFORMED = %+v, status must stay 502", got)
	}
}

func withContext(req *http.Request, c *request.Context) *http.Request {
	return request.With(req, c)
}

func TestWriteDefault(t *testing.T) {
	r := gatewayresponse.New(nil)
	rec := httptest.NewRecorder()
	r.Write(rec, httptest.NewRequest("GET", "/test/x", nil), gatewayresponse.IntegrationTimeout, "")
	if rec.Code != 504 || rec.Body.String() != `{"message":"Endpoint request timed out"}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if rec.Header()["x-amzn-ErrorType"][0] != "InternalServerErrorException" {
		t.Errorf("headers = %v", rec.Header())
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("headers = %v", rec.Header())
	}

	// A message override is JSON-escaped into the default template.
	rec = httptest.NewRecorder()
	msg := `Missing required request parameters: [q "x"\y]` + "\n<é>"
	r.Write(rec, httptest.NewRequest("GET", "/", nil), gatewayresponse.BadRequestParameters, msg)
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["message"] != msg || len(body) != 1 {
		t.Errorf("body %s (%v), want message %q", rec.Body, err, msg)
	}
	if rec.Code != 400 {
		t.Errorf("status = %d", rec.Code)
	}
}

func TestWriteRequestTooLarge(t *testing.T) {
	// Customisations of REQUEST_TOO_LARGE and DEFAULT_4XX are both ignored.
	r := gatewayresponse.New(inheritanceAPI())
	req := httptest.NewRequest("POST", "/test/x", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	r.Write(rec, req, gatewayresponse.RequestTooLarge, "")
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d", rec.Code)
	}
	if got := rec.Body.String(); got != "HTTP content length exceeded 10485760 bytes." {
		t.Errorf("body = %q", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want plain text", ct)
	}
	if _, n := headerValue(rec.Header(), "x-amzn-ErrorType"); n != 0 {
		t.Errorf("REQUEST_TOO_LARGE sent x-amzn-ErrorType: %v", rec.Header())
	}
	if _, n := headerValue(rec.Header(), "x-class"); n != 0 {
		t.Errorf("DEFAULT_4XX header applied to REQUEST_TOO_LARGE: %v", rec.Header())
	}
	if rec.Header().Get("Content-Length") != "44" {
		t.Errorf("Content-Length = %q", rec.Header().Get("Content-Length"))
	}
}

func TestWriteTemplatesAndHeaderMappings(t *testing.T) {
	api := &restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"BAD_REQUEST_PARAMETERS": {
			StatusCode: status(422),
			ResponseParameters: map[string]string{
				"gatewayresponse.header.x-literal":                   "'lit value'",
				"gatewayresponse.header.x-query":                     "method.request.querystring.hint",
				"gatewayresponse.header.x-header":                    "method.request.header.X-Client",
				"gatewayresponse.header.x-path":                      "method.request.path.id",
				"gatewayresponse.header.x-stage":                     "stageVariables.version",
				"gatewayresponse.header.x-request":                   "context.requestId",
				"gatewayresponse.header.x-missing":                   "method.request.querystring.absent",
				"gatewayresponse.header.x-bogus":                     "nonsense.value",
				"gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
			},
			ResponseTemplates: map[string]string{
				"application/json": `{"msg":$context.error.messageString,"raw":"$context.error.message","type":"$context.error.responseType","id":"$context.requestId","stage":"$context.stage","v":"${stageVariables.version}","undef":"$stageVariables.nope","p":"$input.params('id')"}`,
			},
		},
	}}
	r := gatewayresponse.New(api)
	req := httptest.NewRequest("GET", "/test/items/7?hint=try%20q", nil)
	req.Header.Set("X-Client", "client-1")
	c := &request.Context{
		ID:             "11111111-2222-3333-4444-555555555555",
		Stage:          &restapi.Stage{StageName: "test"},
		StageVariables: map[string]string{"version": "v9"},
		PathParams:     map[string]string{"id": "7"},
	}
	rec := httptest.NewRecorder()
	r.Write(rec, withContext(req, c), gatewayresponse.BadRequestParameters, "Missing required request parameters: [q]")

	if rec.Code != 422 {
		t.Errorf("status = %d", rec.Code)
	}
	h := rec.Header()
	for name, want := range map[string]string{
		"X-Literal":                   "lit value",
		"X-Query":                     "try q",
		"X-Header":                    "client-1",
		"X-Path":                      "7",
		"X-Stage":                     "v9",
		"X-Request":                   c.ID,
		"X-Missing":                   "",
		"Access-Control-Allow-Origin": "*",
		"Content-Type":                "application/json",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if _, n := headerValue(h, "x-bogus"); n != 0 {
		t.Errorf("unsupported mapping source produced a header: %v", h)
	}
	want := `{"msg":"Missing required request parameters: [q]","raw":"Missing required request parameters: [q]","type":"BAD_REQUEST_PARAMETERS","id":"11111111-2222-3333-4444-555555555555","stage":"test","v":"v9","undef":"","p":"7"}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	if h.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("Content-Length = %s", h.Get("Content-Length"))
	}
}

func TestWriteResponseTypeNames(t *testing.T) {
	tmpl := map[string]string{"application/json": `$context.error.responseType|$context.error.messageString`}
	r := gatewayresponse.New(&restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"DEFAULT_4XX": {ResponseTemplates: tmpl},
		"DEFAULT_5XX": {ResponseTemplates: tmpl},
	}})
	for typ, want := range map[gatewayresponse.Type]string{
		gatewayresponse.Throttled:             `THROTTLED|"Too Many Requests"`,
		gatewayresponse.IntegrationTimeout:    `INTEGRATION_TIMEOUT|"Endpoint request timed out"`,
		gatewayresponse.APIConfigurationError: `API_CONFIGURATION_ERROR|"Internal server error"`,
		gatewayresponse.LambdaProxyMalformed:  `DEFAULT_5XX|"Internal server error"`,
		gatewayresponse.IncompleteSignature:   `MISSING_AUTHENTICATION_TOKEN|""`,
	} {
		rec := httptest.NewRecorder()
		r.Write(rec, httptest.NewRequest("GET", "/", nil), typ, "")
		if rec.Body.String() != want {
			t.Errorf("%s: body %q, want %q", typ, rec.Body, want)
		}
		if rec.Code != gatewayresponse.Catalog[typ].Status {
			t.Errorf("%s: status %d", typ, rec.Code)
		}
	}
}

func TestWriteAcceptChoosesTemplate(t *testing.T) {
	both := map[string]string{
		"application/json": `{"kind":"json"}`,
		"application/xml":  `<kind>xml</kind>`,
	}
	plainOnly := map[string]string{"text/plain": "plain $context.error.message"}
	for _, tc := range []struct {
		name      string
		templates map[string]string
		accept    string
		want      string
	}{
		{"no Accept: json", both, "", `{"kind":"json"}`},
		{"exact xml", both, "application/xml", `<kind>xml</kind>`},
		{"first of list", both, "application/xml, application/json", `<kind>xml</kind>`},
		{"first with params", both, "application/xml;q=0.9,application/json", `<kind>xml</kind>`},
		{"only the first is honoured", both, "text/html, application/xml", `{"kind":"json"}`},
		{"wildcard", both, "*/*", `{"kind":"json"}`},
		{"json explicit", both, "application/json", `{"kind":"json"}`},
		{"no json template: any", plainOnly, "application/json", "plain Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gatewayresponse.New(&restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
				"UNAUTHORIZED": {ResponseTemplates: tc.templates},
			}})
			req := httptest.NewRequest("GET", "/", nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			r.Write(rec, req, gatewayresponse.Unauthorized, "")
			if rec.Body.String() != tc.want || rec.Code != 401 {
				t.Errorf("got %d %q, want %q", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

func TestWriteHeaderMappingMayOverrideContentType(t *testing.T) {
	r := gatewayresponse.New(&restapi.API{GatewayResponses: map[string]restapi.GatewayResponse{
		"DEFAULT_4XX": {
			ResponseParameters: map[string]string{"gatewayresponse.header.Content-Type": "'text/plain'"},
			ResponseTemplates:  map[string]string{"application/json": "denied"},
		},
	}})
	rec := httptest.NewRecorder()
	r.Write(rec, httptest.NewRequest("GET", "/", nil), gatewayresponse.AccessDenied, "")
	if rec.Header().Get("Content-Type") != "text/plain" || rec.Body.String() != "denied" || rec.Code != 403 {
		t.Errorf("got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	if v, n := headerValue(rec.Header(), "Content-Type"); n != 1 || v != "text/plain" {
		t.Errorf("Content-Type values: %v", rec.Header())
	}
}

func TestWriteOnTheWire(t *testing.T) {
	r := gatewayresponse.New(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Write(w, req, gatewayresponse.Throttled, "")
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || body["message"] != "Too Many Requests" || resp.Header.Get("x-amzn-ErrorType") != "TooManyRequestsException" {
		t.Errorf("got %d %v %v", resp.StatusCode, resp.Header, body)
	}
	if resp.Header.Get("Retry-After") != "" {
		t.Error("THROTTLED must not send Retry-After")
	}
	srv.Client().CloseIdleConnections()
}
