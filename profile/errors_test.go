package profile_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/profile"
)

// problems loads y and returns its problems (failing if it loads).
func problems(t *testing.T, y string) []string {
	t.Helper()
	_, err := profile.Load("p.yaml", []byte(y))
	var pe *profile.Error
	if !asError(err, &pe) {
		t.Fatalf("want *profile.Error, got %v", err)
	}
	return pe.Problems
}

// Each problem is at the line of its key, whether the shape check or the
// validation found it, in block or flow style, top level or in a feature.
func TestProblemLinesAreTheKeysLines(t *testing.T) {
	y := strings.Join([]string{
		"version: 1", // 1
		"name: t",    // 2
		"target:",    // 3
		"  stage: test",
		"  restURL: http://example.com", // 5: not loopback
		"  bogus: 1",                    // 6: unknown key
		"features:",                     // 7
		"  test-timeout:",               // 8
		"    timeoutMillis: -1",         // 9: Validate refuses it
		"  fuzz-config: {ratio: 0.5,",   // 10
		"    limits: {max: x}}",         // 11: not a number
		"",
	}, "\n")
	got := problems(t, y)
	for _, want := range []string{
		"line 5: target.restURL: ",
		"line 6: target.bogus: unknown key",
		"line 8: features.test-timeout: timeoutMillis must be positive",
		"line 11: features.fuzz-config.limits.max: want a whole number, got \"x\"",
	} {
		if !containsPrefix(got, want) {
			t.Errorf("no problem starts with %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 4 {
		t.Errorf("want exactly these 4 problems, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// goTypeName matches what the YAML decoder would have said: Go types and
// YAML tags are not the profile author's words.
var goTypeName = regexp.MustCompile(`!!|int64|float64|time\.Duration|profile\.|profile_test\.|unmarshal|struct|\[\]|map\[`)

// A value of the wrong kind says what to write, with no Go type name, and
// does not also appear as a follow-on "required" or range problem.
func TestWrongKindsSayWhatToWrite(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"version: one\nname: t\ntarget: {embedded: true, stage: s}\n", "line 1: version: want a whole number, got \"one\""},
		{"version: 1\nname: t\ntarget: 5\n", "line 3: target: want a map with "},
		{"version: 1\nname: t\ntarget: {embedded: yes please, stage: s, restURL: 'http://127.0.0.1'}\n", "target.embedded: want true or false, got \"yes please\""},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s, maxRate: fast}\n", "target.maxRate: want a whole number, got \"fast\""},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nwaits: {poll: 5}\n", "line 4: waits.poll: want a duration such as 5s or 250ms, got \"5\""},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nroutes: [a, b]\n", "routes: want a map of names to text, got a list"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nfeatures: {fuzz-config: {limits: 3}}\n", "features.fuzz-config.limits: want a map with max, got \"3\""},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nfeatures: {fuzz-config: {items: {a: 1}}}\n", "features.fuzz-config.items: want a list (each item text), got a map"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nfeatures: {fuzz-config: {ratio: [1]}}\n", "features.fuzz-config.ratio: want a number, got a list"},
	}
	for _, c := range cases {
		got := problems(t, c.yaml)
		if !containsSub(got, c.want) {
			t.Errorf("%q: no problem says %q:\n%s", c.yaml, c.want, strings.Join(got, "\n"))
		}
		for _, p := range got {
			if goTypeName.MatchString(p) {
				t.Errorf("%q: problem names a Go type: %s", c.yaml, p)
			}
		}
		if len(got) != 1 {
			t.Errorf("%q: want one problem (no follow-on), got:\n%s", c.yaml, strings.Join(got, "\n"))
		}
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A misspelt key or feature gets the closest known one; a key nothing is
// close to gets the list of known keys.
func TestMisspeltKeysGetDidYouMean(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nwait: {poll: 1s}\n", "line 4: wait: unknown key; did you mean waits?"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s, restUrl: 'http://127.0.0.1'}\n", "target.restUrl: unknown key; did you mean restURL?"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s, maxrate: 5}\n", "did you mean maxRate?"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nfeatures: {test-timout: {}}\n", "features.test-timout: unknown feature; did you mean test-timeout?"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nfeatures:\n  test-timeout: {timeoutMilis: 5}\n", "line 5: features.test-timeout.timeoutMilis: unknown key; did you mean timeoutMillis?"},
		{"version: 1\nname: t\ntarget: {embedded: true, stage: s}\nwaits: {zzzzzz: 1s}\n", "waits.zzzzzz: unknown key; known keys: eventually, poll, request, settle, spec"},
	}
	for _, c := range cases {
		if got := problems(t, c.yaml); !containsSub(got, c.want) {
			t.Errorf("%q: no problem says %q:\n%s", c.yaml, c.want, strings.Join(got, "\n"))
		}
	}
}

// Shape problems and validation problems of one file come together.
func TestShapeAndValidationProblemsAtOnce(t *testing.T) {
	y := "version: 2\nname: t\ntarget: {stage: s, restURL: 'http://example.com', maxRate: lots}\nwaits: {poll: soon}\nfeatures: {nope: {}, test-timeout: {timeoutMillis: x}}\n"
	got := problems(t, y)
	for _, want := range []string{"version: is 2", "target.restURL", "target.maxRate: want a whole number", "waits.poll: want a duration", "features.nope: unknown feature", "features.test-timeout.timeoutMillis: want a whole number"} {
		if !containsSub(got, want) {
			t.Errorf("no problem says %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
