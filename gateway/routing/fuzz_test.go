package routing_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/routing"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// referenceRouter is the routing stages over the reference API and its
// stages, loaded the way runner.LoadReference loads them; the next stage
// records what routing decided into *got.
// routeBudget bounds what routing one request may allocate.
var routeBudget = fuzzing.Budget{Fixed: 1 << 20, PerByte: 64}

func referenceRouter(f *testing.F, got *routed) http.Handler {
	f.Helper()
	apiData, err := fixtures.Files.ReadFile(fixtures.ReferenceAPI)
	if err != nil {
		f.Fatal(err)
	}
	api, err := restapi.Load(fixtures.ReferenceAPI, apiData)
	if err != nil {
		f.Fatal(err)
	}
	stageData, err := fixtures.Files.ReadFile(fixtures.ReferenceStages)
	if err != nil {
		f.Fatal(err)
	}
	sf, err := restapi.LoadStages(fixtures.ReferenceStages, stageData)
	if err != nil {
		f.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := request.From(r.Context())
		*got = routed{called: true, resource: c.Resource.Path, method: c.Method.HTTPMethod, stage: c.Stage.StageName, params: c.PathParams}
		w.WriteHeader(http.StatusNoContent)
	})
	return routing.New(api, canary.NewStages(sf.Stages), gatewayresponse.New(api), next)
}

// FuzzRoute routes arbitrary methods and request targets (parsed as the
// HTTP server parses them) through the reference API's stages.
//
// Property: no panic; routing finishes within fuzzing.Deadline; a request
// that is not routed gets a 403 (API Gateway's answer to an unknown
// stage, path or method); a routed one went to the stage its first
// segment names, to a method declared for the request's method (or ANY),
// and its path parameters re-join to the requested path: putting them into
// the resource's template gives back the decoded, non-empty segments after
// the stage (empty segments do not count for matching, as on AWS).
// (Whether a greedy parameter may hold a ".." segment is not checked here.)
func FuzzRoute(f *testing.F) {
	for _, s := range []struct{ method, target string }{
		{"GET", "/test/inspect"},
		{"POST", "/test/inspect/a/b/c?x=1"},
		{"GET", "/test/delay/5"},
		{"GET", "/t%65st/items/1"},
		{"GET", "/cached/cached-items/a%2Fb"},
		{"DELETE", "/prod/lambda"},
		{"GET", "/test/inspect/"},
		{"GET", "/test/inspect//x"},
		{"GET", "/test/status/%zz"},
		{"PUT", "/test/mock"},
		{"GET", "/test"},
		{"GET", "//"},
	} {
		f.Add(s.method, s.target)
	}
	var got routed
	h := referenceRouter(f, &got)
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return // the server answers 400 before any handler
		}
		r := &http.Request{Method: method, URL: u, RequestURI: target, Header: http.Header{}, Host: "fuzz"}
		got = routed{}
		rec := httptest.NewRecorder()
		// Routing keeps nothing: memory grows with the path at most.
		fuzzing.WithinBudget(t, fuzzing.Deadline, routeBudget, len(method)+len(target), "routing", func() { h.ServeHTTP(rec, request.With(r, &request.Context{})) })
		if !got.called {
			// 403 for no resource; BAD_REQUEST_PARAMETERS (the reference
			// API customises it to 422) for a path hiding a dot segment.
			invalidPath := strings.Contains(rec.Body.String(), routing.InvalidPathMessage)
			if rec.Code != http.StatusForbidden && !(invalidPath && rec.Code == http.StatusUnprocessableEntity) {
				t.Fatalf("%s %s: not routed, status %d %s; want 403, or 422 for a hidden dot segment", method, target, rec.Code, rec.Body)
			}
			return
		}
		segs := decodedSegments(u.EscapedPath())
		if len(segs) == 0 || segs[0] != got.stage {
			t.Fatalf("%s %s: routed to stage %q", method, target, got.stage)
		}
		if got.method != method && got.method != restapi.AnyMethod {
			t.Fatalf("%s %s: routed to method %s of %s", method, target, got.method, got.resource)
		}
		if rejoined, want := rejoin(t, got.resource, got.params), strings.Join(segs[1:], "/"); rejoined != want {
			t.Fatalf("%s %s: resource %s with params %q re-joins to %q, want %q", method, target, got.resource, got.params, rejoined, want)
		}
	})
}

// decodedSegments splits an escaped path into the stage segment and the
// non-empty segments after it, each decoded (left as written if it does not
// decode).
func decodedSegments(escaped string) []string {
	p := strings.TrimPrefix(escaped, "/")
	if p == "" {
		return nil
	}
	segs := strings.Split(p, "/")
	kept := segs[:1]
	for _, s := range segs[1:] {
		if s != "" {
			kept = append(kept, s)
		}
	}
	for i, s := range kept {
		if d, err := url.PathUnescape(s); err == nil {
			kept[i] = d
		}
	}
	return kept
}

// rejoin fills a resource template's variables with params.
func rejoin(t *testing.T, template string, params map[string]string) string {
	t.Helper()
	if template == "/" {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(template, "/"), "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "+")
			v, ok := params[name]
			if !ok {
				t.Fatalf("resource %s routed without parameter %s (params %q)", template, name, params)
			}
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}
