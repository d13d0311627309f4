package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
)

func gatecheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func write(t *testing.T, name, body string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadInvocationsFailFastWithOneClearError(t *testing.T) {
	badAPI := write(t, "api.yaml", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://h/x', timeoutInMillis: 30000}\n")
	stages := write(t, "stages.yaml", "stages:\n  - stageName: test\n")
	cases := []struct {
		args []string
		want string
	}{
		{nil, "Usage"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"run", "stray"}, `unexpected argument "stray"`},
		{[]string{"run", "--profile", filepath.Join(t.TempDir(), "nope.yaml")}, "nope.yaml"},
		{[]string{"run", "--label-filter", "a&&"}, "--label-filter"},
		{[]string{"serve", "--api", badAPI}, "--api and --stages go together"},
		{[]string{"serve", "--api", badAPI, "--stages", stages}, "timeoutInMillis"},
		{[]string{"serve", "--stage-var", "novalue"}, "not name=value"},
		{[]string{"serve", "--stage-var", "bad-name=x"}, "variable names"},
		{[]string{"fixture", "--listen", "not-an-address"}, "listen not-an-address"},
		{[]string{"serve", "--write-timeout", "50s"}, "--write-timeout 50s is not longer than --body-timeout 30s plus the longest integration timeout (29s)"},
		{[]string{"serve", "--management-write-timeout", "10s", "--websocket-read-header-timeout", "0"}, "--management-write-timeout 10s must exceed --management-body-timeout 30s"},
		{[]string{"fixture", "--callback-endpoint", "evil.com", "--callback-credentials", "aws-default-chain"}, "want an http:// or https:// URL"},
		{[]string{"profiles", "validate", write(t, "p.yaml", "version: 1\nname: x\nbogus: true\n")}, "bogus"},
		{[]string{"compare", "one.json"}, "usage: gatecheck compare"},
		{[]string{"bench", "--rate", "999999"}, "rate"},
		{[]string{"hostile", "--memory-bound", "lots", "--requests", "0"}, "--memory-bound \"lots\": want a positive size such as 200MB or 190MiB\n--requests 0: must be positive"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := gatecheck(t, c.args...)
			if code != runner.ExitConfig {
				t.Errorf("exit code = %d, want %d (config error); stderr:\n%s", code, runner.ExitConfig, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not mention %q:\n%s", c.want, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a panic:\n%s", stderr)
			}
		})
	}
}

func TestBadAPIErrorNamesFileFieldAndFix(t *testing.T) {
	api := write(t, "api.yaml", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://h/x', timeoutInMillis: 30000}\n")
	stages := write(t, "stages.yaml", "stages:\n  - stageName: test\n")
	_, _, stderr := gatecheck(t, "serve", "--api", api, "--stages", stages)
	for _, want := range []string{api, "paths./x.get.x-amazon-apigateway-integration.timeoutInMillis", "50–29000"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error does not contain %q:\n%s", want, stderr)
		}
	}
}

func TestProfilesValidateShipped(t *testing.T) {
	code, stdout, stderr := gatecheck(t, "profiles", "validate", "../../fixtures/profiles/reference.yaml", "../../fixtures/profiles/local.yaml", "../../fixtures/profiles/aws-rest.yaml")
	if code != 0 || strings.Count(stdout, ": ok") != 3 {
		t.Fatalf("shipped profiles must validate: code %d\n%s%s", code, stdout, stderr)
	}
}

