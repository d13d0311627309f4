package redact

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	token = "IQoJb3JpZ2luX2VjEXAMPLE/Tok+en=="
	sig   = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)

func TestString(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// URL user info.
		{"user and password", "Get http://user:pass@127.0.0.1:8080/test/x: EOF", "Get http://REDACTED@127.0.0.1:8080/test/x: EOF"},
		{"user only", "dial https://ghp_abcdef@example.com/x", "dial https://REDACTED@example.com/x"},
		{"ws scheme", "handshake with ws://u:p@[::1]:9/ws failed", "handshake with ws://REDACTED@[::1]:9/ws failed"},
		{"@ in the password", "http://u:p@ss@h:1/x", "http://REDACTED@h:1/x"},
		{"net/http's stripped form", `Get "http://user:***@127.0.0.1:1/": refused`, `Get "http://REDACTED@127.0.0.1:1/": refused`},
		{"quoted, at the end", `restURL "http://a:b@h"`, `restURL "http://REDACTED@h"`},
		{"two URLs", "http://a:b@h1 and http://c:d@h2/", "http://REDACTED@h1 and http://REDACTED@h2/"},
		{"@ in the path is not user info", "http://h/p?x=a@b", "http://h/p?x=a@b"},
		{"a mail address is not a URL", "write to ops@example.com", "write to ops@example.com"},

		// Session tokens.
		{"header", "X-Amz-Security-Token: " + token + "\r\nX-Amz-Date: 20260101T000000Z", "X-Amz-Security-Token: REDACTED\r\nX-Amz-Date: 20260101T000000Z"},
		{"canonical request line at the end", "x-amz-security-token:" + token, "x-amz-security-token:REDACTED"},
		{"upper case", "X-AMZ-SECURITY-TOKEN:" + token + " ", "X-AMZ-SECURITY-TOKEN:REDACTED "},
		{"query, URL-encoded", "/ws?X-Amz-Security-Token=" + url.QueryEscape(token) + "&X-Amz-Date=1", "/ws?X-Amz-Security-Token=REDACTED&X-Amz-Date=1"},
		{"Go header dump", "headers map[X-Amz-Security-Token:[" + token + "] X-Amz-Date:[1]]", "headers map[X-Amz-Security-Token:[REDACTED] X-Amz-Date:[1]]"},
		{"JSON", `{"X-Amz-Security-Token":"` + token + `","a":1}`, `{"X-Amz-Security-Token":"REDACTED","a":1}`},
		{"Gomega's object dump", "Header: {\n    \"X-Amz-Security-Token\": [\n        \"" + token + "\",\n    ],\n    \"Authorization\": [\n        \"AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=" + sig + "\",",
			"Header: {\n    \"X-Amz-Security-Token\": [\n        \"REDACTED\",\n    ],\n    \"Authorization\": [\n        \"REDACTED\","},
		{"Gomega's truncated dump", "\"X-Amz-Security-Token\": [\n    \"IQoJb3JpZ2lu...\n\nGomega truncated", "\"X-Amz-Security-Token\": [\n    \"REDACTED\n\nGomega truncated"},
		{"JSON array", `{"x-amz-security-token": ["` + token + `"]}`, `{"x-amz-security-token": ["REDACTED"]}`},
		{"escaped JSON in a %q dump", `body "{\"x-amz-security-token\":[\"` + token + `\"]}"`, `body "{\"x-amz-security-token\":[\"REDACTED\"]}"`},
		{"JSON-escaped slash", `"x-amz-security-token:IQo\/abc\/def\nx-amz-date"`, `"x-amz-security-token:REDACTED\nx-amz-date"`},
		{"signed headers list is not a value", "host;x-amz-date;x-amz-security-token\n" + sig, "host;x-amz-date;x-amz-security-token\n" + sig},
		{"other names", "aws_session_token=" + token + "\naws_secret_access_key = abc/def+ghi", "aws_session_token=REDACTED\naws_secret_access_key = REDACTED"},
		{"credentials struct", "{AccessKeyID:AKIAEXAMPLE SecretAccessKey:abc/def SessionToken:" + token + " Source:Env}", "{AccessKeyID:AKIAEXAMPLE SecretAccessKey:REDACTED SessionToken:REDACTED Source:Env}"},
		{"profile YAML", "secretAccessKey: gatecheck-reference-emulator-secret\n", "secretAccessKey: REDACTED\n"},

		// Signatures and Authorization.
		{"authorization header", "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig + "\r\nHost: h",
			"Authorization: REDACTED\r\nHost: h"},
		{"authorization in a Go header dump", "map[Authorization:[Basic dXNlcjpwYXNz] Content-Type:[a]]", "map[Authorization:[REDACTED] Content-Type:[a]]"},
		{"authorization in JSON", `{"authorization":"Bearer abc.def","x":1}`, `{"authorization":"REDACTED","x":1}`},
		{"presigned signature", "?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=" + sig + "&x=1", "?X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=REDACTED&x=1"},
		{"bare signature", "Signature=" + sig, "Signature=REDACTED"},
		{"prose about signatures stays", "The request signature we calculated does not match the signature you provided.", "The request signature we calculated does not match the signature you provided."},

		// API keys.
		{"x-api-key header", "x-api-key: gatecheckValidKey0000000003\n", "x-api-key: REDACTED\n"},
		{"x-api-key canonical line", "x-api-key:k123\nx-amz-date:1", "x-api-key:REDACTED\nx-amz-date:1"},
		{"x-api-key dump", "map[X-Api-Key:[k123]]", "map[X-Api-Key:[REDACTED]]"},
		{"apiKey in YAML", "apiKey: gatecheckWebSocketKey000006", "apiKey: REDACTED"},

		{"nothing to redact", "HTTP 504 in 1s, headers map[Content-Type:[application/json]], body \"{}\"", "HTTP 504 in 1s, headers map[Content-Type:[application/json]], body \"{}\""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := String(c.in)
			if got != c.want {
				t.Errorf("String(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if again := String(got); again != got {
				t.Errorf("not idempotent: %q, then %q", got, again)
			}
		})
	}
}

