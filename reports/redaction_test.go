package reports

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// secretReport holds secrets where a run puts target text: failure
// reasons (a canonical request echoed by InvalidSignatureException),
// scenario and phase reasons, and the target URL.
func secretReport() (*Report, []string) {
	const token, password, apiKey = "TkRedactTest/ab+cd==", "pw9RedactTest", "KeyRedactTest01"
	canonical := "InvalidSignatureException: The request signature we calculated does not match.\n\n" +
		"The Canonical String for this request should have been\n'PATCH\n/usageplans/p/keys/k/usage\n\n" +
		"host:127.0.0.1:8081\nx-amz-date:20260101T000000Z\nx-amz-security-token:" + token + "\n\nhost;x-amz-date;x-amz-security-token\nabc'"
	r := sampleReport()
	r.Profile.Target = "http://gatecheck:" + password + "@127.0.0.1:8080"
	r.Specs = append(r.Specs,
		Spec{Name: "Signed", Area: "usage-plans", Feature: "usage-plans", Kind: KindConformance, Verdict: Failed, Grade: GradeFailed, Reason: canonical},
		Spec{Name: "Keyed", Area: "api-keys", Feature: "api-keys", Kind: KindConformance, Verdict: Passed, Grade: GradeNonStrict, Reason: "sent x-api-key:" + apiKey},
		Spec{Name: "Load", Area: "callbacks", Feature: "websocket-callbacks", Kind: KindScenario, Verdict: Failed, Grade: GradeFailed, Reason: "x-amz-security-token:" + token})
	r.Scenarios = append(r.Scenarios, Scenario{Name: "Load", Feature: "websocket-callbacks", Verdict: Failed, Reason: "GET http://u:" + password + "@h/x",
		Phases: []Phase{{Name: "p", Verdict: Failed, Reason: "X-Api-Key: " + apiKey}}})
	r.Summarize()
	return r, []string{token, password, apiKey}
}

// outputs writes r in every format and returns each file's text and the
// terminal summary.
func outputs(t *testing.T, r *Report) map[string]string {
	t.Helper()
	written, err := r.WriteAll(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for format, path := range written {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(path)+" ("+format+")"] = string(b)
	}
	var summary strings.Builder
	WriteSummary(&summary, r)
	out["terminal summary"] = summary.String()
	return out
}

func TestRedactCoversEveryFormat(t *testing.T) {
	r, secrets := secretReport()
	// Unredacted, the secrets do reach the files: the check below can fail.
	leaked := 0
	for _, text := range outputs(t, r) {
		if strings.Contains(text, secrets[0]) || strings.Contains(text, secrets[1]) {
			leaked++
		}
	}
	if leaked == 0 {
		t.Fatal("the sample secrets never reach the outputs: the test proves nothing")
	}

	r.Redact()
	for name, text := range outputs(t, r) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s leaks %q", name, s)
			}
		}
	}
	if r.Profile.Target != "http://REDACTED@127.0.0.1:8080" {
		t.Errorf("target = %q", r.Profile.Target)
	}
	reason := r.Specs[len(r.Specs)-3].Reason
	if !strings.Contains(reason, "x-amz-security-token:REDACTED\n") || !strings.Contains(reason, "host:127.0.0.1:8081\n") {
		t.Errorf("want the token line redacted and the rest of the reason kept:\n%s", reason)
	}
	if got := r.Scenarios[len(r.Scenarios)-1].Phases[0].Reason; got != "X-Api-Key: REDACTED" {
		t.Errorf("phase reason = %q", got)
	}
}

// Strings in map values are redacted too (a later field may be one), and
// the walk leaves other values alone.
func TestRedactReachesMapValues(t *testing.T) {
	v := struct {
		Labels map[string]string
		Nested map[string]struct{ Reason string }
		Counts map[string]int
	}{
		Labels: map[string]string{"target": "http://user:s3cretPassw0rd@127.0.0.1:8080"},
		Nested: map[string]struct{ Reason string }{"a": {Reason: "x-api-key: k3yValue0123456789"}},
		Counts: map[string]int{"200": 3},
	}
	redactStrings(reflect.ValueOf(&v).Elem())
	if strings.Contains(v.Labels["target"], "s3cretPassw0rd") || strings.Contains(v.Nested["a"].Reason, "k3yValue0123456789") {
		t.Fatalf("map values kept secrets: %+v", v)
	}
	if v.Counts["200"] != 3 {
		t.Fatalf("counts changed: %v", v.Counts)
	}
}
