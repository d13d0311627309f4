package runner_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/serving"
)

// signedHead returns the request line and headers of a request signed with
// the emulator's credential that announces a body of n bytes (hashed as
// empty: the server must read the body to find out it is not).
func signedHead(t *testing.T, method, rawURL, service string, n int) string {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(n)
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: gateway.DefaultCredential.AccessKeyID, SecretAccessKey: gateway.DefaultCredential.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, req.URL.RequestURI(), req.URL.Host, n)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	return b.String() + "\r\n"
}

// Every server the embedded run starts has a body deadline: a client that
// announces a 1,000,000-byte body and sends none is cut off at the
// deadline, whichever server it holds (before, it held the connection for
// as long as it liked). The requests are ones each server must read the
// body of (signed ones for the SigV4-verified APIs).
func TestEveryEmbeddedServerCutsOffASlowBody(t *testing.T) {
	const deadline = 500 * time.Millisecond
	limits := map[serving.Kind]serving.Limits{}
	for _, k := range []serving.Kind{serving.REST, serving.Management, serving.WebSocket, serving.Fixture} {
		l := serving.Defaults(k)
		l.BodyTimeout = deadline
		limits[k] = l
	}
	e, err := runner.StartEmbeddedWith(runner.EmbeddedOptions{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ws := "http" + strings.TrimPrefix(e.WebSocketURL, "ws")
	// Each answers 400 once its body deadline has passed: a body it
	// could not read.
	for _, tc := range []struct{ server, head string }{
		{"REST API", "POST /test/echo HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"},
		{"management API", signedHead(t, http.MethodPatch, e.ManagementURL+"/usageplans/x/keys/y/usage", "apigateway", 1000000)},
		{"WebSocket @connections", signedHead(t, http.MethodPost, ws+"/ws/@connections/"+url.PathEscape("abc="), "execute-api", 100000)},
		{"fixture", "POST /echo HTTP/1.1\r\nHost: fx\r\nContent-Length: 1000000\r\n\r\n"},
	} {
		u := map[string]string{"REST API": e.GatewayURL, "management API": e.ManagementURL, "WebSocket @connections": ws, "fixture": e.FixtureURL}[tc.server]
		conn, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetDeadline(start.Add(10 * time.Second)) // the test's own bound
		if _, err := conn.Write([]byte(tc.head)); err != nil {
			t.Fatal(err)
		}
		status := "closed without an answer"
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
			status = resp.Status
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %s, want 400 for a body that could not be read", tc.server, status)
			}
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: still holding the connection after 10 s", tc.server)
		} else {
			t.Errorf("%s: closed without an answer, want 400", tc.server)
		}
		took := time.Since(start)
		conn.Close()
		if took < deadline-50*time.Millisecond || took > deadline+3*time.Second {
			t.Errorf("%s: %s after %v, want the cut-off at the %v body deadline", tc.server, status, took, deadline)
		}
		t.Logf("%s: %s after %v", tc.server, status, took.Round(time.Millisecond))
	}
}
