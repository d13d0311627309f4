package hostile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedRequest is a request signed with the emulator's credential by
// the AWS SDK's SigV4 signer, then written raw.
type signedRequest struct {
	method, addr, path, query string
	body                      []byte
	service                   string
	// headerOnly, when positive, is the Content-Length announced while
	// no body is sent at all.
	headerOnly int64
	// at is the signing time (default now).
	at time.Time
	// sendPath, when set, is the path written instead of the signed one.
	sendPath string
}

// raw signs s and returns the request as written on the wire.
func (s signedRequest) raw(env *Env) string {
	u := &url.URL{Scheme: "http", Host: s.addr, Path: s.path, RawQuery: s.query}
	req, err := http.NewRequest(s.method, u.String(), nil)
	if err != nil {
		return "BAD-REQUEST " + err.Error() + "\r\n\r\n" // a probe bug shows as a 400
	}
	req.ContentLength = int64(len(s.body))
	if s.headerOnly > 0 {
		req.ContentLength = s.headerOnly
	}
	sum := sha256.Sum256(s.body)
	at := s.at
	if at.IsZero() {
		at = time.Now()
	}
	_ = v4.NewSigner().SignHTTP(context.Background(), env.Credentials, req, hex.EncodeToString(sum[:]), s.service, env.Region, at)
	target := u.RequestURI()
	if s.sendPath != "" {
		target = s.sendPath
	}
	var b strings.Builder
	b.WriteString(s.method + " " + target + " HTTP/1.1\r\nHost: " + s.addr + "\r\n")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range req.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range req.Header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if req.ContentLength > 0 || s.method == "POST" || s.method == "PATCH" || s.method == "PUT" {
		b.WriteString("Content-Length: " + strconv.FormatInt(req.ContentLength, 10) + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if s.headerOnly <= 0 {
		b.Write(s.body)
	}
	return b.String()
}

// amzDate formats t as X-Amz-Date does.
func amzDate(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// authorization is an AWS4-HMAC-SHA256 Authorization header value.
func authorization(credential, signedHeaders, signature string) string {
	return "AWS4-HMAC-SHA256 Credential=" + credential + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
}

var zeroSignature = strings.Repeat("0", 64)
