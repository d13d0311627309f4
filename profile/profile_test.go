package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/profile"
)

type timeoutCfg struct {
	TimeoutMillis int `yaml:"timeoutMillis"`
}

func (c *timeoutCfg) Validate() []string {
	if c.TimeoutMillis <= 0 {
		return []string{"timeoutMillis must be positive"}
	}
	return nil
}

// burstCfg sends bursts of Burst requests: its bounds depend on the profile.
type burstCfg struct {
	Burst int `yaml:"burst"`
	seen  profile.Bounds
}

func (c *burstCfg) ValidateBounds(b profile.Bounds) []string {
	c.seen = b
	if c.Burst > b.MaxRate {
		return []string{"inner.burst: above target.maxRate"}
	}
	return nil
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: "test-timeout", NewConfig: func() any { return &timeoutCfg{} }})
	profile.RegisterFeature(profile.FeatureSpec{Name: "test-flag"})
	profile.RegisterFeature(profile.FeatureSpec{Name: "test-burst", NewConfig: func() any { return &burstCfg{} }})
}

func TestBoundsValidatorSeesTheProfilesBounds(t *testing.T) {
	p, err := profile.Load("b.yaml", []byte(valid+"  test-burst: {burst: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := profile.Config[*burstCfg](p, "test-burst"); cfg.seen.MaxRate != 5000 {
		t.Errorf("ValidateBounds saw %+v, want the default maxRate 5000", cfg.seen)
	}
	withMax := strings.Replace(valid, "stage: test", "stage: test\n  maxRate: 5", 1) + "  test-burst: {burst: 10}\n"
	_, err = profile.Load("b.yaml", []byte(withMax))
	if err == nil || !strings.Contains(err.Error(), "features.test-burst.inner.burst: above target.maxRate") {
		t.Errorf("want the problem under its YAML path, got %v", err)
	}
	for _, bad := range []string{"-1", "20001"} {
		y := strings.Replace(valid, "stage: test", "stage: test\n  maxRate: "+bad, 1) + "  test-burst: {burst: 10}\n"
		_, err = profile.Load("b.yaml", []byte(y))
		var pe *profile.Error
		if !asError(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(pe.Problems[0], "target.maxRate: "+bad+" must be 1–20000") {
			t.Errorf("maxRate %s: want only the maxRate problem (bounds are not checked against it), got %v", bad, err)
		}
	}
}

const valid = `
version: 1
name: t
target:
  restURL: http://127.0.0.1:8080
  stage: test
  fixtureURL: http://localhost:9090
routes:
  delay: /delay/{ms}
features:
  test-timeout: {timeoutMillis: 1000}
  test-flag: {}
`

func TestValidProfile(t *testing.T) {
	p, err := profile.Load("valid.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Supports("test-timeout") || !p.Supports("test-flag") || p.Supports("other") {
		t.Fatalf("claimed features wrong: %v", p.Claimed())
	}
	cfg, ok := profile.Config[*timeoutCfg](p, "test-timeout")
	if !ok || cfg.TimeoutMillis != 1000 {
		t.Fatalf("config = %+v, %v", cfg, ok)
	}
	if p.Waits.Request == 0 || p.Waits.Eventually == 0 || p.Tolerances.TimeoutLate == 0 {
		t.Fatalf("defaults not applied: %+v %+v", p.Waits, p.Tolerances)
	}
	if r, _ := p.Route("delay"); r != "/delay/{ms}" {
		t.Fatalf("route = %q", r)
	}
}

func TestInvalidProfiles(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings, each must appear
	}{
		{"empty", "", []string{"empty"}},
		{"unknown top-level key", valid + "extra: 1\n", []string{"line 13: extra: unknown key", "known keys: baseline, description, features"}},
		{"unknown target key", strings.Replace(valid, "stage: test", "stage: test\n  bogus: 1", 1), []string{"bogus"}},
		{"wrong version", strings.Replace(valid, "version: 1", "version: 2", 1), []string{"version", "version: 1"}},
		{"non-loopback without opt-in", strings.Replace(valid, "127.0.0.1:8080", "example.com", 1), []string{"target.restURL", "allowNonLoopback"}},
		{"non-loopback fixture", strings.Replace(valid, "localhost:9090", "10.0.0.1:9090", 1), []string{"target.fixtureURL", "loopback"}},
		{"missing restURL", strings.Replace(valid, "  restURL: http://127.0.0.1:8080\n", "", 1), []string{"target.restURL", "required"}},
		{"unknown feature", valid + "  no-such-feature: {}\n", []string{"features.no-such-feature", "unknown feature", "test-timeout"}},
		{"feature config unknown key", strings.Replace(valid, "{timeoutMillis: 1000}", "{timeoutMilis: 1000}", 1), []string{"features.test-timeout", "timeoutMilis"}},
		{"feature config invalid", strings.Replace(valid, "{timeoutMillis: 1000}", "{timeoutMillis: -1}", 1), []string{"features.test-timeout: timeoutMillis must be positive"}},
		{"flag feature with values", strings.Replace(valid, "test-flag: {}", "test-flag: {x: 1}", 1), []string{"takes no values"}},
		{"route without slash", strings.Replace(valid, "/delay/{ms}", "delay", 1), []string{"routes.delay"}},
		{"credentials chain needs region", strings.Replace(valid, "stage: test", "stage: test\n  credentials: aws-default-chain", 1), []string{"target.region"}},
		{"bad duration", valid + "waits: {poll: soon}\n", []string{"line 13: waits.poll: want a duration such as 5s or 250ms, got \"soon\""}},
		{"settle longer than a spec", valid + "waits: {settle: 1h}\n", []string{"waits.settle", "half of waits.spec"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := profile.Load("bad.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "bad.yaml") {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	bad := "version: 3\ntarget: {stage: ''}\nfeatures: {nope: {}}\n"
	_, err := profile.Load("many.yaml", []byte(bad))
	var pe *profile.Error
	if err == nil || !asError(err, &pe) {
		t.Fatalf("want *profile.Error, got %v", err)
	}
	if len(pe.Problems) < 4 { // version, name, stage, restURL, feature
		t.Fatalf("want every problem at once, got %d: %v", len(pe.Problems), pe.Problems)
	}
}

func asError(err error, target **profile.Error) bool {
	e, ok := err.(*profile.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestLoadFileMissing(t *testing.T) {
	_, err := profile.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestShippedProfilesLoadWithTheirFeatures(t *testing.T) {
	// The shipped profiles claim features registered by the suites package;
	// here only their YAML shape is checked (unknown features, and
	// thresholds on their scenarios, aside).
	for _, name := range []string{"reference.yaml", "local.yaml", "aws-rest.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "fixtures", "profiles", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = profile.Load(name, data)
		if err == nil {
			continue
		}
		for _, p := range err.(*profile.Error).Problems {
			if !strings.Contains(p, "unknown feature") && !strings.Contains(p, "no load scenario or scenario feature is named") {
				t.Errorf("%s: %s", name, p)
			}
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true, "LOCALHOST": true, "10.0.0.1": false, "example.com": false, "192.168.1.1": false, "": false} {
		if got := profile.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}

// The URL problems are reported in the same order on every load.
func TestProblemsInStableOrder(t *testing.T) {
	data := []byte("version: 1\nname: t\ntarget: {stage: s, restURL: 'http://127.0.0.1', websocketURL: 'http://a', websocketNoDefaultURL: 'http://b', managementURL: 'ftp://c', metricsURL: 'ftp://d'}\n")
	_, first := profile.Load("p.yaml", data)
	if first == nil || strings.Count(first.Error(), "\n  - ") != 4 {
		t.Fatalf("want 4 problems, got %v", first)
	}
	for range 20 {
		if _, again := profile.Load("p.yaml", data); again.Error() != first.Error() {
			t.Fatalf("problems in another order:\n%v\nthen:\n%v", first, again)
		}
	}
}
