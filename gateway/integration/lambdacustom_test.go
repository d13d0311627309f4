package integration_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// selectPatternError is the error payload of the recorded function
// lambda_select_pattern.py (evidence topic 2, AWS-REC 2023-09-05), less the
// per-invocation requestId.
func selectPatternError(code string) string {
	return `{"errorMessage": "Error: Raising ` + code + ` from within the Lambda function", "errorType": "Exception", ` +
		`"stackTrace": ["  File \"/var/task/lambda_select_pattern.py\", line 7, in handler\n    raise Exception(...)\n"]}`
}

// selectPatternLambda speaks the Lambda Invoke API like the recorded
// function: the payload's statusCode "400" or "500" raises (an Unhandled
// function error), anything else returns "Pass".
func selectPatternLambda(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		StatusCode string `json:"statusCode"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &ev)
	w.Header().Set("Content-Type", "application/json")
	switch ev.StatusCode {
	case "400", "500":
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_, _ = io.WriteString(w, selectPatternError(ev.StatusCode))
	default:
		_, _ = io.WriteString(w, `"Pass"`)
	}
}

// selectPatternIntegration is the recorded test's integration.
func selectPatternIntegration() restapi.Integration {
	return restapi.Integration{
		Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": "$input.params('statusCode')"}`},
		Responses: map[string]restapi.IntegrationResponse{
			"default":     {StatusCode: "200"},
			".*400.*":     {StatusCode: "405"},
			".*5\\d\\d.*": {StatusCode: "502"},
		},
	}
}

func lambdaCustomHarness(t *testing.T, respond http.HandlerFunc) (*harness, <-chan seen) {
	t.Helper()
	h := newHarness(t)
	srv, ch := backend(t, respond)
	h.stage.LambdaEndpoint = srv.URL
	return h, ch
}

func (h *harness) serveLambda(in restapi.Integration, req *http.Request, params map[string]string, body string) *httptest.ResponseRecorder {
	c := h.ctx(in, "/lambda/{statusCode}", params)
	c.StageVariables = map[string]string{"fn": "select-fn"}
	if body != "" {
		c.Body = []byte(body)
	}
	return h.serve(req, c)
}

func TestLambdaCustomSelectionPatterns(t *testing.T) {
	h, calls := lambdaCustomHarness(t, selectPatternLambda)
	for _, tc := range []struct {
		code       string
		wantStatus int
		wantBody   string
	}{
		// A matched function error: the mapped status, the raw error
		// payload as the body (no response template).
		{"400", 405, selectPatternError("400")},
		{"500", 502, selectPatternError("500")},
		// A result: the default response, the result as the body.
		{"200", 200, `"Pass"`},
	} {
		t.Run(tc.code, func(t *testing.T) {
			rec := h.serveLambda(selectPatternIntegration(), httptest.NewRequest("GET", "/test/lambda/"+tc.code, nil), map[string]string{"statusCode": tc.code}, "")
			inv := receive(t, calls, "Lambda invocation")
			if inv.method != "POST" || inv.path != "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:select-fn/invocations" {
				t.Errorf("invoked %s %s", inv.method, inv.path)
			}
			if want := `{"statusCode": "` + tc.code + `"}`; inv.body != want {
				t.Errorf("payload = %s, want the rendered template %s", inv.body, want)
			}
			if rec.Code != tc.wantStatus || rec.Body.String() != tc.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.wantStatus, tc.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if v := headerValue(rec.Header(), "X-Amzn-Trace-Id"); v != testTraceID {
				t.Errorf("X-Amzn-Trace-Id = %q", v)
			}
			if v := headerValue(rec.Header(), "X-Amz-Function-Error"); v != "" {
				t.Errorf("an unmapped Invoke header reached the client: %q", v)
			}
		})
	}
}

// functionError answers as Lambda does for a function error.
func functionError(kind, payload string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Function-Error", kind)
		_, _ = io.WriteString(w, payload)
	}
}

