// Package profile loads target profiles: where a gateway is, which fixture
// roles its routes play, which features it claims (with the values it claims
// for them), tolerances and safety limits. Profiles are validated strictly:
// unknown keys are errors and every problem is reported at once.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Version is the profile format version this build reads.
const Version = 1

// Profile is a validated target profile.
type Profile struct {
	Version     int                  `yaml:"version"`
	Name        string               `yaml:"name"`
	Description string               `yaml:"description"`
	Target      Target               `yaml:"target"`
	Routes      map[string]string    `yaml:"routes"`
	Features    map[string]yaml.Node `yaml:"features"`
	Tolerances  Tolerances           `yaml:"tolerances"`
	Waits       Waits                `yaml:"waits"`
	// Thresholds bound load scenario metrics, keyed by scenario check name
	// or feature (thresholds.go); Baseline is the regression tolerance of
	// `gatecheck run --baseline`.
	Thresholds map[string][]string `yaml:"thresholds"`
	Baseline   BaselineTolerance   `yaml:"baseline"`

	// Source is the file the profile came from (or "embedded:<name>").
	Source string `yaml:"-"`
	// configs holds each claimed feature's decoded configuration.
	configs map[string]any
	// shape checks the document's keys and kinds of values while loading.
	shape *shapeChecker
	// thresholds holds Thresholds parsed.
	thresholds map[string][]Threshold
}

// Target says where the gateway and the fixture backend are.
type Target struct {
	// Embedded: gatecheck starts the reference gateway and the fixture on
	// loopback and fills in RestURL and FixtureURL itself.
	Embedded bool `yaml:"embedded"`
	// RestURL is the REST API's invoke URL without the stage, e.g.
	// https://abc123.execute-api.us-east-1.amazonaws.com.
	RestURL string `yaml:"restURL"`
	// Stage is the stage the specs call: {RestURL}/{Stage}/{route}.
	Stage string `yaml:"stage"`
	// FixtureURL reaches the fixture backend directly, to read its
	// invocation counters. Checks that need counters are skipped without it.
	FixtureURL string `yaml:"fixtureURL"`
	// Headers are added to every request to the gateway (e.g. x-apigw-api-id).
	Headers map[string]string `yaml:"headers"`
	// AllowNonLoopback must be true to send any traffic off this machine.
	AllowNonLoopback bool `yaml:"allowNonLoopback"`
	// MaxRate caps the traffic of any check, in requests per second
	// (default 5000, at most MaxRateCeiling): the rate of every load attack,
	// and the size of every burst, since requests released together count
	// as that many requests within one second.
	MaxRate int `yaml:"maxRate"`
	// ManagementURL is the control-plane endpoint (API Gateway's
	// "apigateway" service) for control actions such as resetting a quota.
	// Empty with aws-default-chain credentials: AWS's regional endpoint.
	ManagementURL string `yaml:"managementURL"`
	// RestAPIID is the API's id in control actions (/restapis/{id}/…).
	RestAPIID string `yaml:"restApiId"`
	// MetricsURL serves the gateway's metrics in Prometheus text format
	// (the reference gateway: {managementURL}/metrics). Optional.
	MetricsURL string `yaml:"metricsURL"`
	// Credentials for SigV4-signed requests: "none", "static" (the
	// accessKeyId/secretAccessKey below; for emulators) or
	// "aws-default-chain" (environment, shared config, SSO, IMDS…).
	Credentials     string `yaml:"credentials"`
	AccessKeyID     string `yaml:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey"`
	Region          string `yaml:"region"`
	// WebSocketURL is a WebSocket API's URL without the stage, e.g.
	// wss://abc123.execute-api.us-east-1.amazonaws.com; its stages are
	// {WebSocketURL}/{stage} and their @connections callback APIs
	// https://…/{stage}/@connections (spec §8).
	WebSocketURL string `yaml:"websocketURL"`
	// WebSocketNoDefaultURL is a second WebSocket API with no $default
	// route, for the "no matching route" check. Optional.
	WebSocketNoDefaultURL string `yaml:"websocketNoDefaultURL"`
}

// HasManagement reports whether control actions can be sent.
func (t *Target) HasManagement() bool {
	return t.Credentials != "none" && (t.ManagementURL != "" || t.Credentials == "aws-default-chain" || t.Embedded)
}

