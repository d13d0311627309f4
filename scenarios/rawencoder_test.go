package scenarios

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Raw results are shared like reports: a password in the target URL, or a
// session token a signed call's error body echoes, must not be in them.
func TestRawResultsAreRedacted(t *testing.T) {
	const token = "FQoGZXIvYXdzEXAMPLETOKEN0123456789abcdef"
	var buf bytes.Buffer
	enc := NewRawEncoder(&buf)
	in := &vegeta.Result{
		URL:     "http://user:s3cretPassw0rd@127.0.0.1:8080/test/inspect",
		Code:    403,
		Error:   "403 Forbidden",
		Body:    []byte("The Canonical String for this request should have been\n'POST\n/ws\n\nhost:h\nx-amz-security-token:" + token + "\n'"),
		Headers: http.Header{"X-Api-Key": {"k3yValue0123456789"}},
	}
	if err := enc(in); err != nil {
		t.Fatal(err)
	}
	var out vegeta.Result
	if err := vegeta.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cretPassw0rd", token, "k3yValue0123456789"} {
		if strings.Contains(out.URL+string(out.Body)+strings.Join(out.Headers["X-Api-Key"], ""), secret) {
			t.Errorf("raw result keeps %q: %+v", secret, out)
		}
	}
	if out.Code != 403 || !strings.Contains(out.URL, "127.0.0.1:8080/test/inspect") || in.URL == out.URL {
		t.Errorf("the result is not otherwise intact: %+v", out)
	}
}
