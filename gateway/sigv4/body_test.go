package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"

	"github.com/jonboulle/clockwork"
)

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A request that announces a 60 MiB body and sends 10 bytes must cost
// memory for the 10 bytes, not the announcement: otherwise anyone who
// knows a public key id can exhaust memory with header-only requests.
func TestDeclaredLengthReservesNothing(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", []byte("0123456789"), nil, "execute-api", t0)
	r.ContentLength = 60 << 20
	r.Header.Set("Content-Length", strconv.Itoa(60<<20))
	used := allocatedBy(func() { _, _ = v.Verify(r, "execute-api") })
	if used > 1<<20 {
		t.Fatalf("Verify allocated %d bytes for a 10-byte body announced as 60 MiB", used)
	}
}

func TestOversizedBodyIsAuthenticatedBeforeItsSize(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	v.MaxBodyBytes = 1000
	body := bytes.Repeat([]byte("x"), 1500)

	// Correctly signed: the size is the problem (the caller answers 413).
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", body, nil, "apigateway", t0)
	if _, err := v.Verify(r, "apigateway"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("signed 1,500-byte body over a 1,000-byte limit: %v, want ErrTooLarge", err)
	}
	if typ, _ := ErrorType(tooLargeError(1000)); typ != "PayloadTooLargeException" {
		t.Errorf("ErrorType = %q", typ)
	}

	// Signed with the wrong secret: the signature is the problem.
	r = serverRequest(clientRequest(t, http.MethodPost, "https://h.example/p", body, nil, "apigateway", t0, "wrong"), body)
	if _, err := v.Verify(r, "apigateway"); !errors.Is(err, ErrSignature) {
		t.Fatalf("badly signed oversized body: %v, want ErrSignature", err)
	}

	// Within the limit the body is kept and restored whole.
	small := bytes.Repeat([]byte("y"), 1000)
	r = signedServerRequest(t, http.MethodPost, "https://h.example/p", small, nil, "apigateway", t0)
	if _, err := v.Verify(r, "apigateway"); err != nil {
		t.Fatalf("1,000-byte body at a 1,000-byte limit: %v", err)
	}
	if got, _ := io.ReadAll(r.Body); !bytes.Equal(got, small) {
		t.Fatalf("restored %d bytes, want %d", len(got), len(small))
	}
}

// A body longer than MaxBodyBytes + HashSlack is refused without reading
// it all: its announced length is enough, and a chunked one stops at the
// slack.
func TestBodyBeyondTheSlackIsRefusedUnread(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	v.MaxBodyBytes = 10
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", []byte("small"), nil, "execute-api", t0)
	r.ContentLength = 10 + HashSlack + 1
	r.Body = io.NopCloser(errReader{})
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("announced length past the slack: %v, want ErrTooLarge", err)
	}

	endless := &countingReader{}
	r = signedServerRequest(t, http.MethodPost, "https://h.example/p", []byte("small"), nil, "execute-api", t0)
	r.ContentLength = -1
	r.Header.Del("Content-Length")
	r.Body = io.NopCloser(endless)
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("endless chunked body: %v, want ErrTooLarge", err)
	}
	if endless.n > 10+1+HashSlack {
		t.Fatalf("read %d bytes of an endless body, want at most limit + 1 + HashSlack", endless.n)
	}
}

// countingReader is an endless body of zeros that counts what is read.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	clear(p)
	c.n += int64(len(p))
	return len(p), nil
}

// Nothing about the body is read before the claimed credential is known:
// an unsigned or unknown-key request never reaches the body.
func TestBodyUnreadUntilTheKeyIsKnown(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", []byte("abc"), nil, "execute-api", t0)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=UNKNOWN/20260102/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	r.Body = io.NopCloser(errReader{})
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	r.Header.Del("Authorization")
	if _, err := v.Verify(r, "execute-api"); !errors.Is(err, ErrMissing) {
		t.Fatalf("unsigned: %v", err)
	}
}

// A body that cannot be read (its deadline passed, the client went away)
// is not a bad signature: the signature could not be checked at all.
func TestUnreadableBodyIsErrBody(t *testing.T) {
	v := testVerifier(clockwork.NewFakeClockAt(t0))
	r := signedServerRequest(t, http.MethodPost, "https://h.example/p", []byte("abc"), nil, "execute-api", t0)
	r.Body = io.NopCloser(errReader{})
	_, err := v.Verify(r, "execute-api")
	if !errors.Is(err, ErrBody) || errors.Is(err, ErrSignature) {
		t.Fatalf("unreadable body: %v, want ErrBody", err)
	}
	if typ, _ := ErrorType(err); typ != "BadRequestException" {
		t.Errorf("ErrorType = %q", typ)
	}
}
