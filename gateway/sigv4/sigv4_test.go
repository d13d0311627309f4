package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/jonboulle/clockwork"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testName   = "arn:aws:iam::123456789012:user/tester"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testVerifier(clock clockwork.Clock) *Verifier {
	return &Verifier{
		Credentials: []Credential{
			{AccessKeyID: "OTHERKEY", SecretAccessKey: "other", Identity: "other"},
			{AccessKeyID: testAKID, SecretAccessKey: testSecret, Identity: testName},
		},
		Clock: clock,
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// clientRequest builds and signs an outgoing request with the SDK signer.
func clientRequest(t testing.TB, method, rawURL string, body []byte, hdr http.Header, service string,
	at time.Time, secret string, opts ...func(*v4.SignerOptions)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha(body), service, "eu-west-1", at, opts...); err != nil {
		t.Fatal(err)
	}
	return req
}

// serverRequest turns an outgoing request into what a server handler sees.
func serverRequest(creq *http.Request, body []byte) *http.Request {
	r := httptest.NewRequest(creq.Method, creq.URL.RequestURI(), bytes.NewReader(body))
	r.Host = creq.URL.Host
	for k, vs := range creq.Header {
		r.Header[k] = append([]string(nil), vs...)
	}
	if len(body) > 0 {
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return r
}

func signedServerRequest(t testing.TB, method, rawURL string, body []byte, hdr http.Header, service string,
	at time.Time, opts ...func(*v4.SignerOptions)) *http.Request {
	t.Helper()
	return serverRequest(clientRequest(t, method, rawURL, body, hdr, service, at, testSecret, opts...), body)
}

func writeAWSError(w http.ResponseWriter, err error) {
	typ, msg := ErrorType(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// --- 1a: the apigateway SDK client against a verifying server ------------

func TestRoundTripAPIGatewaySDKClient(t *testing.T) {
	v := testVerifier(nil) // the SDK signs with the real clock
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r, "apigateway")
		if err != nil {
			writeAWSError(w, err)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body after Verify: %v", err)
		}
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+id.Name+" "+id.Region+" "+id.Service)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/usageplans":
			_, _ = io.WriteString(w, `{"item":[{"id":"p1","name":"basic"}]}`)
		case r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/usage"):
			var in struct {
				PatchOperations []struct{ Op, Path, Value string } `json:"patchOperations"`
			}
			if err := json.Unmarshal(body, &in); err != nil || len(in.PatchOperations) != 1 ||
				in.PatchOperations[0].Value != "42" {
				t.Errorf("handler saw body %q (err %v)", body, err)
			}
			_, _ = io.WriteString(w, `{"usagePlanId":"plan=1","values":{}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"not found"}`)
		}
	}))
	defer srv.Close()

	client := func(secret, akid string) *apigateway.Client {
		return apigateway.New(apigateway.Options{
			Region:           "us-west-2",
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, ""),
			HTTPClient:       srv.Client(),
			RetryMaxAttempts: 1,
		})
	}
	ctx := context.Background()
	c := client(testSecret, testAKID)

	out, err := c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{Limit: aws.Int32(5), Position: aws.String("a b/c=")})
	if err != nil {
		t.Fatalf("GetUsagePlans: %v", err)
	}
	if len(out.Items) != 1 || aws.ToString(out.Items[0].Id) != "p1" {
		t.Fatalf("GetUsagePlans output %+v", out.Items)
	}
	// Path labels with characters that get percent-encoded ('=' and '@').
	uout, err := c.UpdateUsage(ctx, &apigateway.UpdateUsageInput{
		UsagePlanId: aws.String("plan=1"),
		KeyId:       aws.String("key@x y"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("42")},
		},
	})
	if err != nil {
		t.Fatalf("UpdateUsage: %v", err)
	}
	if aws.ToString(uout.UsagePlanId) != "plan=1" {
		t.Fatalf("UpdateUsage output %+v", uout)
	}
	mu.Lock()
	t.Logf("verified: %q", seen)
	if len(seen) != 2 || !strings.Contains(seen[1], testName+" us-west-2 apigateway") {
		t.Errorf("seen = %q", seen)
	}
	mu.Unlock()

	// Wrong secret and unknown key surface as the AWS error codes.
	_, err = client("not-the-secret", testAKID).GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("wrong secret: err = %v, want InvalidSignatureException", err)
	}
	_, err = client(testSecret, "AKIDUNKNOWN").GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err == nil || !strings.Contains(err.Error(), "UnrecognizedClientException") ||
		!strings.Contains(err.Error(), msgUnknownKey) {
		t.Errorf("unknown key: err = %v, want UnrecognizedClientException", err)
	}
}

