package mapping_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// FuzzRender renders arbitrary templates against arbitrary requests:
// path, query, one header, body and error message all come from the
// fuzzer. It is about the public API (Env.Render, Env.Resolve), so it
// still applies when the VTL subset of issue 11 replaces the renderer.
//
// Property: no panic; rendering finishes within fuzzing.Deadline;
// rendering is deterministic; a template without "$" renders as written;
// and the output is bounded: the template's text plus, for each
// reference (at least two template bytes, "$" and a name), one value, and
// no value is longer than the longest input re-encoded as JSON (6 bytes
// per byte) plus a few bytes, so output can never grow faster than
// template size times input size.
func FuzzRender(f *testing.F) {
	f.Add("$context.requestId", "/test/items/7", "q=1&q=2", "v", []byte(`{"a":1}`), "Missing Authentication Token")
	f.Add(`{"message":$context.error.messageString,"type":"$context.error.responseType"}`, "/p", "", "", []byte(nil), "quote \" and <tag>")
	f.Add("${stageVariables.version}/$input.params('id')/$input.params(\"q\")/$input.params('X-Hdr')", "/i/42", "q=x", "h", []byte("b"), "")
	f.Add("$input.json('$') $input.body $!{context.stage} $context.identity.userAgent", "/", "", "", []byte(`[1,2]`), "")
	f.Add("$input.params( $context.", "/", "", "", []byte("{"), "")
	f.Fuzz(func(t *testing.T, tmpl, path, query, header string, body []byte, message string) {
		e := fuzzEnv(path, query, header, body, message)
		var out, again, resolved string
		fuzzing.Within(t, fuzzing.Deadline, "Render", func() {
			out = e.Render(tmpl)
			again = e.Render(tmpl)
			resolved, _ = e.Resolve(tmpl)
		})
		if out != again {
			t.Fatalf("Render is not deterministic: %q, then %q", out, again)
		}
		if !strings.Contains(tmpl, "$") && out != tmpl {
			t.Fatalf("a template without references rendered as %q", out)
		}
		longest := max(len(path), len(query), len(header), len(body), len(message), len(tmpl))
		value := 6*longest + 64 // JSON-escaped input, or a context value (request id, epoch, "{}")
		if limit := len(tmpl) + len(tmpl)/2*value; len(out) > limit {
			t.Fatalf("rendered %d bytes from a %d-byte template; the bound is %d", len(out), len(tmpl), limit)
		}
		if len(resolved) > value {
			t.Fatalf("Resolve gave %d bytes; the bound is %d", len(resolved), value)
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
