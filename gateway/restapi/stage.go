package restapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StageFile is the on-disk configuration around one API: its stages, the
// usage plans and API keys that apply to them, and the account-level
// throttle the emulator enforces. Field names are AWS's.
type StageFile struct {
	Source     string      `yaml:"-"` // the file it was loaded from
	Stages     []Stage     `yaml:"stages"`
	UsagePlans []UsagePlan `yaml:"usagePlans"`
	APIKeys    []APIKey    `yaml:"apiKeys"`
	// Account is the per-Region account throttle (spec §3.1): 10,000 rps
	// with a burst of 5,000 unless set. Not configurable on AWS; here it is.
	Account Account `yaml:"account"`
}

// Stage mirrors the fields of API Gateway's Stage resource that the
// reference gateway implements.
type Stage struct {
	StageName   string            `yaml:"stageName"`
	Description string            `yaml:"description"`
	Variables   map[string]string `yaml:"variables"`
	// MethodSettings keys are "*/*" or "{resourcePath}/{httpMethod}", the
	// resource path without its leading slash ("items/{id}/GET"), as AWS
	// reports them; "~1" escapes are accepted too.
	MethodSettings map[string]MethodSetting `yaml:"methodSettings"`
	// CacheClusterEnabled turns the stage cache on; CacheClusterSize is
	// its capacity in GB, one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237.
	CacheClusterEnabled bool   `yaml:"cacheClusterEnabled"`
	CacheClusterSize    string `yaml:"cacheClusterSize"`
	// DeploymentID names the deployment the stage serves; CanarySettings
	// routes a share of its traffic to another (spec §6).
	DeploymentID   string          `yaml:"deploymentId"`
	CanarySettings *CanarySettings `yaml:"canarySettings"`
}

// CanarySettings mirrors AWS's CanarySettings (spec §6).
type CanarySettings struct {
	PercentTraffic         float64           `yaml:"percentTraffic"` // 0–100
	DeploymentID           string            `yaml:"deploymentId"`
	StageVariableOverrides map[string]string `yaml:"stageVariableOverrides"`
	UseStageCache          bool              `yaml:"useStageCache"`
}