// Tolerances are the timing slack a check allows.
type Tolerances struct {
	// TimeoutEarly is how much earlier than the configured integration
	// timeout a 504 may arrive; TimeoutLate how much later.
	TimeoutEarly time.Duration `yaml:"timeoutEarly"`
	TimeoutLate  time.Duration `yaml:"timeoutLate"`
}

// Waits bound every wait the harness makes; all live here so a slow target
// can raise them in one place.
type Waits struct {
	Request    time.Duration `yaml:"request"`    // one HTTP request, end to end
	Spec       time.Duration `yaml:"spec"`       // one spec
	Eventually time.Duration `yaml:"eventually"` // awaiting eventual consistency
	Poll       time.Duration `yaml:"poll"`       // polling interval inside Eventually
	// Settle follows a control-plane change whose data-plane effect no
	// single response can confirm (an intermediate canary percentage):
	// AWS applies UpdateStage within seconds, not atomically. It is also
	// the grace a promotion under load has to switch the stage
	// (CanaryUnderLoad). 0 for the reference gateway, which applies a
	// change before UpdateStage returns.
	Settle time.Duration `yaml:"settle"`
}

// FeatureSpec declares a feature a spec file checks: its name and, if it
// takes values, a constructor for its configuration (decoded strictly from
// the profile; Validate, if implemented, adds problems).
type FeatureSpec struct {
	Name        string
	Description string
	NewConfig   func() any // nil: the feature takes no values ({} in the profile)
}

// Validator is implemented by feature configurations with constraints.
// A problem that starts with a field path and a colon, such as
// "method.burstLimit: …", is reported under that field's YAML path
// (features.<name>.method.burstLimit); any other is reported under
// features.<name>.
type Validator interface{ Validate() []string }

// MaxRateCeiling is the most target.maxRate may be: the hard limit on any
// attack's rate, whatever a profile says (scenarios.MaxRate).
const MaxRateCeiling = 20000

// Bounds are a profile's safety bounds on the traffic its checks send.
type Bounds struct {
	// MaxRate is target.maxRate after defaults: the most requests per
	// second of any attack, and the most requests of any burst.
	MaxRate int
}

// BoundsValidator is implemented by feature configurations whose values
// size the traffic their checks send (bursts, attack rates, durations): it
// returns a problem, in Validator's format, for every value that would make
// a check exceed b. It runs after Validate, on every load (so on every run
// too), unless target.maxRate is itself invalid. It must not assume that
// Validate found nothing: values Validate rejects are skipped here.
type BoundsValidator interface{ ValidateBounds(b Bounds) []string }

var (
	featuresMu sync.RWMutex
	features   = map[string]FeatureSpec{}
)

// RegisterFeature declares a feature; spec files call it at init.
func RegisterFeature(f FeatureSpec) {
	featuresMu.Lock()
	defer featuresMu.Unlock()
	if _, dup := features[f.Name]; dup {
		panic("profile: feature registered twice: " + f.Name)
	}
	features[f.Name] = f
}

// RegisteredFeatures lists the declared features, sorted by name.
func RegisteredFeatures() []FeatureSpec {
	featuresMu.RLock()
	defer featuresMu.RUnlock()
	return slices.SortedFunc(maps.Values(features), func(a, b FeatureSpec) int { return strings.Compare(a.Name, b.Name) })
}

// Error lists every problem in one profile.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("profile %s: %d problem(s):\n  - %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// LoadFile reads and validates a profile file.
func LoadFile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Problems: []string{err.Error() + " (fix: pass an existing profile, e.g. fixtures/profiles/local.yaml)"}}
	}
	return Load(path, data)
}

// Load parses and validates profile YAML; name is used in errors.
func Load(name string, data []byte) (*Profile, error) {
	p := &Profile{Source: name, shape: newShapeChecker()}
	defer func() { p.shape = nil }()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Problems: []string{"the file is empty (fix: start from fixtures/profiles/reference.yaml)"}}
		}
		return nil, &Error{File: name, Problems: []string{decodeMessage(err) + " (fix: check the YAML syntax there)"}}
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	// Check the shape first, then decode what fits: the decoder goes on
	// past a value of the wrong kind, so the rest is still validated and
	// every problem is reported at once.
	p.shape.check(root, reflect.TypeFor[Profile](), "")
	if err := root.Decode(p); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, &Error{File: name, Problems: append(p.shape.problems, decodeMessage(err))}
		}
		if len(p.shape.problems) == 0 { // not foreseen by the shape check
			for _, msg := range te.Errors {
				p.shape.problems = append(p.shape.problems, decodeMessage(errors.New(msg))+" (fix: check the field against fixtures/profiles/README.md)")
			}
		}
	}
	p.applyDefaults()
	invalid := p.validate() // adds the shape problems of the features' values
	problems := p.shape.problems
	for _, msg := range invalid {
		field, _, _ := strings.Cut(msg, ": ")
		if p.shape.covers(field) {
			continue
		}
		problems = append(problems, atLine(p.shape.lines[field], msg))
	}
	if len(problems) > 0 {
		sortByLine(problems)
		return nil, &Error{File: name, Problems: problems}
	}
	return p, nil
}

