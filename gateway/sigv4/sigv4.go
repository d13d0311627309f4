// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// the way Amazon API Gateway does for its management API (service
// "apigateway"), IAM-authorised invocations and cache invalidation
// (service "execute-api") and the WebSocket @connections callback API
// (service "execute-api").
//
// Signatures are recomputed with the AWS SDK for Go v2 signer
// (github.com/aws/aws-sdk-go-v2/aws/signer/v4); this package never builds the
// canonical request itself. It rebuilds a request that carries only the
// headers the client listed in SignedHeaders, signs it with the secret key of
// the claimed access key, and compares the signatures in constant time.
//
// # Path escaping
//
// SigV4 for every service except S3 URI-encodes the already-encoded path a
// second time in the canonical request ("/%40connections/abc%3D" becomes
// "/%2540connections/abc%253D"); the SDK signer does so unless
// SignerOptions.DisableURIPathEscaping is set, and every Go SDK v2 client
// except S3, including apigateway and apigatewaymanagementapi, signs with the
// default (double encoding). It is also what recent execute-api
// InvalidSignatureException messages quoted in public SDK bug reports show
// as "The Canonical String for this request should have been" for
// @connections calls (older reports, from 2019, show a single encoding).
// Some third-party signers
// (aws4's doNotEncodePath, early SDKs for the @connections API) encode the
// path only once. For service "execute-api" the verifier therefore accepts a
// signature computed either way: it tries the standard double encoding first
// and, only when the path contains characters that the second encoding
// changes, the single encoding. Other services accept only the standard
// double encoding.
//
// # Headers the SDK signer will not sign
//
// The SDK signer skips User-Agent, X-Amzn-Trace-Id, Expect,
// Transfer-Encoding and Authorization when they are stored under their
// canonical key in http.Header. Requests from other signers (curl
// --aws-sigv4, botocore, ...) may list some of them; the verifier stores
// listed headers under their lower-case key, which the SDK's ignore list does
// not match, so they are signed like any other header. Content-Length is
// taken from the request's ContentLength by the signer and is only signed
// when positive: a request that signed "content-length:0" cannot be verified.
// X-Amz-Date must be used (and signed); the legacy Date header is not
// supported.
package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
	"github.com/jonboulle/clockwork"
)

// Credential maps an access key id to its secret access key and the identity
// name reported for it.
type Credential struct{ AccessKeyID, SecretAccessKey, Identity string }

// Verifier checks SigV4 signatures against a fixed set of credentials. The
// zero value uses the real clock and AWS's 15 minute skew; a Verifier is safe
// for concurrent use as long as its fields are not modified.
type Verifier struct {
	Credentials []Credential
	Clock       clockwork.Clock // default real clock
	MaxSkew     time.Duration   // default 15 * time.Minute, as AWS
	// MaxBodyBytes is the largest body Verify keeps for the handler
	// (default DefaultMaxBodyBytes). A longer body is still hashed, not
	// kept, up to HashSlack bytes more, so that the signature is checked
	// before the size: a correctly signed request then fails with
	// ErrTooLarge, a badly signed one with ErrSignature.
	MaxBodyBytes int64
}

// DefaultMaxBodyBytes is API Gateway's 10 MB request payload limit.
const DefaultMaxBodyBytes = 10 << 20

// HashSlack is how far past MaxBodyBytes a body is still hashed to
// authenticate it; a longer one gets ErrTooLarge unauthenticated.
const HashSlack = 16 << 20

// hashChunk bounds the buffer reserved before the first byte of a body
// arrives: it grows with what is received, never with what a
// Content-Length header announces.
const hashChunk = 4 << 10

// Identity is who signed a request.
type Identity struct{ AccessKeyID, Name, Region, Service string }