// Clone returns a deep copy, for copy-on-write updates.
func (s *Stage) Clone() *Stage {
	c := *s
	c.Variables = cloneMap(s.Variables)
	c.MethodSettings = make(map[string]MethodSetting, len(s.MethodSettings))
	for k, v := range s.MethodSettings {
		c.MethodSettings[k] = v
	}
	if s.CanarySettings != nil {
		cs := *s.CanarySettings
		cs.StageVariableOverrides = cloneMap(s.CanarySettings.StageVariableOverrides)
		c.CanarySettings = &cs
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// MethodSetting mirrors AWS's MethodSetting. Throttle values are pointers
// so an unset value can be told from 0 (0 rate rejects every request).
type MethodSetting struct {
	ThrottlingRateLimit                    *float64 `yaml:"throttlingRateLimit"`
	ThrottlingBurstLimit                   *int     `yaml:"throttlingBurstLimit"`
	MetricsEnabled                         bool     `yaml:"metricsEnabled"`
	LoggingLevel                           string   `yaml:"loggingLevel"`
	DataTraceEnabled                       bool     `yaml:"dataTraceEnabled"`
	CachingEnabled                         *bool    `yaml:"cachingEnabled"`
	CacheTTLInSeconds                      *int     `yaml:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool     `yaml:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    *bool    `yaml:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string   `yaml:"unauthorizedCacheControlHeaderStrategy"`
}

// Throttle is a token bucket: RateLimit requests per second steady state,
// BurstLimit the bucket's capacity.
type Throttle struct {
	RateLimit  float64 `yaml:"rateLimit"`
	BurstLimit int     `yaml:"burstLimit"`
}

// Quota periods.
const (
	QuotaDay   = "DAY"
	QuotaWeek  = "WEEK"
	QuotaMonth = "MONTH"
)

// Quota mirrors QuotaSettings: Limit requests per Period; Offset requests
// are subtracted from the limit in the first period (spec §3.2).
type Quota struct {
	Limit  int64  `yaml:"limit"`
	Offset int64  `yaml:"offset"`
	Period string `yaml:"period"`
}

// UsagePlan mirrors AWS's UsagePlan, with its keys listed by name (on AWS
// they are attached with CreateUsagePlanKey).
type UsagePlan struct {
	ID          string           `yaml:"id"` // default: the name
	Name        string           `yaml:"name"`
	Description string           `yaml:"description"`
	Throttle    *Throttle        `yaml:"throttle"`
	Quota       *Quota           `yaml:"quota"`
	APIStages   []UsagePlanStage `yaml:"apiStages"`
	APIKeys     []string         `yaml:"apiKeys"`
}

// UsagePlanStage mirrors ApiStage: a stage in the plan, with per-method
// throttles keyed "/{resourcePath}/{httpMethod}" (at most 20).
type UsagePlanStage struct {
	Stage    string              `yaml:"stage"`
	Throttle map[string]Throttle `yaml:"throttle"`
}

// APIKey mirrors ApiKey.
type APIKey struct {
	ID      string `yaml:"id"` // default: the name
	Name    string `yaml:"name"`
	Value   string `yaml:"value"`
	Enabled *bool  `yaml:"enabled"` // default true
}

// IsEnabled applies the default.
func (k APIKey) IsEnabled() bool { return k.Enabled == nil || *k.Enabled }

// Account limits.
type Account struct {
	Throttle *Throttle `yaml:"throttle"`
}

// Defaults AWS applies (spec §3.1, §3.3, §12).
const (
	DefaultAccountRate        = 10000.0
	DefaultAccountBurst       = 5000
	MaxMethodThrottlesPerPlan = 20
	MaxAPIKeys                = 10000
)

// AccountThrottle returns the account throttle with AWS's defaults applied.
func (f *StageFile) AccountThrottle() Throttle {
	if f.Account.Throttle != nil {
		return *f.Account.Throttle
	}
	return Throttle{RateLimit: DefaultAccountRate, BurstLimit: DefaultAccountBurst}
}

// ValidateAgainst checks the references the stage file makes into api: every
// methodSettings key and every per-method plan throttle must name a method
// the API declares (API Gateway rejects the patch otherwise).
func (f *StageFile) ValidateAgainst(api *API) error {
	var p problems
	for i, st := range f.Stages {
		for _, key := range sortedKeys(st.MethodSettings) {
			if key == "*/*" {
				continue
			}
			cut := strings.LastIndexByte(key, '/')
			rawPath, verb := key[:cut], key[cut+1:]
			path := "/" + rawPath // "items/{id}" is /items/{id}; "" is the root
			if strings.Contains(rawPath, "~1") {
				path = strings.ReplaceAll(rawPath, "~1", "/") // the patch-path form: ~1items~1{id}
			}
			if api.MethodByPlanKey(path+"/"+verb) == nil {
				p.addf(fmt.Sprintf("stages[%d].methodSettings.%s", i, key), "the API has no method %s on resource %s", verb, path)
			}
		}
	}
	for i, u := range f.UsagePlans {
		for j, as := range u.APIStages {
			for _, key := range sortedKeys(as.Throttle) {
				if api.MethodByPlanKey(key) == nil {
					p.addf(fmt.Sprintf("usagePlans[%d].apiStages[%d].throttle.%s", i, j, key), "the API has no such method; keys are /{resourcePath}/{HTTP method}, e.g. /items/GET")
				}
			}
		}
	}
	return p.err(f.Source)
}

// SetVariable sets a stage variable on every stage (copying each map, so a
// shared one is not changed).
func (f *StageFile) SetVariable(name, value string) {
	for i := range f.Stages {
		vars := make(map[string]string, len(f.Stages[i].Variables)+1)
		for k, v := range f.Stages[i].Variables {
			vars[k] = v
		}
		vars[name] = value
		f.Stages[i].Variables = vars
	}
}

// CacheClusterSizes are the cacheClusterSize values API Gateway accepts (GB).
var CacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// Limits on stage names, variables and keys (spec §3.3, §7, §12).
var (
	stageNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	stageVarNameRE  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	stageVarValueRE = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]{1,512}$`)
	apiKeyValueRE   = regexp.MustCompile(`^[A-Za-z0-9]{20,128}$`)
	methodKeyRE     = regexp.MustCompile(`^(\*/\*|[^*]*/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY))$`)
)

const maxStageVariables = 100

// LoadStageFile reads and validates a stage file.
func LoadStageFile(path string) (*StageFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stage file: %w", err)
	}
	return LoadStages(path, data)
}