func (p *Profile) applyDefaults() {
	if p.Target.Credentials == "" {
		p.Target.Credentials = "none"
	}
	if p.Target.MaxRate == 0 {
		p.Target.MaxRate = 5000
	}
	w := &p.Waits
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&w.Request, 45 * time.Second}, {&w.Spec, 3 * time.Minute}, {&w.Eventually, 30 * time.Second}, {&w.Poll, 250 * time.Millisecond}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if p.Tolerances.TimeoutLate == 0 {
		p.Tolerances.TimeoutLate = 2 * time.Second
	}
	p.Baseline.applyDefaults()
}

func (p *Profile) validate() []string {
	var problems []string
	add := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	if p.Version != Version {
		add("version", "is %d; this gatecheck reads version %d profiles (fix: `version: %d`)", p.Version, Version, Version)
	}
	if p.Name == "" {
		add("name", "required (a short name shown in reports)")
	}
	t := &p.Target
	if t.Stage == "" {
		add("target.stage", "required: the stage the specs call, e.g. `stage: test`")
	}
	if !t.Embedded {
		if t.RestURL == "" {
			add("target.restURL", "required unless target.embedded is true, e.g. `restURL: http://127.0.0.1:8080`")
		} else if msg := checkURL(t.RestURL, t.AllowNonLoopback); msg != "" {
			add("target.restURL", "%s", msg)
		}
		if t.FixtureURL != "" {
			if msg := checkURL(t.FixtureURL, t.AllowNonLoopback); msg != "" {
				add("target.fixtureURL", "%s", msg)
			}
		}
		for _, f := range []struct{ field, u string }{{"target.websocketURL", t.WebSocketURL}, {"target.websocketNoDefaultURL", t.WebSocketNoDefaultURL}} {
			field, u := f.field, f.u
			if u != "" {
				if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
					add(field, "%q is not a ws:// or wss:// URL", u)
				} else if msg := checkURL("http"+strings.TrimPrefix(u, "ws"), t.AllowNonLoopback); msg != "" {
					add(field, "%s", msg)
				}
			}
		}
	}
	switch t.Credentials {
	case "none", "aws-default-chain":
		if t.AccessKeyID != "" || t.SecretAccessKey != "" {
			add("target.accessKeyId", "only with `credentials: static`")
		}
	case "static":
		if t.AccessKeyID == "" || t.SecretAccessKey == "" {
			add("target.credentials", "static credentials need accessKeyId and secretAccessKey")
		}
	default:
		add("target.credentials", "%q is not `none`, `static` or `aws-default-chain`", t.Credentials)
	}
	if t.Credentials != "none" && t.Region == "" {
		add("target.region", "required with credentials, e.g. `region: us-east-1`")
	}
	for _, f := range []struct{ field, u string }{{"target.managementURL", t.ManagementURL}, {"target.metricsURL", t.MetricsURL}} {
		field, u := f.field, f.u
		if u != "" && !t.Embedded {
			if msg := checkURL(u, t.AllowNonLoopback); msg != "" {
				add(field, "%s", msg)
			}
		}
	}
	for _, role := range slices.Sorted(maps.Keys(p.Routes)) {
		if path := p.Routes[role]; !strings.HasPrefix(path, "/") {
			add("routes."+role, "%q must be a resource path starting with /", path)
		}
	}
	if p.Tolerances.TimeoutEarly < 0 || p.Tolerances.TimeoutLate < 0 {
		add("tolerances", "durations must not be negative")
	}
	if p.Waits.Settle < 0 || p.Waits.Settle > p.Waits.Spec/2 {
		add("waits.settle", "%v must be between 0 and half of waits.spec (%v)", p.Waits.Settle, p.Waits.Spec)
	}
	boundsOK := t.MaxRate >= 1 && t.MaxRate <= MaxRateCeiling
	if !boundsOK {
		add("target.maxRate", "%d must be 1–%d requests per second (default 5000)", t.MaxRate, MaxRateCeiling)
	}
	if p.Waits.Poll >= p.Waits.Eventually {
		add("waits.poll", "%v must be shorter than waits.eventually (%v)", p.Waits.Poll, p.Waits.Eventually)
	}
	problems = append(problems, p.validateThresholds()...)
	problems = append(problems, p.Baseline.validate()...)
	p.configs = map[string]any{}
	featuresMu.RLock()
	defer featuresMu.RUnlock()
	names := make([]string, 0, len(p.Features))
	for n := range p.Features {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		node := p.Features[name]
		spec, ok := features[name]
		if !ok {
			add("features."+name, "unknown feature%s", suggest(name, slices.Sorted(maps.Keys(features)), "features"))
			continue
		}
		if spec.NewConfig == nil {
			if node.Kind == yaml.MappingNode && len(node.Content) > 0 {
				add("features."+name, "takes no values; write `%s: {}`", name)
			}
			p.configs[name] = struct{}{}
			continue
		}
		cfg := spec.NewConfig()
		if node.Kind != 0 && !(node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
			if p.shape != nil {
				before := len(p.shape.problems)
				p.shape.check(&node, reflect.TypeOf(cfg), "features."+name)
				if len(p.shape.problems) > before {
					continue // Load reports them
				}
			}
			if err := node.Decode(cfg); err != nil {
				add("features."+name, "%s", decodeMessage(err))
				continue
			}
		}
		if v, ok := cfg.(Validator); ok {
			for _, msg := range v.Validate() {
				problems = append(problems, featureProblem(name, msg))
			}
		}
		if v, ok := cfg.(BoundsValidator); ok && boundsOK {
			for _, msg := range v.ValidateBounds(Bounds{MaxRate: t.MaxRate}) {
				problems = append(problems, featureProblem(name, msg))
			}
		}
		p.configs[name] = cfg
	}
	return problems
}

