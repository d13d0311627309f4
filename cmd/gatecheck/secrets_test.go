package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
)

// envRunMain makes the test binary act as the gatecheck binary, for tests
// that need `gatecheck run` in a fresh process (Ginkgo runs its suite once
// per process, and TestConformanceFailureExit1 already used this one).
const envRunMain = "GATECHECK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// signatureRecorder serves h and remembers every SigV4 signature sent to
// it, so the test can look for them in the outputs.
type signatureRecorder struct {
	mu   sync.Mutex
	sigs map[string]bool
}

func (s *signatureRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig := r.URL.Query().Get("X-Amz-Signature")
		if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Signature="); ok {
			sig = after
		}
		if sig != "" {
			s.mu.Lock()
			s.sigs[sig] = true
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (s *signatureRecorder) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.sigs))
	for sig := range s.sigs {
		out = append(out, sig)
	}
	return out
}

// TestSecretsStayOutOfEveryOutput runs `gatecheck run` against the
// reference gateway with credentials from the default chain that carry a
// session token but the wrong secret, and URLs with a password. The signed
// calls fail with InvalidSignatureException, whose message echoes the
// canonical request (x-amz-security-token included), as AWS's does. None
// of the secrets may reach stdout, stderr or any report; the failure
// itself must still be reported.
func TestSecretsStayOutOfEveryOutput(t *testing.T) {
	const (
		password     = "secretpass9Qz"
		wrongSecret  = "SkMarkW3vY/0123456789+abcdefghijKLmnopqrs"
		sessionToken = "TkMarkQ7zX/AbC+dEf=gHiJkLmNoPqRsTuV/wXyZ0123456789+abcdefghijklmnopqrstuvwxyz=="
	)
	e, err := runner.StartEmbedded(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &signatureRecorder{sigs: map[string]bool{}}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(rec.wrap(h))
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		u.User = url.UserPassword("gatecheck", password)
		return u.String()
	}
	restURL, mgmtURL := serve(e.Gateway), serve(e.Gateway.Management())
	// No password here: gorilla/websocket refuses ws:// URLs with user info.
	wsServer := httptest.NewServer(rec.wrap(e.WebSockets[0]))
	t.Cleanup(wsServer.Close)
	wsURL := "ws" + strings.TrimPrefix(wsServer.URL, "http")
	fixtureURL := strings.Replace(e.FixtureURL, "http://", "http://gatecheck:"+password+"@", 1)
	t.Cleanup(e.Close) // before the servers close: it closes the hijacked WebSocket connections

	raw, err := os.ReadFile("../../fixtures/profiles/local.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var prof map[string]any
	if err := yaml.Unmarshal(raw, &prof); err != nil {
		t.Fatal(err)
	}
	target := prof["target"].(map[string]any)
	target["restURL"], target["managementURL"], target["metricsURL"] = restURL, mgmtURL, mgmtURL+"/metrics"
	target["fixtureURL"], target["websocketURL"], target["restApiId"] = fixtureURL, wsURL, e.APIID
	target["credentials"] = "aws-default-chain"
	delete(target, "accessKeyId")
	delete(target, "secretAccessKey")
	delete(target, "websocketNoDefaultURL")
	// Keep the run short: checks that wait for a signed call to succeed give up soon.
	prof["waits"].(map[string]any)["eventually"] = "500ms"
	out, err := yaml.Marshal(prof)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	profilePath, reportDir, empty := filepath.Join(dir, "p.yaml"), filepath.Join(dir, "report"), filepath.Join(dir, "empty")
	for path, body := range map[string][]byte{profilePath: out, empty: nil} {
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", "--profile", profilePath, "--out", reportDir,
		"--label-filter", "(feature:cache-invalidation || feature:websocket-callbacks || feature:usage-plans) && !scenario")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envRunMain+"=1",
		"AWS_ACCESS_KEY_ID=AKIAGATECHECKEXAMPLE", "AWS_SECRET_ACCESS_KEY="+wrongSecret, "AWS_SESSION_TOKEN="+sessionToken,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_EC2_METADATA_DISABLED=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("gatecheck run took %v", time.Since(start))
	if code := cmd.ProcessState.ExitCode(); code != runner.ExitFailed {
		t.Fatalf("exit %d (%v), want %d: the signed calls must fail\nstdout:\n%s\nstderr:\n%s", code, err, runner.ExitFailed, &stdout, &stderr)
	}

	outputs := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
	for _, f := range []string{reports.JSONFile, reports.JUnitFile, reports.MarkdownFile, reports.HTMLFile} {
		b, err := os.ReadFile(filepath.Join(reportDir, f))
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = string(b)
	}
	secrets := map[string]string{
		"session token":               sessionToken,
		"session token (URL-encoded)": url.QueryEscape(sessionToken),
		"start of the session token":  sessionToken[:10], // a truncated echo leaks it too
		"wrong secret":                wrongSecret,
		"start of the wrong secret":   wrongSecret[:10],
		"password":                    password,
		"basic credentials":           base64.StdEncoding.EncodeToString([]byte("gatecheck:" + password)),
	}
	sigs := rec.all()
	if len(sigs) == 0 {
		t.Fatal("no signed request reached the gateway: the test proves nothing")
	}
	for _, sig := range sigs {
		secrets["signature "+sig] = sig
	}
	for name, text := range outputs {
		for what, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s leaks the %s: …%s…", name, what, text[max(0, i-80):min(len(text), i+len(secret)+20)])
			}
		}
	}

	// The failure is still reported, redacted.
	rep, err := reports.ReadJSON(filepath.Join(reportDir, reports.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Profile.Target, "://REDACTED@127.0.0.1:") {
		t.Errorf("report target %q: want the URL with its user info redacted", rep.Profile.Target)
	}
	redactedToken := false
	for _, s := range rep.Specs {
		if s.Verdict == reports.Failed && strings.Contains(s.Reason, "InvalidSignatureException") && strings.Contains(s.Reason, "x-amz-security-token:REDACTED") {
			redactedToken = true
		}
	}
	if !redactedToken {
		t.Errorf("no failed spec reports the InvalidSignatureException with the redacted token line; specs:\n%+v", rep.Specs)
	}
	if !strings.Contains(stdout.String(), "against local (http://REDACTED@127.0.0.1:") {
		t.Errorf("stdout's verdict line does not name the target with redacted user info:\n%s", &stdout)
	}
}

// TestConfigErrorsHidePasswords: errors that quote a profile's URL (an
// unreachable target, a bad profile) do not print its password.
func TestConfigErrorsHidePasswords(t *testing.T) {
	const password = "pw4ConfigErrors"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	unreachable := write(t, "gone.yaml", "version: 1\nname: gone\ntarget: {restURL: http://u:"+password+"@"+addr+", stage: test}\nfeatures: {request-ids: {}}\n")
	offHost := write(t, "off.yaml", "version: 1\nname: off\ntarget: {restURL: http://u:"+password+"@gateway.example.com, stage: test}\n")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--profile", unreachable, "--out", t.TempDir()}, runner.ExitUnreachable, "unreachable"},
		{[]string{"run", "--profile", offHost, "--out", t.TempDir()}, runner.ExitConfig, "http://REDACTED@gateway.example.com"},
		{[]string{"profiles", "validate", offHost}, runner.ExitConfig, "http://REDACTED@gateway.example.com"},
	} {
		code, stdout, stderr := gatecheck(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d; stderr does not say %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
		if strings.Contains(stdout+stderr, password) {
			t.Errorf("%v prints the password:\n%s%s", c.args, stdout, stderr)
		}
	}
}