// Error kinds, mapped by the caller to AWS responses (all 403). Errors
// returned by Verify wrap exactly one of them; ErrorType gives the AWS error
// type and message.
var (
	// ErrMissing: no Authorization header and no presigned query
	// (MissingAuthenticationTokenException "Missing Authentication Token").
	ErrMissing = errors.New("sigv4: missing authentication token")
	// ErrIncomplete: Authorization present but not a parseable
	// AWS4-HMAC-SHA256 header, or a presigned query lacking parameters
	// (IncompleteSignatureException).
	ErrIncomplete = errors.New("sigv4: incomplete signature")
	// ErrUnknownKey: the access key is not known (UnrecognizedClientException
	// "The security token included in the request is invalid.").
	ErrUnknownKey = errors.New("sigv4: unrecognized access key")
	// ErrSignature: the signature or its scope does not match
	// (InvalidSignatureException).
	ErrSignature = errors.New("sigv4: signature does not match")
	// ErrExpired: X-Amz-Date is outside MaxSkew, or a presigned URL has
	// expired (InvalidSignatureException "Signature expired: ...").
	ErrExpired = errors.New("sigv4: signature expired")
	// ErrTooLarge: the body is longer than MaxBodyBytes. The caller
	// answers 413. The signature was checked first unless the body was
	// longer still (HashSlack past the limit).
	ErrTooLarge = errors.New("sigv4: request body too large")
	// ErrBody: the body could not be read (the client went away, its body
	// deadline passed, a broken chunked encoding), so the signature could
	// not be checked. The caller answers 400 (BadRequestException).
	ErrBody = errors.New("sigv4: request body could not be read")
)

// Messages AWS uses.
const (
	msgMissing    = "Missing Authentication Token"
	msgUnknownKey = "The security token included in the request is invalid."
	msgSignature  = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// verifyError carries the AWS-facing message of a verification failure.
type verifyError struct {
	kind error
	msg  string
}

func (e *verifyError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *verifyError) Unwrap() error { return e.kind }

func fail(kind error, format string, args ...any) error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &verifyError{kind: kind, msg: msg}
}

// ErrorType returns the x-amzn-ErrorType and message AWS uses for err (e.g.
// "InvalidSignatureException"), for gateway responses. For an error that
// wraps none of the kinds it returns an empty type and err's text; for nil,
// two empty strings.
func ErrorType(err error) (errorType, message string) {
	if err == nil {
		return "", ""
	}
	var msg string
	var ve *verifyError
	if errors.As(err, &ve) {
		msg = ve.msg
	}
	switch {
	case errors.Is(err, ErrMissing):
		return "MissingAuthenticationTokenException", msgMissing
	case errors.Is(err, ErrUnknownKey):
		return "UnrecognizedClientException", msgUnknownKey
	case errors.Is(err, ErrIncomplete):
		if msg == "" {
			msg = "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter."
		}
		return "IncompleteSignatureException", msg
	case errors.Is(err, ErrSignature):
		if msg == "" {
			msg = msgSignature
		}
		return "InvalidSignatureException", msg
	case errors.Is(err, ErrExpired):
		if msg == "" {
			msg = "Signature expired."
		}
		return "InvalidSignatureException", msg
	case errors.Is(err, ErrTooLarge):
		return "PayloadTooLargeException", msg
	case errors.Is(err, ErrBody):
		return "BadRequestException", msg
	}
	return "", err.Error()
}

const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	terminator    = "aws4_request"
	maxPresignTTL = 7 * 24 * time.Hour

	// sha256 of the empty string.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var realClock = clockwork.NewRealClock()

// auth is what a request claims about its signature.
type auth struct {
	presigned     bool
	query         url.Values // presigned only
	akid          string
	scopeDate     string
	region        string
	service       string
	term          string
	signedHeaders string
	signature     string
	amzDate       string
	t             time.Time
	expires       time.Duration // presigned only; 0 when absent
}

