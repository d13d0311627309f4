package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatecheck/gatecheck/fixtures/backend"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
)

// NeedFixtureCounters marks a check that reads the fixture's invocation
// counters (target.fixtureURL).
const NeedFixtureCounters = "fixture-counters"

// NeedRoute returns the Needs entry for a fixture role.
func NeedRoute(role string) string { return "route:" + role }

// Target is the gateway under test as the checks see it.
type Target struct {
	Profile *profile.Profile
	HTTP    *http.Client
	Fixture *backend.Client // nil when the profile gives no fixtureURL
	// ArtifactsDir, when set, is where checks keep raw results.
	ArtifactsDir string
	// ReportDir, when set, is where the reports go: the report names
	// artifacts by their path relative to it (ArtifactRef).
	ReportDir string
	aws       awsClients
}

// NewTarget builds the HTTP clients for a validated profile, and registers
// the profile's secrets for redaction.
func NewTarget(p *profile.Profile) *Target {
	for _, s := range p.Secrets() {
		redact.Register(s)
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback targets must not go through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}
	hc := NewClient(tr, p.Waits.Request)
	t := &Target{Profile: p, HTTP: hc}
	if p.Target.FixtureURL != "" {
		t.Fixture = &backend.Client{BaseURL: p.Target.FixtureURL, HTTP: hc}
	}
	return t
}

// NewClient is the HTTP client every check uses: it never follows a
// redirect (a check judges the gateway's own answer, and a redirect could
// take its requests off the target), and each request ends within timeout.
func NewClient(tr http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Close releases idle connections.
func (t *Target) Close() { t.HTTP.CloseIdleConnections() }

// Unmet returns why c cannot run against this target, or "".
func (t *Target) Unmet(c Check) string {
	p := t.Profile
	if !p.Supports(c.Feature) {
		return fmt.Sprintf("profile %q does not claim feature %q", p.Name, c.Feature)
	}
	for _, need := range c.Needs {
		switch {
		case need == NeedFixtureCounters:
			if t.Fixture == nil {
				return "needs the fixture's invocation counters; set target.fixtureURL in the profile"
			}
		case need == NeedMetrics:
			if p.Target.MetricsURL == "" {
				return "needs the gateway's metrics; set target.metricsURL (Prometheus text format)"
			}
		case need == NeedManagement:
			if !p.Target.HasManagement() {
				return "needs control actions through the API Gateway management API; set target.credentials (and target.managementURL for an emulator)"
			}
		case need == NeedWebSocket || need == NeedWebSocketNoDefault || need == NeedCallbacks:
			if msg := t.unmetWebSocket(need); msg != "" {
				return msg
			}
		case strings.HasPrefix(need, "route:"):
			if _, ok := p.Route(strings.TrimPrefix(need, "route:")); !ok {
				return fmt.Sprintf("needs a route for fixture role %q; add routes.%s to the profile", strings.TrimPrefix(need, "route:"), strings.TrimPrefix(need, "route:"))
			}
		}
	}
	return ""
}

// StageURL is {restURL}/{stage}{path}.
func (t *Target) StageURL(stage, path string) string {
	return strings.TrimSuffix(t.Profile.Target.RestURL, "/") + "/" + stage + path
}

// URL is the URL of a fixture role on the profile's stage, with {name}
// placeholders replaced by the name/value pairs in params.
func (t *Target) URL(role string, params ...string) string {
	path, _ := t.Profile.Route(role)
	for i := 0; i+1 < len(params); i += 2 {
		path = strings.Replace(path, "{"+params[i]+"}", params[i+1], 1)
	}
	return t.StageURL(t.Profile.Target.Stage, path)
}

// Request is one call to the target.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   io.Reader // nil: no body
	// ContentLength: -1 sends Body chunked; 0 with a Body means "from Body"
	// for *bytes.Reader and friends, as in net/http.
	ContentLength int64
	// Sign adds a SigV4 signature (service execute-api) with the profile's
	// credentials, as an IAM-authorised caller would.
	Sign bool
}

// Response is a buffered response with its client-side elapsed time
// (request sent to response fully read).
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
}

// Do sends r with the profile's extra headers and buffers the response.
func (t *Target) Do(ctx context.Context, r Request) (*Response, error) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, r.Body)
	if err != nil {
		return nil, err
	}
	if r.ContentLength != 0 {
		req.ContentLength = r.ContentLength
	}
	for k, v := range t.Profile.Target.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if r.Sign {
		if err := t.sign(ctx, req); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Elapsed: time.Since(start)}, nil
}

// Get is Do for a plain GET.
func (t *Target) Get(ctx context.Context, url string, header http.Header) (*Response, error) {
	return t.Do(ctx, Request{URL: url, Header: header})
}

// NewScope returns a fresh counting scope; send it as backend.HeaderScope so
// the fixture counts this check's invocations apart from anything else.
func NewScope() string { return uuid.NewString() }

// ScopeHeader returns headers carrying a counting scope.
func ScopeHeader(scope string) http.Header {
	return http.Header{backend.HeaderScope: []string{scope}}
}

// Invocations returns how many requests with scope reached the fixture.
func (t *Target) Invocations(ctx context.Context, scope string) (int64, error) {
	c, err := t.Fixture.Counters(ctx, scope)
	if err != nil {
		return 0, err
	}
	return c.ScopeTotal, nil
}

// Message returns the gateway error message: the "message" field of a JSON
// body, or "Message" (some AWS ACCESS_DENIED bodies use it, spec §4).
func (r *Response) Message() (string, bool) {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return "", false
	}
	for _, k := range []string{"message", "Message"} {
		if s, ok := m[k].(string); ok {
			return s, true
		}
	}
	return "", false
}

// Document decodes the fixture's standard document from the body.
func (r *Response) Document() (*backend.Document, error) {
	var d backend.Document
	if err := json.NewDecoder(bytes.NewReader(r.Body)).Decode(&d); err != nil {
		return nil, fmt.Errorf("body is not a fixture document: %w (status %d, body %.200q)", err, r.Status, r.Body)
	}
	return &d, nil
}

// String summarises the response for failure messages.
func (r *Response) String() string {
	return fmt.Sprintf("HTTP %d in %v, headers %v, body %.300q", r.Status, r.Elapsed.Round(time.Millisecond), r.Header, r.Body)
}