// fieldPath matches a feature problem that starts with the path of a field
// in the feature's configuration ("method.burstLimit: …").
var fieldPath = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*: `)

// featureProblem puts a feature's problem under its YAML path.
func featureProblem(feature, msg string) string {
	if fieldPath.MatchString(msg) {
		return "features." + feature + "." + msg
	}
	return "features." + feature + ": " + msg
}

// checkURL enforces the safety rule: traffic goes only to loopback unless
// the profile opts in.
func checkURL(raw string, allowNonLoopback bool) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http(s) URL", raw)
	}
	if !allowNonLoopback && !IsLoopback(u.Hostname()) {
		return fmt.Sprintf("%q is not a loopback address; gatecheck only sends traffic off this machine with `target.allowNonLoopback: true`", raw)
	}
	return ""
}

// IsLoopback reports whether host is localhost or a loopback IP literal.
// Names are not resolved: a name other than localhost is not loopback.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Supports reports whether the profile claims feature.
func (p *Profile) Supports(feature string) bool {
	_, ok := p.configs[feature]
	return ok
}

// Claimed lists the claimed features, sorted.
func (p *Profile) Claimed() []string {
	names := make([]string, 0, len(p.configs))
	for n := range p.configs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Config returns the decoded configuration of a claimed feature.
func Config[T any](p *Profile, feature string) (T, bool) {
	c, ok := p.configs[feature].(T)
	return c, ok
}

// WithFeatureConfig returns a copy of p claiming feature with cfg (for
// tests and tools that derive one profile from another).
func (p Profile) WithFeatureConfig(feature string, cfg any) Profile {
	configs := make(map[string]any, len(p.configs)+1)
	for k, v := range p.configs {
		configs[k] = v
	}
	configs[feature] = cfg
	p.configs = configs
	return p
}

// WithoutFeature returns a copy of p that does not claim feature.
func (p Profile) WithoutFeature(feature string) Profile {
	configs := maps.Clone(p.configs)
	delete(configs, feature)
	p.configs = configs
	return p
}

// Route returns the resource path for a fixture role.
func (p *Profile) Route(role string) (string, bool) {
	r, ok := p.Routes[role]
	return r, ok
}