// Verify checks r's signature for the given service (e.g. "execute-api").
// Everything but the body is checked first. It reads r.Body when the
// payload hash has to be computed, in bounded chunks up to MaxBodyBytes,
// and restores it with the same bytes, so the body stays readable. It
// returns the signer's identity, or an error wrapping one of the Err kinds
// with the message AWS would give (see ErrorType).
func (v *Verifier) Verify(r *http.Request, service string) (Identity, error) {
	if r == nil || r.URL == nil {
		return Identity{}, fail(ErrMissing, msgMissing)
	}
	a, err := parseRequest(r)
	if err != nil {
		return Identity{}, err
	}

	cred, ok := v.lookup(a.akid)
	if !ok {
		return Identity{}, fail(ErrUnknownKey, msgUnknownKey)
	}

	if err := a.checkScope(service); err != nil {
		return Identity{}, err
	}
	if err := v.checkTime(a); err != nil {
		return Identity{}, err
	}

	payloadHash, tooLarge, err := payloadHash(r, a, v.maxBody())
	if err != nil {
		return Identity{}, err
	}

	id := Identity{AccessKeyID: cred.AccessKeyID, Name: cred.Identity, Region: a.region, Service: a.service}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, Source: "sigv4.Verifier"}
	signer := signerFor(cred)

	sig, signedHeaders, err := recompute(r, a, signer, creds, payloadHash, false, nil)
	if err != nil {
		return Identity{}, err
	}
	authentic := match(a, sig, signedHeaders)
	// Single-encoded canonical path, as some execute-api clients sign it.
	if !authentic && a.service == "execute-api" && escapingChangesPath(r.URL.EscapedPath()) {
		sig2, signedHeaders2, err := recompute(r, a, signer, creds, payloadHash, true, nil)
		authentic = err == nil && match(a, sig2, signedHeaders2)
	}
	switch {
	case !authentic:
		return Identity{}, mismatch(r, a, signer, creds, payloadHash, signedHeaders)
	case tooLarge:
		return Identity{}, tooLargeError(v.maxBody())
	}
	return id, nil
}

func (v *Verifier) maxBody() int64 {
	if v.MaxBodyBytes > 0 {
		return v.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

func tooLargeError(limit int64) error {
	return fail(ErrTooLarge, "Request body exceeds the maximum allowed size of %d bytes.", limit)
}

func match(a *auth, sig, signedHeaders string) bool {
	sigOK := subtle.ConstantTimeCompare([]byte(sig), []byte(a.signature)) == 1
	return sigOK && signedHeaders == a.signedHeaders
}

func (v *Verifier) lookup(akid string) (Credential, bool) {
	for _, c := range v.Credentials {
		if c.AccessKeyID == akid && akid != "" {
			return c, true
		}
	}
	return Credential{}, false
}

// parseRequest extracts the claimed signature from the Authorization header
// or, failing that, from presigned query parameters.
func parseRequest(r *http.Request) (*auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	if r.URL.RawQuery == "" || !strings.Contains(r.URL.RawQuery, "X-Amz-") {
		return nil, fail(ErrMissing, msgMissing)
	}
	q := r.URL.Query()
	if !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential") && !q.Has("X-Amz-Algorithm") {
		return nil, fail(ErrMissing, msgMissing)
	}
	return parseQuery(q)
}

func parseHeader(r *http.Request, h string) (*auth, error) {
	a := &auth{}
	var credential string
	var haveCred, haveSigned, haveSig bool
	rest, isV4 := strings.CutPrefix(h, algorithm)
	if isV4 && rest != "" && rest[0] != ' ' {
		isV4 = false
	}
	if isV4 {
		for rest != "" {
			var part string
			part, rest, _ = strings.Cut(rest, ",")
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential, haveCred = val, true
			case "SignedHeaders":
				a.signedHeaders, haveSigned = val, true
			case "Signature":
				a.signature, haveSig = val, true
			}
		}
	}
	a.amzDate = r.Header.Get("X-Amz-Date")

	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if a.amzDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, fail(ErrIncomplete, "%s Authorization=%s", strings.Join(missing, " "), h)
	}
	if err := a.parseCredential(credential); err != nil {
		return nil, err
	}
	if err := a.parseCommon(); err != nil {
		return nil, err
	}
	if r.Header.Get("X-Amz-Date") != "" && !hasSignedHeader(a.signedHeaders, "x-amz-date") {
		// The SDK signer always signs X-Amz-Date; AWS requires it too
		// when it carries the signing time.
		return nil, fail(ErrSignature, "%s (X-Amz-Date must be a signed header)", msgSignature)
	}
	return a, nil
}