// --- 1b: execute-api requests signed with the SDK signer over real HTTP --

func TestRoundTripExecuteAPI(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0.Add(time.Minute))
	v := testVerifier(clock)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r, "execute-api")
		if err != nil {
			writeAWSError(w, err)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Identity", id.Name+"|"+id.Region+"|"+id.Service)
		w.Header().Set("X-Raw-Path", r.URL.EscapedPath())
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	const query = "?b=x%20y&a=1%2B2&c=%40%3D%2F%26&a=0&empty=&plus=a+b"
	body := []byte(`{"message":"hello @connections"}`)
	escaping := func(disable bool) func(*v4.SignerOptions) {
		return func(o *v4.SignerOptions) { o.DisableURIPathEscaping = disable }
	}
	cases := []struct {
		name, path string
		opt        func(*v4.SignerOptions)
	}{
		// What a generic SigV4 signer (and every Go SDK v2 client but S3)
		// does: the canonical path is the wire path encoded once more,
		// /prod/%2540connections/abc%253D.
		{"encoded path, standard double encoding", "/prod/%40connections/abc%3D", escaping(false)},
		// aws4's doNotEncodePath / early @connections clients: canonical
		// path = wire path.
		{"encoded path, single encoding", "/prod/%40connections/abc%3D", escaping(true)},
		// The Go SDK apigatewaymanagementapi client sends the literal '@'
		// of its "/@connections/{ConnectionId}" template and escapes the
		// label: POST /prod/@connections/abc%3D, default signer.
		{"apigatewaymanagementapi wire form", "/prod/@connections/abc%3D", escaping(false)},
		{"apigatewaymanagementapi wire form, single encoding", "/prod/@connections/abc%3D", escaping(true)},
		{"plain path", "/prod/pets/42", escaping(false)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{"Content-Type": {"application/json"}, "X-Custom": {"a  b", "c"}}
			req := clientRequest(t, http.MethodPost, srv.URL+tc.path+query, body, hdr, "execute-api", t0, testSecret, tc.opt)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, got)
			}
			if !bytes.Equal(got, body) {
				t.Errorf("handler read body %q after Verify, want %q", got, body)
			}
			if p := resp.Header.Get("X-Raw-Path"); p != tc.path {
				t.Errorf("server saw path %q, want %q", p, tc.path)
			}
			if id := resp.Header.Get("X-Identity"); id != testName+"|eu-west-1|execute-api" {
				t.Errorf("identity %q", id)
			}
		})
	}

	t.Run("GET without body", func(t *testing.T) {
		req := clientRequest(t, http.MethodGet, srv.URL+"/prod/%40connections/abc%3D", nil, nil, "execute-api", t0, testSecret)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})

	t.Run("tampered path over HTTP", func(t *testing.T) {
		req := clientRequest(t, http.MethodPost, srv.URL+"/prod/%40connections/abc%3D", body, nil, "execute-api", t0, testSecret)
		req.URL, _ = url.Parse(srv.URL + "/prod/%40connections/abd%3D")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
			t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), got)
		}
		if !strings.Contains(string(got), `/prod/%2540connections/abd%253D`) {
			t.Errorf("message should show the double-encoded canonical path: %s", got)
		}
	})
}

