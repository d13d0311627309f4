// Package suites holds gatecheck's conformance specs, one file per behaviour
// area. Each file declares its feature (profile.RegisterFeature, with the
// values a profile may claim for it) and its checks (conformance.Register).
// Importing the package registers them all.
package suites

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios"
)

// expectGatewayError asserts an API Gateway error response. The status is
// the behaviour under test and must match. The body's message (compared as
// JSON, spec §0) and, when errorType is not empty, the x-amzn-ErrorType
// header belong to gateway-responses: they must match when the check is of
// that feature or the profile claims it; otherwise a different body or
// header is graded NON-STRICT with what AWS would send, since a gateway
// that answers the right status with its own error page implements the
// behaviour (one check judges one behaviour).
func expectGatewayError(t *conformance.T, resp *conformance.Response, status int, message, errorType string) {
	t.Expect(resp.Status).To(gomega.Equal(status), "status: %s", resp)
	msg, ok := resp.Message()
	gotType := resp.Header.Get("x-amzn-ErrorType")
	if ok && msg == message && (errorType == "" || gotType == errorType) {
		return
	}
	if t.Feature == FeatureGatewayResponses || t.Target.Profile.Supports(FeatureGatewayResponses) {
		t.Expect(ok).To(gomega.BeTrue(), "body is not JSON with a message field: %s", resp)
		t.Expect(msg).To(gomega.Equal(message), "message: %s", resp)
		if errorType != "" {
			t.Expect(gotType).To(gomega.Equal(errorType), "x-amzn-ErrorType: %s", resp)
		}
		return
	}
	var differs []string
	if !ok || msg != message {
		differs = append(differs, fmt.Sprintf("body %.120q (AWS: {\"message\":%q})", resp.Body, message))
	}
	if errorType != "" && gotType != errorType {
		differs = append(differs, fmt.Sprintf("x-amzn-ErrorType %q (AWS: %q)", gotType, errorType))
	}
	t.NonStrict("status %d as AWS answers, with the gateway's own error response: %s; the profile does not claim %s", status, strings.Join(differs, ", "), FeatureGatewayResponses)
}

// runScenario runs a load scenario as a check: raw results go to the run's
// artifacts, an attack refused by the safety bounds stops the check as a
// configuration error, with the reason, and the scenario's measurements go
// into the report. The caller grades and then calls judge.
func runScenario(t *conformance.T, name, feature string, run func(raw io.Writer) (*reports.Scenario, error)) *reports.Scenario {
	path := t.ArtifactPath(name + ".vegeta")
	var raw io.Writer
	if path != "" {
		f, err := os.Create(path)
		t.Expect(err).NotTo(gomega.HaveOccurred())
		defer f.Close()
		raw = f
	}
	sc, err := run(raw)
	if errors.Is(err, scenarios.ErrRefused) {
		t.ConfigError("%s not run: %v (fix: `gatecheck profiles validate` names the profile value to change)", name, err)
	}
	t.Expect(err).NotTo(gomega.HaveOccurred(), name)
	sc.Name, sc.Feature, sc.RawResults = name, feature, t.ArtifactRef(name+".vegeta")
	applyThresholds(sc, t.Target.Profile.ThresholdsFor(name, feature))
	t.RecordScenario(sc)
	for _, ph := range sc.Phases {
		t.Logf("%s: %d requests at %.0f/s, status %v, %v", ph.Name, ph.Requests, ph.AchievedRate, ph.StatusCodes, ph.Values)
	}
	return sc
}

// judge ends a scenario check: invalid without a verdict, failed unless passed.
func judge(t *conformance.T, sc *reports.Scenario) {
	if sc.Verdict == reports.Invalid {
		t.Invalid("%s", sc.Reason)
	}
	t.Expect(sc.Verdict).To(gomega.Equal(reports.Passed), "%s", sc.Reason)
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