func parseQuery(q url.Values) (*auth, error) {
	a := &auth{presigned: true, query: q}
	alg := q.Get("X-Amz-Algorithm")
	credential := q.Get("X-Amz-Credential")
	a.signature = q.Get("X-Amz-Signature")
	a.signedHeaders = q.Get("X-Amz-SignedHeaders")
	a.amzDate = q.Get("X-Amz-Date")
	if alg == "" || credential == "" || a.signature == "" || a.signedHeaders == "" || a.amzDate == "" {
		return nil, fail(ErrIncomplete, "AWS query-string parameters must include 'X-Amz-Algorithm', "+
			"'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. "+
			"Re-examine the query-string parameters.")
	}
	if alg != algorithm {
		return nil, fail(ErrIncomplete, "Unsupported AWS 'algorithm': '%s'", alg)
	}
	if e := q.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n <= 0 || time.Duration(n)*time.Second > maxPresignTTL {
			return nil, fail(ErrIncomplete, "X-Amz-Expires must be an integer number of seconds between 1 and 604800, not '%s'.", e)
		}
		a.expires = time.Duration(n) * time.Second
	}
	if err := a.parseCredential(credential); err != nil {
		return nil, err
	}
	if err := a.parseCommon(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *auth) parseCredential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[0] == "" {
		return fail(ErrIncomplete, "Credential should be of the form "+
			"'<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request', not '%s'.", c)
	}
	a.akid, a.scopeDate, a.region, a.service, a.term = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func (a *auth) parseCommon() error {
	t, err := time.Parse(amzDateFormat, a.amzDate)
	if err != nil || t.Format(amzDateFormat) != a.amzDate {
		return fail(ErrIncomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. "+
			"See http://en.wikipedia.org/wiki/ISO_8601", a.amzDate)
	}
	a.t = t
	if a.signedHeaders == "" || !validSignedHeaders(a.signedHeaders) {
		return fail(ErrIncomplete, "SignedHeaders must be a ';'-separated list of lower-case header names, not '%s'.", a.signedHeaders)
	}
	if !isHex(a.signature) {
		return fail(ErrIncomplete, "Signature must be a hex-encoded SHA-256 HMAC, not '%s'.", a.signature)
	}
	return nil
}

