package profile_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/internal/fuzzing"
	"github.com/gatecheck/gatecheck/profile"
)

// fuzzConfig is a feature configuration with lists, maps and numbers, so the
// shape check and decode of a claimed feature's values are fuzzed
// with aliases that expand into every kind of field.
type fuzzConfig struct {
	Items  []string            `yaml:"items"`
	Nested map[string][]int64  `yaml:"nested"`
	Limits struct{ Max int64 } `yaml:"limits"`
	Ratio  float64             `yaml:"ratio"`
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: "fuzz-config", NewConfig: func() any { return &fuzzConfig{} }})
}

// loadBudget bounds what loading one profile may allocate. A valid
// reference profile allocates well under 1 MiB; a YAML bomb (aliases that
// expand exponentially) must be refused long before this.
var loadBudget = fuzzing.Budget{Fixed: 32 << 20, PerByte: 4 << 10}

// FuzzLoad feeds arbitrary bytes to profile.Load.
//
// Property: no panic; each input is handled within fuzzing.Deadline and
// allocates at most loadBudget (so YAML bombs, huge numbers and deep
// nesting are refused, not expanded); Load returns either a profile or a
// *profile.Error naming the file with at least one problem, never both or
// neither; a returned profile satisfies what validation promises (version,
// name, stage, defaults, loopback-only URLs unless allowed); and loading
// the same bytes again gives the same problems in the same order.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"reference.yaml", "local.yaml", "aws-rest.yaml"} {
		data, err := os.ReadFile("../fixtures/profiles/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(valid))
	f.Add([]byte("version: 1\nname: x\ntarget: {embedded: true, stage: s}\nfeatures:\n  fuzz-config: {items: [a, b], nested: {k: [1, 2]}, limits: {max: 9}, ratio: 0.5}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		var p, again *profile.Profile
		var err, againErr error
		fuzzing.WithinBudget(t, fuzzing.Deadline, loadBudget, len(data), "profile.Load", func() {
			p, err = profile.Load(name, data)
		})
		if (p == nil) == (err == nil) {
			t.Fatalf("Load returned profile %v and error %v: want exactly one", p != nil, err)
		}
		if err != nil {
			var pe *profile.Error
			if !errors.As(err, &pe) || pe.File != name || len(pe.Problems) == 0 {
				t.Fatalf("error %T %v: want a *profile.Error naming %s with problems", err, err, name)
			}
			for _, msg := range pe.Problems {
				if strings.TrimSpace(msg) == "" {
					t.Fatalf("an empty problem in %q", pe.Problems)
				}
			}
		} else {
			checkLoaded(t, p, name)
		}
		fuzzing.Within(t, fuzzing.Deadline, "profile.Load (again)", func() { again, againErr = profile.Load(name, data) })
		if fmt.Sprint(againErr) != fmt.Sprint(err) {
			t.Fatalf("loading the same bytes twice gave different problems:\n%v\nthen:\n%v", err, againErr)
		}
		if (again == nil) != (p == nil) {
			t.Fatalf("loading the same bytes twice: profile %v, then %v", p != nil, again != nil)
		}
	})
}

func checkLoaded(t *testing.T, p *profile.Profile, name string) {
	t.Helper()
	tg := p.Target
	switch {
	case p.Version != profile.Version, p.Name == "", tg.Stage == "", p.Source != name:
		t.Fatalf("accepted version %d, name %q, stage %q, source %q", p.Version, p.Name, tg.Stage, p.Source)
	case tg.MaxRate == 0, p.Waits.Request <= 0, p.Waits.Spec <= 0, p.Waits.Poll <= 0, p.Waits.Poll >= p.Waits.Eventually:
		t.Fatalf("defaults not applied or not checked: maxRate %d, waits %+v", tg.MaxRate, p.Waits)
	case p.Tolerances.TimeoutEarly < 0, p.Tolerances.TimeoutLate < 0, p.Waits.Settle < 0, p.Waits.Settle > p.Waits.Spec/2:
		t.Fatalf("accepted tolerances %+v, settle %v", p.Tolerances, p.Waits.Settle)
	case !slices.Contains([]string{"none", "static", "aws-default-chain"}, tg.Credentials):
		t.Fatalf("accepted credentials %q", tg.Credentials)
	}
	for role, path := range p.Routes {
		if !strings.HasPrefix(path, "/") {
			t.Fatalf("accepted route %s: %q", role, path)
		}
	}
	if !tg.Embedded && !tg.AllowNonLoopback {
		// The safety rule: with no opt-in, every URL is loopback.
		for _, u := range []string{tg.RestURL, tg.FixtureURL, tg.ManagementURL, tg.MetricsURL} {
			if u != "" && !loopbackURL(u) {
				t.Fatalf("accepted the non-loopback URL %q without allowNonLoopback", u)
			}
		}
	}
	for _, f := range p.Claimed() {
		if _, ok := p.Features[f]; !ok {
			t.Fatalf("claims %q, which the file does not name", f)
		}
	}
}

// loopbackURL reports whether u names a loopback host, parsed independently
// of the profile package: the host is what follows "//" up to the next
// "/", "?" or "#", without userinfo and port.
func loopbackURL(u string) bool {
	_, rest, ok := strings.Cut(u, "//")
	if !ok {
		return false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host := rest
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			host = host[1:i]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return profile.IsLoopback(host)
}