// LoadStages parses and validates stage-file YAML; name is used in errors.
func LoadStages(name string, data []byte) (*StageFile, error) {
	var f StageFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{File: name, Problems: []string{strings.TrimPrefix(err.Error(), "yaml: ") + " (fix: a stage file is `stages: [{stageName: prod, variables: {name: value}}]`, optionally with usagePlans, apiKeys and account; see fixtures/apis/reference.stages.yaml)"}}
	}
	f.Source = name
	var p problems
	f.validate(&p)
	if err := p.err(name); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *StageFile) validate(p *problems) {
	if len(f.Stages) == 0 {
		p.addf("stages", "no stages; add at least one `- stageName: prod`")
	}
	stages := map[string]bool{}
	for i, s := range f.Stages {
		field := fmt.Sprintf("stages[%d]", i)
		if !stageNameRE.MatchString(s.StageName) {
			p.addf(field+".stageName", "%q is not a valid stage name: use 1–128 letters, digits, - or _", s.StageName)
		}
		if stages[s.StageName] {
			p.addf(field+".stageName", "%q is declared twice", s.StageName)
		}
		stages[s.StageName] = true
		p.list = append(p.list, ValidateStageVariables(field+".variables", s.Variables)...)
		if s.CacheClusterSize != "" && !slices.Contains(CacheClusterSizes, s.CacheClusterSize) {
			p.addf(field+".cacheClusterSize", "%q is not one of %v (GB)", s.CacheClusterSize, CacheClusterSizes)
		}
		if cs := s.CanarySettings; cs != nil {
			if !(cs.PercentTraffic >= 0 && cs.PercentTraffic <= 100) { // also rejects NaN
				p.addf(field+".canarySettings.percentTraffic", "%g is outside 0–100", cs.PercentTraffic)
			}
			p.list = append(p.list, ValidateStageVariables(field+".canarySettings.stageVariableOverrides", cs.StageVariableOverrides)...)
		}
		for _, key := range sortedKeys(s.MethodSettings) {
			ms := s.MethodSettings[key]
			mf := field + ".methodSettings." + key
			if !methodKeyRE.MatchString(key) {
				p.addf(mf, "key must be */* or {resourcePath}/{HTTP method}, e.g. items/{id}/GET")
			}
			if ms.ThrottlingRateLimit != nil && *ms.ThrottlingRateLimit < 0 {
				p.addf(mf+".throttlingRateLimit", "must not be negative")
			}
			if ms.ThrottlingBurstLimit != nil && *ms.ThrottlingBurstLimit < 0 {
				p.addf(mf+".throttlingBurstLimit", "must not be negative")
			}
			if ttl := ms.CacheTTLInSeconds; ttl != nil && (*ttl < 0 || *ttl > 3600) {
				p.addf(mf+".cacheTtlInSeconds", "%d is outside 0–3600 (spec §5; 0 disables caching)", *ttl)
			}
			if s := ms.UnauthorizedCacheControlHeaderStrategy; s != "" && s != "FAIL_WITH_403" && s != "SUCCEED_WITH_RESPONSE_HEADER" && s != "SUCCEED_WITHOUT_RESPONSE_HEADER" {
				p.addf(mf+".unauthorizedCacheControlHeaderStrategy", "%q is not FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER or SUCCEED_WITHOUT_RESPONSE_HEADER", s)
			}
		}
	}
	if f.Account.Throttle != nil {
		validateThrottle("account.throttle", *f.Account.Throttle, p)
	}
	keys, values := map[string]bool{}, map[string]string{}
	if len(f.APIKeys) > MaxAPIKeys {
		p.addf("apiKeys", "%d keys; an account may have at most %d", len(f.APIKeys), MaxAPIKeys)
	}
	for i := range f.APIKeys {
		k := &f.APIKeys[i]
		field := fmt.Sprintf("apiKeys[%d]", i)
		if k.Name == "" || len(k.Name) > 1024 {
			p.addf(field+".name", "required, at most 1,024 characters")
		}
		if k.ID == "" {
			k.ID = k.Name
		}
		if keys[k.ID] {
			p.addf(field, "key id %q is declared twice", k.ID)
		}
		keys[k.ID] = true
		if !apiKeyValueRE.MatchString(k.Value) {
			p.addf(field+".value", "API key values are 20–128 letters and digits (spec §3.3)")
		}
		if other, dup := values[k.Value]; dup {
			p.addf(field+".value", "same value as key %q; values must be unique", other)
		}
		values[k.Value] = k.ID
	}
	plans := map[string]bool{}
	keyStages := map[string]string{} // keyID/stage -> plan: one plan per stage per key
	for i := range f.UsagePlans {
		u := &f.UsagePlans[i]
		field := fmt.Sprintf("usagePlans[%d]", i)
		if u.Name == "" {
			p.addf(field+".name", "required")
		}
		if u.ID == "" {
			u.ID = u.Name
		}
		if plans[u.ID] {
			p.addf(field, "usage plan id %q is declared twice", u.ID)
		}
		plans[u.ID] = true
		if u.Throttle != nil {
			validateThrottle(field+".throttle", *u.Throttle, p)
		}
		if q := u.Quota; q != nil {
			if q.Limit < 0 || q.Offset < 0 || (q.Offset > 0 && q.Offset >= q.Limit) {
				p.addf(field+".quota", "limit must be ≥ 0 and offset in [0, limit)")
			}
			if q.Period != QuotaDay && q.Period != QuotaWeek && q.Period != QuotaMonth {
				p.addf(field+".quota.period", "%q is not DAY, WEEK or MONTH", q.Period)
			}
		}
		for j, as := range u.APIStages {
			sf := fmt.Sprintf("%s.apiStages[%d]", field, j)
			if len(as.Throttle) > MaxMethodThrottlesPerPlan {
				p.addf(sf+".throttle", "%d method throttles; a plan may have at most %d per stage", len(as.Throttle), MaxMethodThrottlesPerPlan)
			}
			if !stages[as.Stage] {
				p.addf(sf+".stage", "%q is not a stage in this file", as.Stage)
			}
			for _, key := range sortedKeys(as.Throttle) {
				t := as.Throttle[key]
				if !strings.HasPrefix(key, "/") || !methodKeyRE.MatchString(strings.TrimPrefix(key, "/")) || key == "/*/*" {
					p.addf(sf+".throttle."+key, "key must be /{resourcePath}/{HTTP method}, e.g. /items/GET")
				}
				validateThrottle(sf+".throttle."+key, t, p)
			}
		}
		for _, key := range u.APIKeys {
			if !keys[key] {
				p.addf(field+".apiKeys", "%q is not a key in apiKeys", key)
				continue
			}
			for _, as := range u.APIStages {
				if prev, taken := keyStages[key+"/"+as.Stage]; taken {
					p.addf(field+".apiKeys", "key %q is already in plan %q for stage %q; a key may be in one plan per stage", key, prev, as.Stage)
				}
				keyStages[key+"/"+as.Stage] = u.ID
			}
		}
	}
}