func TestLambdaCustomPatternMatching(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payload  string
		patterns map[string]string // pattern -> status
		want     int
	}{
		{"whole string: a bare 400 does not match inside a message", `{"errorMessage":"Error: 400 here"}`, map[string]string{"400": "400"}, 200},
		{"whole string: an exact message matches", `{"errorMessage":"400"}`, map[string]string{"400": "400"}, 400},
		{"prefix only does not match", `{"errorMessage":"Invalid input"}`, map[string]string{"Invalid": "400"}, 200},
		{"Invalid.* matches", `{"errorMessage":"Invalid input"}`, map[string]string{"Invalid.*": "400"}, 400},
		{". does not cross a newline", `{"errorMessage":"bad\nthing"}`, map[string]string{"bad.*": "400"}, 200},
		{"(\\n|.)* crosses it", `{"errorMessage":"bad\nthing"}`, map[string]string{"bad(\\n|.)*": "400"}, 400},
		{"no errorMessage: only .* matches", `{"errorType":"Error"}`, map[string]string{".+": "400", ".*": "418"}, 418},
		{"a payload that is not an object", `"boom"`, map[string]string{".+": "400"}, 200},
	} {
		for _, kind := range []string{"Unhandled", "Handled"} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				h, calls := lambdaCustomHarness(t, functionError(kind, tc.payload))
				in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
					Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
				for p, code := range tc.patterns {
					in.Responses[p] = restapi.IntegrationResponse{StatusCode: code}
				}
				rec := h.serveLambda(in, httptest.NewRequest("GET", "/test/lambda/x", nil), nil, "")
				receive(t, calls, "Lambda invocation")
				if rec.Code != tc.want || rec.Body.String() != tc.payload {
					t.Errorf("got %d %s, want %d with the error payload", rec.Code, rec.Body, tc.want)
				}
			})
		}
	}
}

// A successful result has no function error to match: patterns see "", so
// one that matches the Invoke status (2\d\d) does not select it (MODEL:
// for a Lambda back end the function error is matched, the status only for
// other back ends).
func TestLambdaCustomResultMatchedAsEmpty(t *testing.T) {
	h, calls := lambdaCustomHarness(t, result(`"Pass"`))
	in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}, "2\\d\\d": {StatusCode: "404"}}}
	rec := h.serveLambda(in, httptest.NewRequest("GET", "/test/lambda/x", nil), nil, "")
	receive(t, calls, "Lambda invocation")
	if rec.Code != 200 {
		t.Errorf("got %d, want the default 200: a result is not matched by its Invoke status", rec.Code)
	}
}

// A successful result is not matched by an errorMessage key it happens to
// have.
func TestLambdaCustomResultIsNotAnError(t *testing.T) {
	h, calls := lambdaCustomHarness(t, result(`{"errorMessage":"Invalid input"}`))
	in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		Responses: map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}, "Invalid.*": {StatusCode: "400"}}}
	rec := h.serveLambda(in, httptest.NewRequest("GET", "/test/lambda/x", nil), nil, "")
	receive(t, calls, "Lambda invocation")
	if rec.Code != 200 {
		t.Errorf("got %d, want the default 200", rec.Code)
	}
}

func TestLambdaCustomNoDefaultResponse(t *testing.T) {
	h, calls := lambdaCustomHarness(t, functionError("Unhandled", `{"errorMessage":"other"}`))
	in := selectPatternIntegration()
	delete(in.Responses, "default")
	rec := h.serveLambda(in, httptest.NewRequest("GET", "/test/lambda/x", nil), nil, "")
	receive(t, calls, "Lambda invocation")
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
}

