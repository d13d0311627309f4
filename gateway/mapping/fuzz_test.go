package mapping_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// FuzzRender renders arbitrary templates against arbitrary requests:
// path, query, one header, body and error message all come from the
// fuzzer. It is about the public API (Env.Render, Env.Resolve,
// Env.Substitute).
//
// Property: no panic; rendering finishes within fuzzing.Deadline; it is
// deterministic (output, or error); a template without "$" or "#" renders
// as written; the output never exceeds vtl.DefaultLimits.Output; and
// Resolve's value is bounded by the longest input re-encoded as JSON.
func FuzzRender(f *testing.F) {
	f.Add("$context.requestId", "/test/items/7", "q=1&q=2", "v", []byte(`{"a":1}`), "Missing Authentication Token")
	f.Add(`{"message":$context.error.messageString,"type":"$context.error.responseType"}`, "/p", "", "", []byte(nil), "quote \" and <tag>")
	f.Add("${stageVariables.version}/$input.params('id')/$input.params(\"q\")/$input.params('X-Hdr')", "/i/42", "q=x", "h", []byte("b"), "")
	f.Add("$input.json('$') $input.body $!{context.stage} $context.identity.userAgent", "/", "", "", []byte(`[1,2]`), "")
	f.Add("$input.params( $context.", "/", "", "", []byte("{"), "")
	f.Add("#set($root = $input.path('$'))#foreach($i in $root.items)$i.name#if($foreach.hasNext),#end#end", "/", "", "", []byte(`{"items":[{"name":"a"},{"name":"b"}]}`), "")
	f.Add("#set($s = \"x\")#foreach($i in [1..1000])#set($s = \"$s$s\")#end$s", "/", "", "", []byte(nil), "")
	f.Add("#foreach($a in [1..1000])#foreach($b in [1..1000])$a#end#end", "/", "", "", []byte(nil), "")
	f.Add("#set($l = [])$l.add($l)$l #set($m = {})$m.put('m', $m)$m", "/", "", "", []byte(nil), "")
	f.Add("$util.escapeJavaScript($input.body) $util.urlEncode($input.body) $util.base64Encode($input.body) $util.parseJson($input.body).a $util.urlDecode('%zz')", "/", "", "", []byte(`{"a":"it's"}`), "")
	f.Add("#set($context.responseOverride.status = 400)#set($context.requestOverride.header.X = 'v')$context.requestOverride.header", "/", "", "", []byte(nil), "")
	f.Add("$input.body.replaceAll('(a+)+b', '$1').split('') $input.body.substring(3, 1)", "/", "", "", []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"), "")
	f.Fuzz(func(t *testing.T, tmpl, path, query, header string, body []byte, message string) {
		e := fuzzEnv(path, query, header, body, message)
		again := fuzzEnv(path, query, header, body, message)
		var out, out2, resolved, substituted string
		var err, err2 error
		fuzzing.Within(t, fuzzing.Deadline, "Render", func() {
			out, err = e.Render(tmpl)
			out2, err2 = again.Render(tmpl)
			resolved, _ = e.Resolve(tmpl)
			substituted = e.Substitute(tmpl)
		})
		if out != out2 || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Render is not deterministic: %q, %v; then %q, %v", out, err, out2, err2)
		}
		if err != nil && out != "" {
			t.Fatalf("a failed render returned output %q (error %v)", out, err)
		}
		if !strings.ContainsAny(tmpl, "$#") && len(tmpl) <= restapi.MaxTemplateBytes && (err != nil || out != tmpl) {
			t.Fatalf("a template without $ or # rendered as %q, %v", out, err)
		}
		if len(out) > vtl.DefaultLimits.Output {
			t.Fatalf("rendered %d bytes; the bound is %d", len(out), vtl.DefaultLimits.Output)
		}
		longest := max(len(path), len(query), len(header), len(body), len(message), len(tmpl))
		value := 6*longest + 64 // JSON-escaped input, or a context value (request id, epoch)
		if len(resolved) > value {
			t.Fatalf("Resolve gave %d bytes; the bound is %d", len(resolved), value)
		}
		if limit := len(tmpl) + len(tmpl)/len("${stageVariables.}")*value; len(substituted) > limit {
			t.Fatalf("Substitute gave %d bytes from %d; the bound is %d", len(substituted), len(tmpl), limit)
		}
	})
}

// fuzzEnv is an Env over a request built from fuzzed parts, with every
// $context source set, so any reference can find a value.
func fuzzEnv(path, query, header string, body []byte, message string) *mapping.Env {
	req := &http.Request{
		Method: http.MethodPost,
		URL:    &url.URL{Path: path, RawQuery: query},
		Header: http.Header{"X-Hdr": {header}, "User-Agent": {header}},
		Host:   "fuzz",
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	c := &request.Context{
		ID:             "0b5e2a4c-1111-4222-8333-944445555666",
		ExtendedID:     "ZkLN2F0zIAMEbXQ=",
		Start:          time.UnixMilli(1700000000123),
		SourceIP:       "192.0.2.7",
		API:            &restapi.API{Name: "fuzz-api"},
		Stage:          &restapi.Stage{StageName: "test"},
		StageVariables: map[string]string{"version": "v1", "header": header},
		Method:         &restapi.Method{HTTPMethod: http.MethodPost, ResourcePath: "/items/{id}"},
		PathParams:     map[string]string{"id": segs[len(segs)-1]},
		Body:           body,
		DeploymentID:   "d1",
	}
	return &mapping.Env{Request: req, Ctx: c, Error: &mapping.Error{Message: message, ResponseType: "DEFAULT_4XX", ValidationError: message},
		IntegrationHeaders: http.Header{"X-Int": {header}}, IntegrationBody: body}
}
