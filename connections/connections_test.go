package connections_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gatecheck/gatecheck/connections"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
)

var cred = sigv4.Credential{AccessKeyID: "AKIACONNECTIONSTEST1", SecretAccessKey: "secret", Identity: "test"}

// server verifies every call with the gateway's SigV4 verifier and records
// the raw path and body it saw.
func server(t *testing.T, status int, header http.Header, body string) (*httptest.Server, *[]string) {
	t.Helper()
	v := &sigv4.Verifier{Credentials: []sigv4.Credential{cred}}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r, "execute-api"); err != nil {
			w.Header().Set("X-Amzn-ErrorType", "ForbiddenException")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Forbidden"}`)
			return
		}
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+r.Header.Get("Content-Type")+" "+string(b))
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func client(url string) *connections.Client {
	return &connections.Client{
		Endpoint:    url + "/ws",
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		Region:      "us-east-1",
	}
}

func TestPostIsSignedAndEscapedLikeTheSDK(t *testing.T) {
	srv, seen := server(t, http.StatusOK, nil, "")
	if err := client(srv.URL).PostToConnection(context.Background(), "L0SM9cOFvHcCIhw=", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	want := "POST /ws/@connections/L0SM9cOFvHcCIhw%3D application/octet-stream hi"
	if len(*seen) != 1 || (*seen)[0] != want {
		t.Fatalf("server saw %q, want %q", *seen, want)
	}
}

func TestGetParsesTheConnection(t *testing.T) {
	srv, _ := server(t, http.StatusOK, nil, `{"connectedAt":"2026-11-25T10:00:00.123Z","identity":{"sourceIp":"127.0.0.1","userAgent":"ua"},"lastActiveAt":"2026-11-25T10:00:01.000Z"}`)
	c, err := client(srv.URL).GetConnection(context.Background(), "abc=")
	if err != nil {
		t.Fatal(err)
	}
	if c.Identity.SourceIP != "127.0.0.1" || c.Identity.UserAgent != "ua" || !c.ConnectedAt.Equal(time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)) {
		t.Fatalf("parsed %+v", c)
	}
}

func TestErrorsKeepStatusAndType(t *testing.T) {
	srv, _ := server(t, http.StatusGone, http.Header{"X-Amzn-Errortype": {"GoneException"}}, "")
	err := client(srv.URL).DeleteConnection(context.Background(), "abc=")
	if !connections.IsGone(err) {
		t.Fatalf("err = %v, want a 410", err)
	}
	if e, ok := err.(*connections.Error); !ok || e.Code != "Gone" {
		t.Fatalf("err = %#v, want code Gone", err)
	}
}

func TestUnsignedIsRefused(t *testing.T) {
	srv, seen := server(t, http.StatusOK, nil, "")
	c := client(srv.URL)
	c.Credentials = nil
	err := c.PostToConnection(context.Background(), "abc=", []byte("x"))
	if connections.StatusOf(err) != http.StatusForbidden || len(*seen) != 0 {
		t.Fatalf("unsigned call: err %v, server saw %q", err, *seen)
	}
}