// canonicalMismatch is an InvalidSignatureException message as AWS and the
// reference gateway's sigv4 mismatch write it.
const canonicalMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
	"The Canonical String for this request should have been\n'POST\n/ws/%2540connections/abc%253D\n\n" +
	"content-length:5\nhost:127.0.0.1:8082\nx-amz-date:20260101T000000Z\nx-amz-security-token:" + token + "\n\n" +
	"content-length;host;x-amz-date;x-amz-security-token\n" + sig + "'\n\n" +
	"The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/execute-api/aws4_request\n" + sig + "'\n"

func TestCanonicalRequest(t *testing.T) {
	want := strings.Replace(canonicalMismatch, token, Marker, 1)
	if got := String(canonicalMismatch); got != want {
		t.Errorf("multi-line canonical request:\n got %q\nwant %q", got, want)
	}
	// The same message as the gateway's JSON body (\n escapes), and that
	// body inside a report's JSON (escaped again).
	body, _ := json.Marshal(map[string]string{"message": canonicalMismatch})
	report, _ := json.Marshal(map[string]string{"reason": "status 403, body " + string(body)})
	for name, text := range map[string]string{"JSON body": string(body), "report JSON": string(report), "%q": fmt.Sprintf("%q", body)} {
		got := String(text)
		if strings.Contains(got, token) || strings.Contains(got, token[:8]) {
			t.Errorf("%s: the token survives: %s", name, got)
		}
		if !strings.Contains(got, "x-amz-security-token:"+Marker) || !strings.Contains(got, "x-amz-date:20260101T000000Z") {
			t.Errorf("%s: want only the token redacted: %s", name, got)
		}
	}
}

