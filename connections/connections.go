// Package connections is a client for the API Gateway Management API, the
// @connections callback API through which a WebSocket API's backend pushes
// messages to its clients (spec §8.3).
//
// It sends exactly what the AWS SDK for Go v2 apigatewaymanagementapi client
// sends: POST/GET/DELETE {endpoint}/@connections/{connectionId} with the id
// escaped by smithy-go's httpbinding (so "=" travels as "%3D"), the message
// as an application/octet-stream body, and a SigV4 signature for service
// "execute-api" made by the SDK's own signer with its default (double) path
// escaping. It exists because that SDK module is not available from the Go
// module proxy this project builds with; its API mirrors the SDK's so that
// swapping it for the SDK client is mechanical.
package connections

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
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// MaxMessageBytes is PostToConnection's payload limit (131,072 bytes).
const MaxMessageBytes = 128 << 10

// Client calls the @connections API of one WebSocket API stage.
type Client struct {
	// Endpoint is the stage's callback URL,
	// https://{api-id}.execute-api.{region}.amazonaws.com/{stage}.
	Endpoint string
	// Credentials sign every call; nil sends unsigned requests (which API
	// Gateway refuses with 403 — useful only to check exactly that).
	Credentials aws.CredentialsProvider
	Region      string
	// HTTP is the client to send with; default http.DefaultClient.
	HTTP *http.Client
	// Now is the signing clock; default time.Now.
	Now func() time.Time
	// Retryer, when set, retries what the AWS SDK retries (with
	// retry.NewStandard(): 429 LimitExceededException, 500, 502, 503,
	// 504 and connection errors, up to 3 attempts with jittered
	// exponential backoff), as real API Gateway answers under load. Nil
	// makes one attempt: checks judge the gateway's first answer.
	Retryer aws.Retryer
}

// Connection is GetConnection's answer.
type Connection struct {
	ConnectedAt  time.Time `json:"connectedAt"`
	LastActiveAt time.Time `json:"lastActiveAt"`
	Identity     Identity  `json:"identity"`
}

// Identity is the client that opened the connection.
type Identity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// Error is a non-2xx answer. Code is the error type without its
// "Exception" suffix, from x-amzn-ErrorType or the body, e.g. "Gone".
type Error struct {
	Status  int
	Code    string
	Message string
}

// HTTPStatusCode and ErrorCode make an Error look like the SDK's API
// errors to its retry package (retry.RetryableHTTPStatusCode and the
// throttle error codes).
func (e *Error) HTTPStatusCode() int { return e.Status }

// ErrorCode is the full error type, e.g. "LimitExceededException".
func (e *Error) ErrorCode() string {
	if e.Code == "" {
		return ""
	}
	return e.Code + "Exception"
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Code == "" {
		return fmt.Sprintf("@connections: %d: %s", e.Status, msg)
	}
	return fmt.Sprintf("@connections: %d %sException: %s", e.Status, e.Code, msg)
}

// StatusOf returns the HTTP status of a call's error (0 when err is not an
// answer from the API, e.g. a refused connection).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsGone reports a 410: the connection does not exist (any more, or yet).
// The status decides, not the body: AWS's 410 body may be empty (§8.3).
func IsGone(err error) bool { return StatusOf(err) == http.StatusGone }

// PostToConnection sends data to the client of connection id.
func (c *Client) PostToConnection(ctx context.Context, id string, data []byte) error {
	_, err := c.call(ctx, http.MethodPost, id, data)
	return err
}

// GetConnection describes connection id.
func (c *Client) GetConnection(ctx context.Context, id string) (*Connection, error) {
	body, err := c.call(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, err
	}
	var conn Connection
	if err := json.Unmarshal(body, &conn); err != nil {
		return nil, fmt.Errorf("@connections: GetConnection: %w (body %q)", err, truncate(body))
	}
	return &conn, nil
}

// DeleteConnection closes connection id.
func (c *Client) DeleteConnection(ctx context.Context, id string) error {
	_, err := c.call(ctx, http.MethodDelete, id, nil)
	return err
}

// URL is the address of connection id's resource.
func (c *Client) URL(id string) string {
	return strings.TrimSuffix(c.Endpoint, "/") + "/@connections/" + httpbinding.EscapePath(id, true)
}

// NewRequest builds a call the way the SDK does, signed when the client has
// credentials. Exposed so checks can alter a valid request (drop the
// signature, change the path's encoding) and send it themselves.
func (c *Client) NewRequest(ctx context.Context, method, id string, data []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL(id), bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("@connections: %w", err)
	}
	if data == nil {
		req.Body, req.ContentLength, req.GetBody = http.NoBody, 0, nil
	} else {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if c.Credentials == nil {
		return req, nil
	}
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("@connections: credentials: %w", err)
	}
	sum := sha256.Sum256(data)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", region, now().UTC()); err != nil {
		return nil, fmt.Errorf("@connections: sign: %w", err)
	}
	return req, nil
}

func (c *Client) call(ctx context.Context, method, id string, data []byte) ([]byte, error) {
	if id == "" {
		return nil, errors.New("@connections: a connection id is required")
	}
	if c.Retryer == nil {
		return c.attempt(ctx, method, id, data)
	}
	// Tokens as the SDK's retry middleware takes them: the first attempt's
	// success adds to the retry quota, a retry spends from it and a retry
	// that succeeds gives its cost back.
	release := c.Retryer.GetInitialToken()
	for attempt := 1; ; attempt++ {
		body, err := c.attempt(ctx, method, id, data)
		if release != nil {
			_ = release(err)
			release = nil
		}
		if err == nil || ctx.Err() != nil || attempt >= c.Retryer.MaxAttempts() || !c.Retryer.IsErrorRetryable(err) {
			return body, err
		}
		var tokenErr error
		if release, tokenErr = c.Retryer.GetRetryToken(ctx, err); tokenErr != nil {
			return body, err // the retry quota is spent
		}
		delay, delayErr := c.Retryer.RetryDelay(attempt, err)
		if delayErr != nil {
			return body, err
		}
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return body, err
		}
	}
}

// attempt sends one call.
func (c *Client) attempt(ctx context.Context, method, id string, data []byte) ([]byte, error) {
	req, err := c.NewRequest(ctx, method, id, data)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("@connections: %s %s: %w", method, id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("@connections: %s %s: reading the answer: %w", method, id, err)
	}
	if resp.StatusCode/100 == 2 {
		return body, nil
	}
	return nil, parseError(resp, body)
}

// parseError reads the error type the way the SDK's restjson deserializer
// does: the x-amzn-ErrorType header first, then the body's code/__type.
func parseError(resp *http.Response, body []byte) error {
	e := &Error{Status: resp.StatusCode}
	var doc struct {
		Message  string `json:"message"`
		MessageU string `json:"Message"`
		Code     string `json:"code"`
		Type     string `json:"__type"`
	}
	_ = json.Unmarshal(body, &doc) // a 410 may have no body at all
	e.Message = doc.Message
	if e.Message == "" {
		e.Message = doc.MessageU
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = doc.Code
	}
	if code == "" {
		code = doc.Type
	}
	code, _, _ = strings.Cut(code, ":") // "GoneException:http://internal.amazon.com/..."
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	e.Code = strings.TrimSuffix(code, "Exception")
	return e
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
