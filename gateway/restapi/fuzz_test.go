package restapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/routing"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// Loading budgets. kin-openapi turns YAML into JSON and back, so an API
// definition costs some hundred bytes per input byte; a YAML bomb (aliases
// expanding exponentially) must be refused long before these.
var (
	apiBudget   = fuzzing.Budget{Fixed: 64 << 20, PerByte: 8 << 10}
	stageBudget = fuzzing.Budget{Fixed: 32 << 20, PerByte: 4 << 10}
)

const referenceStages = "../../fixtures/apis/reference.stages.yaml"

// FuzzLoad feeds arbitrary bytes to restapi.Load.
//
// Property: no panic; each input is handled within fuzzing.Deadline and
// allocates at most apiBudget (YAML bombs, huge numbers and deep nesting
// are refused, not expanded); Load returns either an API or a
// *restapi.ConfigError naming the file with at least one problem, the same
// problems in the same order every time; and an
// API it accepts is one the gateway can serve: every method has a
// supported integration with a timeout in range, its selection patterns
// compile, and a request for each resource path (variables filled in with
// a value no literal part can hold) routes to that resource.
func FuzzLoad(f *testing.F) {
	ref, err := os.ReadFile(referenceAPI)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	f.Add(withIntegration(`{type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}`))
	f.Add(withIntegration(`{type: http_proxy, httpMethod: GET, uri: "http://${stageVariables.backend}/x", timeoutInMillis: 50}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.openapi.yaml"
		var api *restapi.API
		var err error
		fuzzing.WithinBudget(t, fuzzing.Deadline, apiBudget, len(data), "restapi.Load", func() {
			api, err = restapi.Load(name, data)
		})
		if (api == nil) == (err == nil) {
			t.Fatalf("Load returned API %v and error %v: want exactly one", api != nil, err)
		}
		if err != nil {
			checkConfigError(t, err, name)
			sameProblems(t, err, func() error { _, err := restapi.Load(name, data); return err })
			return
		}
		checkServable(t, api)
	})
}

func checkConfigError(t *testing.T, err error, name string) {
	t.Helper()
	var ce *restapi.ConfigError
	if !errors.As(err, &ce) || ce.File != name || len(ce.Problems) == 0 || !strings.HasPrefix(err.Error(), name+": ") {
		t.Fatalf("error %T %v: want a *restapi.ConfigError naming %s with problems", err, err, name)
	}
	for _, p := range ce.Problems {
		if strings.TrimSpace(p) == "" {
			t.Fatalf("an empty problem in %q", ce.Problems)
		}
	}
}

// checkServable checks what Load promises about an accepted API.
func checkServable(t *testing.T, api *restapi.API) {
	t.Helper()
	if len(api.Resources) == 0 {
		t.Fatal("accepted an API with no resources")
	}
	for _, res := range api.Resources {
		if len(res.Methods) == 0 || !strings.HasPrefix(res.Path, "/") {
			t.Fatalf("accepted resource %q with %d methods", res.Path, len(res.Methods))
		}
		for verb, m := range res.Methods {
			in := &m.Integration
			if !slices.Contains([]string{restapi.HTTPProxy, restapi.HTTP, restapi.Mock, restapi.AWSProxy, restapi.AWS}, in.Type) {
				t.Fatalf("%s %s: accepted integration type %q", verb, res.Path, in.Type)
			}
			if to := in.Timeout(); to < restapi.MinTimeoutMillis || to > restapi.MaxTimeoutMillis {
				t.Fatalf("%s %s: accepted timeout %d ms", verb, res.Path, to)
			}
			for _, key := range []string{"200", "500", "", "default", "\x00"} {
				in.ResponseFor(key) // every selection pattern compiled
			}
			if got := api.MethodByPlanKey(res.Path + "/" + verb); got != m {
				t.Fatalf("MethodByPlanKey(%q) does not find the method", res.Path+"/"+verb)
			}
		}
	}
	checkRoutes(t, api)
}

// checkRoutes sends a request for every resource and checks it reaches it.
// Variables get a value with "%", which literal path parts cannot hold, so
// no literal sibling can take the request.
func checkRoutes(t *testing.T, api *restapi.API) {
	t.Helper()
	var got *restapi.Resource
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = request.From(r.Context()).Resource })
	h := routing.New(api, canary.NewStages([]restapi.Stage{{StageName: "s"}}), gatewayresponse.New(api), next)
	for _, res := range api.Resources {
		parts := strings.Split(res.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, "{") {
				parts[i] = "%25v"
			}
		}
		verb := http.MethodGet
		for v := range res.Methods {
			if v != restapi.AnyMethod {
				verb = v
			}
		}
		got = nil
		req := httptest.NewRequest(verb, "/s"+strings.Join(parts, "/"), nil)
		h.ServeHTTP(httptest.NewRecorder(), request.With(req, &request.Context{}))
		if got != res {
			t.Fatalf("%s %s routed to %v, want resource %s", verb, req.URL.Path, got, res.Path)
		}
	}
}

// FuzzLoadStages feeds arbitrary bytes to restapi.LoadStages.
//
// Property: no panic; each input is handled within fuzzing.Deadline and
// allocates at most stageBudget; LoadStages returns either a stage file or
// a *restapi.ConfigError naming the file with at least one problem, the
// same problems in the same order every time; an accepted stage file holds what validation promises (unique, valid stage
// names; plans that name existing stages and keys); and checking it
// against the reference API (ValidateAgainst) and building a gateway from
// both either works or fails with an error, never a panic.
func FuzzLoadStages(f *testing.F) {
	ref, err := os.ReadFile(referenceStages)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	f.Add([]byte("stages: [{stageName: prod, variables: {backend: 127.0.0.1:9090}}]\n"))
	api, err := restapi.LoadFile(referenceAPI)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.stages.yaml"
		var sf *restapi.StageFile
		var err error
		fuzzing.WithinBudget(t, fuzzing.Deadline, stageBudget, len(data), "restapi.LoadStages", func() {
			sf, err = restapi.LoadStages(name, data)
		})
		if (sf == nil) == (err == nil) {
			t.Fatalf("LoadStages returned a stage file %v and error %v: want exactly one", sf != nil, err)
		}
		if err != nil {
			checkConfigError(t, err, name)
			sameProblems(t, err, func() error { _, err := restapi.LoadStages(name, data); return err })
			return
		}
		checkStageFile(t, sf)
		var against error
		fuzzing.Within(t, fuzzing.Deadline, "ValidateAgainst and gateway.New", func() {
			if against = sf.ValidateAgainst(api); against != nil {
				return
			}
			if gw, err := gateway.New(api, sf, gateway.Options{}); err == nil {
				gw.Close()
			}
		})
		if against != nil {
			checkConfigError(t, against, name)
			sameProblems(t, against, func() error { return sf.ValidateAgainst(api) })
		}
	})
}

func checkStageFile(t *testing.T, sf *restapi.StageFile) {
	t.Helper()
	if len(sf.Stages) == 0 {
		t.Fatal("accepted a stage file with no stages")
	}
	stages := map[string]bool{}
	for _, s := range sf.Stages {
		if s.StageName == "" || stages[s.StageName] || len(restapi.ValidateStageVariables("v", s.Variables)) > 0 {
			t.Fatalf("accepted stage %q (duplicate %v) with variables %q", s.StageName, stages[s.StageName], s.Variables)
		}
		stages[s.StageName] = true
	}
	keys := map[string]bool{}
	for _, k := range sf.APIKeys {
		keys[k.ID] = true
	}
	for _, u := range sf.UsagePlans {
		for _, as := range u.APIStages {
			if !stages[as.Stage] {
				t.Fatalf("plan %q accepted with unknown stage %q", u.ID, as.Stage)
			}
		}
		for _, k := range u.APIKeys {
			if !keys[k] {
				t.Fatalf("plan %q accepted with unknown key %q", u.ID, k)
			}
		}
	}
}

// sameProblems loads data a second time with load and fails if the result
// differs from the first load's error: the problems, in their order, are
// part of what the user reads and must not change between runs.
func sameProblems(t *testing.T, first error, load func() error) {
	t.Helper()
	var again error
	fuzzing.Within(t, fuzzing.Deadline, "loading again", func() { again = load() })
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Fatalf("loading the same bytes twice gave different problems:\n%v\nthen:\n%v", first, again)
	}
}