func TestRegister(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYREGISTERED"
	if got := String("x " + secret + " y"); got != "x "+secret+" y" {
		t.Fatalf("before Register: %q", got)
	}
	Register(secret)
	Register(secret) // twice: no duplicate forms
	Register("short")
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), strings.ReplaceAll(secret, "/", `\/`)} {
		in := "the key " + form + " was refused; again:" + form
		want := "the key " + Marker + " was refused; again:" + Marker
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := String("short is too short to register"); got != "short is too short to register" {
		t.Errorf("a secret under MinSecretLen was registered: %q", got)
	}
	l := *literals.Load()
	seen := map[string]bool{}
	for _, f := range l {
		if seen[f] {
			t.Errorf("form %q registered twice", f)
		}
		seen[f] = true
	}
}

func TestRegisterWhileRedacting(t *testing.T) {
	var wg sync.WaitGroup
	secrets := make([]string, 8)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("concurrentSecret%02d", i)
	}
	for i := range secrets {
		wg.Add(2)
		go func() { defer wg.Done(); Register(secrets[i]) }()
		go func() { defer wg.Done(); _ = String("text with " + secrets[i]) }()
	}
	wg.Wait()
	for _, s := range secrets {
		if got := String("text with " + s); got != "text with "+Marker {
			t.Errorf("%s not redacted after Register: %q", s, got)
		}
	}
}

func TestCleanTextIsNotCopied(t *testing.T) {
	Register("allocCheckSecret0001")
	clean := "FAIL errors/MissingAuthToken: status: HTTP 403 in 2ms, headers map[Content-Type:[application/json] X-Amzn-Errortype:[MissingAuthenticationTokenException]], body \"{\\\"message\\\":\\\"Missing Authentication Token\\\"}\" at http://127.0.0.1:8080/test/nowhere"
	if allocs := testing.AllocsPerRun(100, func() { _ = String(clean) }); allocs != 0 {
		t.Errorf("String allocates %v times on text with nothing to redact", allocs)
	}
	if got := String(clean); got != clean {
		t.Errorf("clean text changed: %q", got)
	}
}

func BenchmarkStringClean(b *testing.B) {
	clean := strings.Repeat("HTTP 504 in 1.002s, headers map[Content-Type:[application/json]], body \"{}\" ", 10)
	b.SetBytes(int64(len(clean)))
	b.ReportAllocs()
	for b.Loop() {
		_ = String(clean)
	}
}

func BenchmarkStringCanonicalRequest(b *testing.B) {
	b.SetBytes(int64(len(canonicalMismatch)))
	b.ReportAllocs()
	for b.Loop() {
		_ = String(canonicalMismatch)
	}
}

// FuzzString checks String is idempotent and that its fast path is sound:
// text the fast path passes through has nothing the patterns would change.
func FuzzString(f *testing.F) {
	f.Add(canonicalMismatch)
	f.Add("http://u:p@h x-api-key:k Authorization: a Signature=" + sig)
	f.Add(`{\"SessionToken\":\"a\/b\"} aws_secret_access_key=x PASSWORD=y apikey:z`)
	f.Fuzz(func(t *testing.T, s string) {
		once := String(s)
		if twice := String(once); twice != once {
			t.Errorf("String(%q) = %q, then %q", s, once, twice)
		}
		if !needsRedaction(s, nil) {
			if slow := redactAll(s, nil); slow != s {
				t.Errorf("the fast path passed %q, the patterns make it %q", s, slow)
			}
		}
	})
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Api-Key": true, "apiKey": true, "api_key": true, "Authorization": true, "X-Amz-Security-Token": true,
		"aws_session_token": true, "SecretAccessKey": true, "password": true, "X-Amz-Signature": true,
		"Content-Type": false, "X-Amzn-RequestId": false, "key": false, "token": false, "": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestBytesDoesNotCopyCleanText(t *testing.T) {
	clean := []byte("nothing secret here at all")
	if got := Bytes(clean); &got[0] != &clean[0] {
		t.Error("clean bytes were copied")
	}
	if got := string(Bytes([]byte("x-api-key: k3yValue0123456789"))); strings.Contains(got, "k3yValue0123456789") {
		t.Errorf("Bytes kept the key: %q", got)
	}
}

func TestAPIKeyWithoutThePrefix(t *testing.T) {
	if got := String("api-key: s3cretKeyValue01"); strings.Contains(got, "s3cretKeyValue01") {
		t.Errorf("kept: %q", got)
	}
}