func TestLambdaCustomResponseMapping(t *testing.T) {
	h, calls := lambdaCustomHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Executed-Version", "7")
		functionError("Handled", `{"errorMessage":"not found: item 9","errorType":"NotFound"}`)(w, r)
	})
	in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		Responses: map[string]restapi.IntegrationResponse{
			"default": {StatusCode: "200"},
			"not found: .*": {StatusCode: "404",
				ResponseParameters: map[string]string{
					"method.response.header.X-Version":    "integration.response.header.X-Amz-Executed-Version",
					"method.response.header.X-Error-Kind": "integration.response.header.X-Amz-Function-Error",
					"method.response.header.X-Static":     "'s'",
					"method.response.header.X-Raw":        "integration.response.body",
					"method.response.header.Content-Type": "'application/problem+json'",
				},
				ResponseTemplates: map[string]string{"application/json": `{"id":"$context.requestId","error":$input.json('$')}`}},
		}}
	rec := h.serveLambda(in, httptest.NewRequest("GET", "/test/lambda/9", nil), nil, "")
	receive(t, calls, "Lambda invocation")
	want := `{"id":"` + testRequestID + `","error":{"errorMessage":"not found: item 9","errorType":"NotFound"}}`
	if rec.Code != 404 || rec.Body.String() != want {
		t.Errorf("got %d %s, want 404 %s", rec.Code, rec.Body, want)
	}
	for name, value := range map[string]string{
		"X-Version":    "7",
		"X-Error-Kind": "Handled",
		"X-Static":     "s",
		"X-Raw":        `{"errorMessage":"not found: item 9","errorType":"NotFound"}`,
		// A mapped Content-Type wins, template or not (AWS-REC).
		"Content-Type": "application/problem+json",
	} {
		if v := headerValues(rec.Header(), name); len(v) != 1 || v[0] != value {
			t.Errorf("%s = %q, want %q", name, v, value)
		}
	}
}

// With no template the client body is the payload (passthrough), and mapped
// headers go to the Invoke call.
func TestLambdaCustomPassthroughAndMappedHeaders(t *testing.T) {
	h, calls := lambdaCustomHarness(t, result(`{"ok":true}`))
	in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		RequestParameters: map[string]string{"integration.request.header.X-Amz-Invocation-Type": "'RequestResponse'"},
		Responses:         map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	req := httptest.NewRequest("POST", "/test/lambda/x", nil)
	req.Header.Set("Content-Type", "application/json")
	rec := h.serveLambda(in, req, nil, `{"from":"client"}`)
	inv := receive(t, calls, "Lambda invocation")
	if inv.body != `{"from":"client"}` {
		t.Errorf("payload = %s", inv.body)
	}
	if v := inv.header.Get("X-Amz-Invocation-Type"); v != "RequestResponse" {
		t.Errorf("X-Amz-Invocation-Type = %q", v)
	}
	if v := inv.header.Get("X-Amzn-Trace-Id"); v != testTraceID {
		t.Errorf("X-Amzn-Trace-Id = %q", v)
	}
	if rec.Code != 200 || rec.Body.String() != `{"ok":true}` {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}

// A request template's header override reaches the Invoke call, as a
// mapped header does.
func TestLambdaCustomRequestOverride(t *testing.T) {
	h, calls := lambdaCustomHarness(t, result(`{"ok":true}`))
	in := restapi.Integration{Type: restapi.AWS, HTTPMethod: "POST", URI: lambdaURI,
		RequestTemplates: map[string]string{"application/json": `#set($context.requestOverride.header.X-Amz-Invocation-Type = 'Event'){"a":1}`},
		Responses:        map[string]restapi.IntegrationResponse{"default": {StatusCode: "200"}}}
	req := httptest.NewRequest("POST", "/test/lambda/x", nil)
	req.Header.Set("Content-Type", "application/json")
	h.serveLambda(in, req, nil, `{}`)
	inv := receive(t, calls, "Lambda invocation")
	if v := inv.header.Get("X-Amz-Invocation-Type"); v != "Event" {
		t.Errorf("X-Amz-Invocation-Type = %q, want the override's Event", v)
	}
	if inv.body != `{"a":1}` {
		t.Errorf("payload = %s", inv.body)
	}
}

func TestLambdaCustomInvokeFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		respond http.HandlerFunc
	}{
		{"function not found", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"Type":"User","message":"Function not found"}`)
		}},
		{"throttled", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, calls := lambdaCustomHarness(t, tc.respond)
			rec := h.serveLambda(selectPatternIntegration(), httptest.NewRequest("GET", "/test/lambda/1", nil), nil, "")
			receive(t, calls, "Lambda invocation")
			assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
		})
	}
	h := newHarness(t)
	rec := h.serveLambda(selectPatternIntegration(), httptest.NewRequest("GET", "/test/lambda/1", nil), nil, "")
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error") // no endpoint
	h.stage.LambdaEndpoint = "http://" + closedAddr(t)
	rec = h.serveLambda(selectPatternIntegration(), httptest.NewRequest("GET", "/test/lambda/1", nil), nil, "")
	assertGatewayError(t, rec, 500, "InternalServerErrorException", "Internal server error")
}