// Single encoding is accepted for execute-api only.
func TestSingleEncodingOnlyForExecuteAPI(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	single := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }
	r := signedServerRequest(t, http.MethodGet, "https://apigateway.local/restapis/a%3Db", nil, nil, "apigateway", t0, single)
	if _, err := v.Verify(r, "apigateway"); !errors.Is(err, ErrSignature) {
		t.Errorf("apigateway, single-encoded path: err = %v, want ErrSignature", err)
	}
	r = signedServerRequest(t, http.MethodGet, "https://apigateway.local/restapis/a%3Db", nil, nil, "apigateway", t0)
	if _, err := v.Verify(r, "apigateway"); err != nil {
		t.Errorf("apigateway, double-encoded path: %v", err)
	}
}

// --- 2: negative cases ----------------------------------------------------

func TestVerifyErrors(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	v := testVerifier(clock)
	body := []byte(`{"a":1}`)
	const target = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/%40connections/abc%3D?x=1&y=a%20b"
	hdr := http.Header{"X-Custom": {"value"}, "Content-Type": {"application/json"}}
	good := func() *http.Request {
		return signedServerRequest(t, http.MethodPost, target, body, hdr, "execute-api", t0)
	}
	if id, err := v.Verify(good(), "execute-api"); err != nil {
		t.Fatalf("good request: %v", err)
	} else if id != (Identity{AccessKeyID: testAKID, Name: testName, Region: "eu-west-1", Service: "execute-api"}) {
		t.Fatalf("identity %+v", id)
	}

	cases := []struct {
		name    string
		mutate  func(r *http.Request)
		service string
		want    error
	}{
		{"missing header", func(r *http.Request) { r.Header.Del("Authorization") }, "", ErrMissing},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, "", ErrIncomplete},
		{"no signature part", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, "", ErrIncomplete},
		{"missing X-Amz-Date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, "", ErrIncomplete},
		{"malformed X-Amz-Date", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-01-02T03:04:05Z") }, "", ErrIncomplete},
		{"malformed credential", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "", 1))
		}, "", ErrIncomplete},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAKID, "AKIDNOBODY", 1))
		}, "", ErrUnknownKey},
		{"tampered body", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"a":2}`)) }, "", ErrSignature},
		{"tampered path", func(r *http.Request) { r.URL, _ = url.Parse("/prod/%40connections/abd%3D?x=1&y=a%20b") }, "", ErrSignature},
		{"tampered query", func(r *http.Request) { r.URL.RawQuery = "x=2&y=a%20b" }, "", ErrSignature},
		{"tampered method", func(r *http.Request) { r.Method = http.MethodPut }, "", ErrSignature},
		{"tampered host", func(r *http.Request) { r.Host = "evil.example.com" }, "", ErrSignature},
		{"tampered signed header", func(r *http.Request) { r.Header.Set("X-Custom", "other") }, "", ErrSignature},
		{"signed header removed", func(r *http.Request) { r.Header.Del("X-Custom") }, "", ErrSignature},
		{"tampered signature", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
		}, "", ErrSignature},
		{"non-hex signature", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+"z")
		}, "", ErrIncomplete},
		{"signed headers changed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-custom", "", 1))
		}, "", ErrSignature},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
		}, "", ErrSignature},
		{"wrong payload hash header", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", sha([]byte("other")))
		}, "", ErrSignature},
		{"service mismatch", func(*http.Request) {}, "apigateway", ErrSignature},
		{"scope date mismatch", func(r *http.Request) {
			r.Header.Set("X-Amz-Date", t0.Add(-24*time.Hour).Format(amzDateFormat))
		}, "", ErrSignature},
		{"wrong terminator", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "aws4_request", "aws5_request", 1))
		}, "", ErrSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.mutate(r)
			service := tc.service
			if service == "" {
				service = "execute-api"
			}
			_, err := v.Verify(r, service)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			typ, msg := ErrorType(err)
			if typ == "" || msg == "" {
				t.Errorf("ErrorType(%v) = %q, %q", err, typ, msg)
			}
			t.Logf("%s: %s", typ, strings.SplitN(msg, "\n", 2)[0])
		})
	}

	t.Run("service mismatch message", func(t *testing.T) {
		_, err := v.Verify(good(), "apigateway")
		if _, msg := ErrorType(err); msg != "Credential should be scoped to correct service: 'apigateway'." {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("mismatch message carries canonical request", func(t *testing.T) {
		r := good()
		r.Header.Set("X-Custom", "other")
		_, err := v.Verify(r, "execute-api")
		_, msg := ErrorType(err)
		for _, want := range []string{msgSignature, "The Canonical String for this request should have been\n'POST\n/prod/%2540connections/abc%253D\nx=1&y=a%20b\n", "x-custom:other\n", "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260102T030405Z\n20260102/eu-west-1/execute-api/aws4_request\n"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	})
}

func TestClockSkew(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset time.Duration
		skew   time.Duration
		want   error
	}{
		{"20 minutes old", -20 * time.Minute, 0, ErrExpired},
		{"20 minutes ahead", 20 * time.Minute, 0, ErrExpired},
		{"14 minutes old", -14 * time.Minute, 0, nil},
		{"14 minutes ahead", 14 * time.Minute, 0, nil},
		{"20 minutes old, 30 minute skew", -20 * time.Minute, 30 * time.Minute, nil},
		{"2 minutes old, 1 minute skew", -2 * time.Minute, time.Minute, ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := clockwork.NewFakeClockAt(t0)
			v := testVerifier(clock)
			v.MaxSkew = tc.skew
			r := signedServerRequest(t, http.MethodGet, "https://h.example/prod/x", nil, nil, "execute-api", t0.Add(tc.offset))
			_, err := v.Verify(r, "execute-api")
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil {
				typ, msg := ErrorType(err)
				if typ != "InvalidSignatureException" || !strings.HasPrefix(msg, "Signature") {
					t.Errorf("ErrorType = %q, %q", typ, msg)
				}
				t.Log(msg)
			}
		})
	}
	// The message is AWS's.
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	r := signedServerRequest(t, http.MethodGet, "https://h.example/", nil, nil, "execute-api", t0.Add(-20*time.Minute))
	_, err := v.Verify(r, "execute-api")
	want := "Signature expired: 20260102T024405Z is now earlier than 20260102T024905Z (20260102T030405Z - 15 min.)"
	if _, msg := ErrorType(err); msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
}

// --- 3: body --------------------------------------------------------------

func TestBodyRestored(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	body := bytes.Repeat([]byte("0123456789abcdef"), 10000)
	r := signedServerRequest(t, http.MethodPut, "https://h.example/prod/upload", body, nil, "execute-api", t0)
	closed := false
	r.Body = &closeSpy{Reader: bytes.NewReader(body), closed: &closed}
	if _, err := v.Verify(r, "execute-api"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("body after Verify: %d bytes, err %v", len(got), err)
	}
	if err := r.Body.Close(); err != nil || !closed {
		t.Errorf("Close did not reach the original body (err %v)", err)
	}

	// Failed verification also leaves the body readable.
	r = signedServerRequest(t, http.MethodPut, "https://h.example/prod/upload", body, nil, "execute-api", t0)
	r.Body = io.NopCloser(bytes.NewReader([]byte("tampered")))
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := io.ReadAll(r.Body); string(got) != "tampered" {
		t.Errorf("body after failed Verify = %q", got)
	}
}

type closeSpy struct {
	*bytes.Reader
	closed *bool
}

func (c *closeSpy) Close() error { *c.closed = true; return nil }

func TestPayloadHashHeader(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	body := []byte("payload")
	// Signed hex digest that matches the body.
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", body,
		http.Header{"X-Amz-Content-Sha256": {sha(body)}}, "execute-api", t0)
	if _, err := v.Verify(r, "execute-api"); err != nil {
		t.Errorf("hex X-Amz-Content-Sha256: %v", err)
	}
	// UNSIGNED-PAYLOAD: the body is not read at all.
	creq, _ := http.NewRequest(http.MethodPost, "https://h.example/p", bytes.NewReader(body))
	creq.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		creq, "UNSIGNED-PAYLOAD", "execute-api", "us-east-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	r = serverRequest(creq, body)
	r.Body = io.NopCloser(errReader{})
	if _, err := v.Verify(r, "execute-api"); err != nil {
		t.Errorf("UNSIGNED-PAYLOAD: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("body must not be read") }

// Headers the SDK signer ignores (User-Agent, X-Amzn-Trace-Id, Expect) are
// verified when another signer listed them.
func TestIgnoredHeadersListed(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	creq, _ := http.NewRequest(http.MethodGet, "https://h.example/prod/x?q=1", nil)
	// Lower-case keys get past the SDK's ignore list, standing in for a
	// signer (curl --aws-sigv4, botocore) that signs them.
	creq.Header["user-agent"] = []string{"curl/8.0"}
	creq.Header["x-amzn-trace-id"] = []string{"Root=1-abc"}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		creq, emptySHA256, "execute-api", "us-east-1", t0); err != nil {
		t.Fatal(err)
	}
	if a := creq.Header.Get("Authorization"); !strings.Contains(a, "SignedHeaders=host;user-agent;x-amz-date;x-amzn-trace-id,") {
		t.Fatalf("setup: %s", a)
	}
	r := httptest.NewRequest(http.MethodGet, "/prod/x?q=1", nil)
	r.Host = "h.example"
	r.Header.Set("Authorization", creq.Header.Get("Authorization"))
	r.Header.Set("X-Amz-Date", creq.Header.Get("X-Amz-Date"))
	r.Header.Set("User-Agent", "curl/8.0")
	r.Header.Set("X-Amzn-Trace-Id", "Root=1-abc")
	if _, err := v.Verify(r, "execute-api"); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	r.Header.Set("User-Agent", "curl/8.1")
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered User-Agent: err = %v", err)
	}
}

// --- presigned URLs ---------------------------------------------------------

func TestPresigned(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	presign := func(t *testing.T, expires string) string {
		u := "https://abc.execute-api.us-east-1.amazonaws.com/prod/%40connections/abc%3D?foo=b%20ar"
		if expires != "" {
			u += "&X-Amz-Expires=" + expires
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptySHA256, "execute-api", "us-east-1", t0)
		if err != nil {
			t.Fatal(err)
		}
		return uri
	}
	serverReq := func(uri string) *http.Request {
		pu, _ := url.Parse(uri)
		r := httptest.NewRequest(http.MethodGet, pu.RequestURI(), nil)
		r.Host = pu.Host
		return r
	}

	uri := presign(t, "300")
	v := testVerifier(clockwork.NewFakeClockAt(t0.Add(4 * time.Minute)))
	id, err := v.Verify(serverReq(uri), "execute-api")
	if err != nil {
		t.Fatalf("presigned: %v", err)
	}
	if id.Name != testName || id.Region != "us-east-1" {
		t.Errorf("identity %+v", id)
	}

	late := testVerifier(clockwork.NewFakeClockAt(t0.Add(6 * time.Minute)))
	if _, err := late.Verify(serverReq(uri), "execute-api"); !errors.Is(err, ErrExpired) {
		t.Errorf("expired presigned: err = %v", err)
	}
	if _, err := v.Verify(serverReq(strings.Replace(uri, "foo=b%20ar", "foo=bar", 1)), "execute-api"); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered presigned query: err = %v", err)
	}
	if _, err := v.Verify(serverReq(strings.Replace(uri, "X-Amz-Signature=", "X-Amz-Nothing=", 1)), "execute-api"); !errors.Is(err, ErrIncomplete) {
		t.Errorf("presigned without signature: err = %v", err)
	}
	if _, err := v.Verify(serverReq(uri), "apigateway"); !errors.Is(err, ErrSignature) {
		t.Errorf("presigned, wrong service: err = %v", err)
	}

	// Without X-Amz-Expires the usual skew applies.
	uri = presign(t, "")
	if _, err := v.Verify(serverReq(uri), "execute-api"); err != nil {
		t.Errorf("presigned without X-Amz-Expires: %v", err)
	}
	if _, err := testVerifier(clockwork.NewFakeClockAt(t0.Add(20*time.Minute))).Verify(serverReq(uri), "execute-api"); !errors.Is(err, ErrExpired) {
		t.Errorf("presigned without X-Amz-Expires, 20 min later: err = %v", err)
	}

	// Plain query strings are not presign attempts.
	r := httptest.NewRequest(http.MethodGet, "/prod/x?X-Amz-Foo=1&a=b", nil)
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrMissing) {
		t.Errorf("no auth: err = %v", err)
	}
}

// --- 4: ErrorType -------------------------------------------------------------

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err       error
		typ, msg  string
		msgPrefix bool
	}{
		{ErrMissing, "MissingAuthenticationTokenException", "Missing Authentication Token", false},
		{fmt.Errorf("wrapped: %w", ErrMissing), "MissingAuthenticationTokenException", "Missing Authentication Token", false},
		{ErrIncomplete, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter.", true},
		{fail(ErrIncomplete, "custom"), "IncompleteSignatureException", "custom", false},
		{ErrUnknownKey, "UnrecognizedClientException", "The security token included in the request is invalid.", false},
		{ErrSignature, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", true},
		{fmt.Errorf("ctx: %w", fail(ErrSignature, "detail")), "InvalidSignatureException", "detail", false},
		{ErrExpired, "InvalidSignatureException", "Signature expired", true},
		{fail(ErrExpired, "Signature expired: x"), "InvalidSignatureException", "Signature expired: x", false},
		{errors.New("other"), "", "other", false},
		{nil, "", "", false},
	} {
		typ, msg := ErrorType(tc.err)
		if typ != tc.typ || (tc.msgPrefix && !strings.HasPrefix(msg, tc.msg)) || (!tc.msgPrefix && msg != tc.msg) {
			t.Errorf("ErrorType(%v) = %q, %q; want %q, %q", tc.err, typ, msg, tc.typ, tc.msg)
		}
	}

	// Verify's errors: each wraps exactly its kind.
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	_, err := v.Verify(httptest.NewRequest(http.MethodGet, "/", nil), "execute-api")
	if !errors.Is(err, ErrMissing) || errors.Is(err, ErrSignature) {
		t.Errorf("err = %v", err)
	}
	if !strings.HasPrefix(err.Error(), "sigv4: ") {
		t.Errorf("Error() = %q", err.Error())
	}
}

// --- garbage never panics ---------------------------------------------------

var garbageAuth = []string{
	"AWS4-HMAC-SHA256",
	"AWS4-HMAC-SHA256 ",
	"AWS4-HMAC-SHA256Credential=x",
	"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
	"AWS4-HMAC-SHA256 Credential=A/B/C/D/E, SignedHeaders=host, Signature=00",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/r/execute-api/aws4_request, SignedHeaders=host, Signature=zz",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/r/execute-api/aws4_request, SignedHeaders=HOST, Signature=00",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/r/execute-api/aws4_request, SignedHeaders=host;;x, Signature=00",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102//execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/r/execute-api/aws4_request, SignedHeaders=content-length;host;transfer-encoding;x-amz-date, Signature=00",
	"AWS4-HMAC-SHA256 Credential=" + testAKID + "/2026/r/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
	"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=\x00",
	",,,,=,=,=",
	"Basic dXNlcjpwYXNz",
	"\xff\xfe",
}

func TestGarbageDoesNotPanic(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	for _, a := range garbageAuth {
		for _, date := range []string{"", "20260102T030405Z", "garbage", "20260102T030405"} {
			r := httptest.NewRequest(http.MethodPost, "/a%2Fb/%FF;x?%zz=1&a=%", strings.NewReader("x"))
			r.Header.Set("Authorization", a)
			if date != "" {
				r.Header.Set("X-Amz-Date", date)
			}
			r.Header.Set("Content-Length", "-5")
			if _, err := v.Verify(r, "execute-api"); err == nil {
				t.Errorf("Verify(%q, %q) succeeded", a, date)
			}
		}
	}
	// Nil and odd requests.
	if _, err := v.Verify(nil, "execute-api"); !errors.Is(err, ErrMissing) {
		t.Errorf("nil request: %v", err)
	}
	if _, err := v.Verify(&http.Request{URL: &url.URL{}}, "execute-api"); !errors.Is(err, ErrMissing) {
		t.Errorf("bare request: %v", err)
	}
	r := &http.Request{URL: &url.URL{Opaque: "*"}, Header: http.Header{"Authorization": {garbageAuth[5]}, "X-Amz-Date": {"20260102T030405Z"}}}
	if _, err := v.Verify(r, "execute-api"); err == nil {
		t.Error("opaque request verified")
	}
	for _, q := range []string{
		"X-Amz-Signature=00",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20260102%2Fr%2Fexecute-api%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=-1",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20260102%2Fr%2Fexecute-api%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=99999999999999999",
		"X-Amz-Algorithm=HMAC&X-Amz-Credential=a&X-Amz-Date=b&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20260102%2Fr%2Fexecute-api%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
	} {
		r := httptest.NewRequest(http.MethodGet, "/?"+q, nil)
		if _, err := v.Verify(r, "execute-api"); err == nil {
			t.Errorf("query %q verified", q)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, a := range garbageAuth {
		f.Add(a, "20260102T030405Z", "/p?q=1", "body")
	}
	f.Add("", "", "/?X-Amz-Signature=1&X-Amz-Credential=a/b/c/d/e", "")
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	f.Fuzz(func(t *testing.T, authz, date, target, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: http.MethodPost, URL: u, Host: "h", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
		r.Header["Authorization"] = []string{authz}
		r.Header["X-Amz-Date"] = []string{date}
		if _, err := v.Verify(r, "execute-api"); err == nil {
			t.Fatalf("garbage verified: %q %q %q", authz, date, target)
		}
		if got, _ := io.ReadAll(r.Body); string(got) != body {
			t.Fatalf("body changed: %q", got)
		}
	})
}

// --- 5: benchmark -----------------------------------------------------------

func BenchmarkVerify(b *testing.B) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	body := []byte(`{"action":"sendmessage","data":"hello world"}`)
	hdr := http.Header{"Content-Type": {"application/json"}}
	r := signedServerRequest(b, http.MethodPost, "https://abc.execute-api.us-east-1.amazonaws.com/prod/%40connections/abc%3D?a=1", body, hdr, "execute-api", t0)
	if _, err := v.Verify(r, "execute-api"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := v.Verify(r, "execute-api"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConcurrentVerify(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	v.Credentials = append(v.Credentials, Credential{AccessKeyID: testAKID + "2", SecretAccessKey: "s2", Identity: "second"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				akid, secret := testAKID, testSecret
				if (i+j)%2 == 0 {
					akid, secret = testAKID+"2", "s2"
				}
				body := []byte(fmt.Sprintf(`{"i":%d,"j":%d}`, i, j))
				creq, _ := http.NewRequest(http.MethodPost, "https://h.example/prod/%40connections/c"+strconv.Itoa(j), bytes.NewReader(body))
				err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
					creq, sha(body), "execute-api", []string{"us-east-1", "eu-west-1"}[j%2], t0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Verify(serverRequest(creq, body), "execute-api"); err != nil {
					t.Errorf("goroutine %d request %d: %v", i, j, err)
				}
			}
		}()
	}
	wg.Wait()
}