func (a *auth) checkScope(service string) error {
	if a.term != terminator {
		return fail(ErrSignature, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", a.term)
	}
	if a.service != service {
		return fail(ErrSignature, "Credential should be scoped to correct service: '%s'.", service)
	}
	if a.region == "" {
		return fail(ErrSignature, "Credential should be scoped to a valid region.")
	}
	if a.scopeDate != a.amzDate[:8] {
		return fail(ErrSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.scopeDate, a.amzDate[:8], a.amzDate)
	}
	if !hasSignedHeader(a.signedHeaders, "host") {
		return fail(ErrSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

func (v *Verifier) checkTime(a *auth) error {
	clock := v.Clock
	if clock == nil {
		clock = realClock
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = 15 * time.Minute
	}
	now := clock.Now().UTC()
	nowS := now.Format(amzDateFormat)
	if a.t.After(now.Add(skew)) {
		return fail(ErrExpired, "Signature not yet current: %s is still later than %s (%s + %s.)",
			a.amzDate, now.Add(skew).Format(amzDateFormat), nowS, skewString(skew))
	}
	if a.presigned && a.expires > 0 {
		if now.After(a.t.Add(a.expires)) {
			return fail(ErrExpired, "Signature expired: %s is now earlier than %s (%s - %s.)",
				a.t.Add(a.expires).Format(amzDateFormat), nowS, nowS, "X-Amz-Expires")
		}
		return nil
	}
	if a.t.Before(now.Add(-skew)) {
		return fail(ErrExpired, "Signature expired: %s is now earlier than %s (%s - %s.)",
			a.amzDate, now.Add(-skew).Format(amzDateFormat), nowS, skewString(skew))
	}
	return nil
}

func skewString(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

// payloadHash returns the payload hash the client signed: the
// X-Amz-Content-Sha256 value when present (checked against the body when it
// is a hex digest), else the SHA-256 of the body. The body is restored when
// it is within limit; tooLarge reports one over it (hashed, not kept).
func payloadHash(r *http.Request, a *auth, limit int64) (hash string, tooLarge bool, err error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" && a.presigned {
		declared = a.query.Get("X-Amz-Content-Sha256")
	}
	if declared != "" && !(len(declared) == 64 && isHex(declared)) {
		// UNSIGNED-PAYLOAD, STREAMING-...: signed as is; the body is left
		// for the handler, which bounds its own reads.
		return declared, false, nil
	}
	sum, tooLarge, err := hashBody(r, limit)
	if err != nil {
		return "", false, err
	}
	if declared != "" {
		if !strings.EqualFold(declared, sum) {
			return "", false, fail(ErrSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return declared, tooLarge, nil
	}
	return sum, tooLarge, nil
}

// hashBody hashes r's body as it arrives. It keeps at most limit bytes
// (restored into r.Body) and reserves memory only for bytes received,
// never for a declared Content-Length. A body over limit is hashed on,
// without being kept, for HashSlack more bytes (tooLarge); beyond that it
// fails with ErrTooLarge unauthenticated.
func hashBody(r *http.Request, limit int64) (sum string, tooLarge bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, false, nil
	}
	if r.ContentLength > limit+HashSlack {
		return "", false, tooLargeError(limit)
	}
	initial := int64(bytes.MinRead)
	if r.ContentLength > 0 {
		initial = min(r.ContentLength, limit, hashChunk) + bytes.MinRead // ReadFrom keeps MinRead free: a body within hashChunk never grows the buffer
	}
	buf := bytes.NewBuffer(make([]byte, 0, initial))
	h := sha256.New()
	n, err := buf.ReadFrom(io.TeeReader(io.LimitReader(r.Body, limit+1), h)) // hashed as it arrives
	if err != nil {
		return "", false, readError(err)
	}
	if n > limit {
		m, err := io.Copy(h, io.LimitReader(r.Body, HashSlack))
		if err != nil {
			return "", false, readError(err)
		}
		if m == HashSlack {
			return "", false, tooLargeError(limit)
		}
		return hex.EncodeToString(h.Sum(nil)), true, nil
	}
	r.Body = &restoredBody{Reader: bytes.NewReader(buf.Bytes()), orig: r.Body}
	return hex.EncodeToString(h.Sum(nil)), false, nil
}

// readError is a body that could not be read (the client went away, its
// body deadline passed, or its chunked encoding is broken).
func readError(err error) error {
	return fail(ErrBody, "The request body could not be read: %v", err)
}

// restoredBody replays the bytes read by Verify and closes the original body.
type restoredBody struct {
	*bytes.Reader
	orig io.ReadCloser
}

func (b *restoredBody) Close() error { return b.orig.Close() }

// recompute signs a copy of r that carries only the listed headers and
// returns the signature and signed-header list the SDK signer produced.
// When capture is non-nil the signer logs its canonical request into it.
func recompute(r *http.Request, a *auth, signer *v4.Signer, creds aws.Credentials, payloadHash string,
	disableEscaping bool, capture *captureLogger) (signature, signedHeaders string, err error) {
	u := *r.URL
	u.Scheme = "http"
	if r.TLS != nil {
		u.Scheme = "https"
	}
	u.Host = r.Host
	if a.presigned {
		q := make(url.Values, len(a.query))
		for k, vs := range a.query {
			if k != "X-Amz-Signature" {
				q[k] = vs
			}
		}
		u.RawQuery = q.Encode()
	}

	req := &http.Request{
		Method: r.Method,
		URL:    &u,
		Host:   r.Host,
		Header: make(http.Header, strings.Count(a.signedHeaders, ";")+1),
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	for name := range strings.SplitSeq(a.signedHeaders, ";") {
		switch name {
		case "host":
			continue
		case "content-length":
			req.ContentLength = contentLength(r)
			continue
		case "x-amz-date":
			if !a.presigned {
				continue // set by the signer from the signing time
			}
		}
		vals := r.Header.Values(name)
		if len(vals) == 0 {
			vals = r.Header[name]
		}
		if len(vals) == 0 && name == "transfer-encoding" && len(r.TransferEncoding) > 0 {
			vals = []string{strings.Join(r.TransferEncoding, ",")}
		}
		if len(vals) == 0 {
			continue // not sent: the signed-header lists will differ
		}
		// The lower-case key escapes the SDK's list of headers it refuses
		// to sign (User-Agent, X-Amzn-Trace-Id, ...); the signer
		// lower-cases keys for the canonical request anyway.
		req.Header[name] = vals
	}

	opts := func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = disableEscaping
		o.DisableHeaderHoisting = true
		if capture != nil {
			o.Logger = capture
			o.LogSigning = true
		}
	}
	ctx := r.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if a.presigned {
		uri, hdrs, err := signer.PresignHTTP(ctx, creds, req, payloadHash, a.service, a.region, a.t, opts)
		if err != nil {
			return "", "", fail(ErrSignature, "%s (%v)", msgSignature, err)
		}
		i := strings.LastIndex(uri, "X-Amz-Signature=")
		if i < 0 {
			return "", "", fail(ErrSignature, msgSignature)
		}
		names := make([]string, 0, len(hdrs))
		for k := range hdrs {
			names = append(names, strings.ToLower(k))
		}
		sort.Strings(names)
		return uri[i+len("X-Amz-Signature="):], strings.Join(names, ";"), nil
	}

	if err := signer.SignHTTP(ctx, creds, req, payloadHash, a.service, a.region, a.t, opts); err != nil {
		return "", "", fail(ErrSignature, "%s (%v)", msgSignature, err)
	}
	// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
	h := req.Header.Get("Authorization")
	i := strings.LastIndex(h, ", SignedHeaders=")
	j := strings.LastIndex(h, ", Signature=")
	if i < 0 || j < i {
		return "", "", fail(ErrSignature, msgSignature)
	}
	return h[j+len(", Signature="):], h[i+len(", SignedHeaders=") : j], nil
}

func contentLength(r *http.Request) int64 {
	if s := r.Header.Get("Content-Length"); s != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n
		}
	}
	if r.ContentLength > 0 {
		return r.ContentLength
	}
	return 0
}

// mismatch builds the InvalidSignatureException AWS returns, with the
// canonical request and string to sign (double-encoded path) the verifier
// expected.
func mismatch(r *http.Request, a *auth, signer *v4.Signer, creds aws.Credentials, payloadHash, gotSigned string) error {
	capture := &captureLogger{}
	_, _, _ = recompute(r, a, signer, creds, payloadHash, false, capture)
	var b strings.Builder
	b.WriteString(msgSignature)
	if gotSigned != a.signedHeaders {
		fmt.Fprintf(&b, " (SignedHeaders %q could not be reproduced from the request; got %q.)", a.signedHeaders, gotSigned)
	}
	if capture.canonical != "" {
		fmt.Fprintf(&b, "\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
			capture.canonical, capture.stringToSign)
	}
	return fail(ErrSignature, "%s", b.String())
}

// captureLogger receives the signer's canonical string and string to sign
// (its LogSigning output).
type captureLogger struct{ canonical, stringToSign string }

func (c *captureLogger) Logf(_ logging.Classification, _ string, v ...any) {
	if len(v) >= 2 {
		c.canonical, _ = v[0].(string)
		c.stringToSign, _ = v[1].(string)
	}
}

// The SDK signer caches one derived key per region/service and checks only
// the access key id, not the secret, so signers are kept per (id, secret).
var (
	signersMu sync.Mutex
	signers   = map[[2]string]*v4.Signer{}
)

const maxSigners = 1024

func signerFor(c Credential) *v4.Signer {
	key := [2]string{c.AccessKeyID, c.SecretAccessKey}
	signersMu.Lock()
	defer signersMu.Unlock()
	if s, ok := signers[key]; ok {
		return s
	}
	s := v4.NewSigner()
	if len(signers) >= maxSigners {
		clear(signers)
	}
	signers[key] = s
	return s
}

// escapingChangesPath reports whether the SDK's second URI encoding of the
// canonical path changes p, i.e. whether p holds anything but unreserved
// characters and '/'.
func escapingChangesPath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			return true
		}
	}
	return false
}

func hasSignedHeader(list, name string) bool {
	for h := range strings.SplitSeq(list, ";") {
		if h == name {
			return true
		}
	}
	return false
}

func validSignedHeaders(list string) bool {
	for h := range strings.SplitSeq(list, ";") {
		if h == "" {
			return false
		}
		for i := 0; i < len(h); i++ {
			c := h[i]
			if c <= ' ' || c >= 0x7f || c == ':' || (c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