func TestUnreachableTargetExit3(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := write(t, "p.yaml", "version: 1\nname: gone\ntarget: {restURL: http://"+addr+", stage: test}\nfeatures: {request-ids: {}}\n")
	out := t.TempDir()
	code, _, stderr := gatecheck(t, "run", "--profile", p, "--out", out)
	if code != runner.ExitUnreachable || !strings.Contains(stderr, "unreachable") || !strings.Contains(stderr, "target.restURL") {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
	// The CI step that publishes junit.xml finds it, with the cause.
	junit, err := os.ReadFile(filepath.Join(out, reports.JUnitFile))
	if err != nil || !strings.Contains(string(junit), "<error") || !strings.Contains(string(junit), "target.restURL") {
		t.Fatalf("junit.xml: %v\n%s", err, junit)
	}
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, v reports.Verdict, g reports.Grade) string {
		r := &reports.Report{SchemaVersion: reports.SchemaVersion, Profile: reports.Profile{Name: "same-profile"},
			Specs: []reports.Spec{{Name: "A", Area: "x", Verdict: reports.Passed}, {Name: "B", Area: "x", Verdict: v, Grade: g, Reason: "why " + name}}}
		path := filepath.Join(dir, name+".json")
		if err := r.WriteJSON(path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base, same := mk("base", reports.Passed, reports.GradeOK), mk("same", reports.Passed, "")
	diff, lenient := mk("diff", reports.Failed, reports.GradeFailed), mk("lenient", reports.Passed, reports.GradeNonStrict)
	if code, out, _ := gatecheck(t, "compare", base, same); code != 0 || !strings.Contains(out, "0 spec(s) differ") {
		t.Fatalf("identical: %d %s", code, out)
	}
	// The columns are labelled by file, not by the (same) profile name.
	code, out, _ := gatecheck(t, "compare", base, diff)
	if code != runner.ExitFailed || !strings.Contains(out, "base: "+base) || !strings.Contains(out, "new:  "+diff) ||
		!strings.Contains(out, "x     B     passed  failed") || !strings.Contains(out, "new (failed): why diff") {
		t.Fatalf("different: %d %s", code, out)
	}
	// OK -> NON-STRICT is a difference too.
	if code, out, _ := gatecheck(t, "compare", base, lenient); code != runner.ExitFailed || !strings.Contains(out, "passed (NON-STRICT)") || !strings.Contains(out, "1 grade change(s)") {
		t.Fatalf("grade change: %d %s", code, out)
	}
}

// TestConformanceFailureExit1 runs the real suites (once per process)
// against a "gateway" that answers 200 to everything: it must fail.
func TestConformanceFailureExit1(t *testing.T) {
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"message":"ok"}`))
	}))
	defer wrong.Close()
	p := write(t, "p.yaml", "version: 1\nname: wrong\ntarget: {restURL: "+wrong.URL+", stage: test}\nroutes: {inspect: /inspect}\nfeatures: {gateway-responses: {}}\nwaits: {request: 5s, spec: 20s, eventually: 2s, poll: 50ms}\n")
	out := t.TempDir()
	start := time.Now()
	code, stdout, stderr := gatecheck(t, "run", "--profile", p, "--out", out)
	if code != runner.ExitFailed {
		t.Fatalf("exit code %d, want %d\n%s\n%s", code, runner.ExitFailed, stdout, stderr)
	}
	rep, err := reports.ReadJSON(filepath.Join(out, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Failed == 0 || rep.Summary.Unsupported == 0 {
		t.Fatalf("want failures (gateway-responses) and unsupported specs (everything else): %+v", rep.Summary)
	}
	t.Logf("ran in %v: %+v", time.Since(start), rep.Summary)
}

// A profile whose values would send traffic beyond its own target.maxRate
// is refused by `profiles validate` and by `run`, before any traffic.
func TestProfileBeyondItsBoundsIsAConfigError(t *testing.T) {
	ref, err := os.ReadFile("../../fixtures/profiles/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(ref), "  embedded: true\n", "  embedded: true\n  maxRate: 100\n", 1)
	y = strings.Replace(y, "method: {rateLimit: 10, burstLimit: 5}", "method: {rateLimit: 10, burstLimit: 583}", 1)
	path := write(t, "over.yaml", y)
	for _, args := range [][]string{{"profiles", "validate", path}, {"run", "--profile", path, "--out", t.TempDir()}} {
		code, _, stderr := gatecheck(t, args...)
		if code != runner.ExitConfig {
			t.Errorf("%v: exit code %d, want %d", args, code, runner.ExitConfig)
		}
		for _, want := range []string{path, "features.throttling.method.burstLimit", "1168", "target.maxRate 100"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
	}
}

// --help is a question, not a mistake: every command answers it with its
// usage and exit 0, and starts nothing.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"}, {"run", "--help"}, {"serve", "--help"}, {"fixture", "--help"}, {"repeat", "--help"},
		{"compare", "--help"}, {"profiles", "--help"}, {"profiles", "validate", "--help"}, {"hostile", "--help"},
		{"bench", "--help"}, {"bench", "overhead", "--help"}, {"bench", "throttle", "--help"}, {"bench", "callbacks", "--help"},
		{"bench", "idle", "--help"}, {"bench", "slowclients", "--help"}, {"bench", "peers", "--help"},
		{"bench", "idle-clients", "--help"}, {"list", "--help"}, {"matrix", "--help"}, {"version", "--help"}, {"-h"},
	} {
		code, out, errOut := gatecheck(t, args...)
		if code != 0 || !strings.Contains(strings.ToLower(out+errOut), "usage") {
			t.Errorf("gatecheck %s: exit %d, output %q%q; want the usage and exit 0", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// matrix names every problem with its fix: an unknown peer, and run
// directories that are not there.
func TestMatrixBadInput(t *testing.T) {
	code, _, errOut := gatecheck(t, "matrix", "--peers", "nginx,traefik", "--out", t.TempDir())
	if code != runner.ExitConfig || !strings.Contains(errOut, "no shipped peer named traefik") || !strings.Contains(errOut, "nginx, haproxy, caddy") {
		t.Errorf("unknown peer: exit %d, %q", code, errOut)
	}
	code, _, errOut = gatecheck(t, "matrix", "--peers", "", filepath.Join(t.TempDir(), "nope"), "--out", t.TempDir())
	if code != runner.ExitConfig || !strings.Contains(errOut, "gatecheck run --out") {
		t.Errorf("missing run directory: exit %d, %q", code, errOut)
	}
}