func validateThrottle(field string, t Throttle, p *problems) {
	if t.RateLimit < 0 || t.BurstLimit < 0 {
		p.addf(field, "rateLimit and burstLimit must not be negative")
	}
}

// MethodSettingFor returns the setting that applies to a method: its own
// entry (own is true), else "*/*"; ok is false when neither exists.
func (s *Stage) MethodSettingFor(resourcePath, method string) (ms MethodSetting, own, ok bool) {
	trimmed := strings.TrimPrefix(resourcePath, "/")
	for _, key := range []string{trimmed + "/" + method, strings.ReplaceAll(resourcePath, "/", "~1") + "/" + method} {
		if ms, ok := s.MethodSettings[key]; ok {
			return ms, true, true
		}
	}
	ms, ok = s.MethodSettings["*/*"]
	return ms, false, ok
}

// ValidateStageVariables checks names and values as API Gateway does and
// returns one message per problem.
func ValidateStageVariables(field string, vars map[string]string) []string {
	var p problems
	if len(vars) > maxStageVariables {
		p.addf(field, "%d variables; a stage may have at most %d", len(vars), maxStageVariables)
	}
	for _, k := range sortedKeys(vars) {
		if !stageVarNameRE.MatchString(k) {
			p.addf(field+"."+k, "variable names are 1–64 letters, digits or _")
		}
		if !stageVarValueRE.MatchString(vars[k]) {
			p.addf(field+"."+k, "value %q must be 1–512 characters from A-Z a-z 0-9 - . _ ~ : / ? # & = ,", vars[k])
		}
	}
	return p.list
}
