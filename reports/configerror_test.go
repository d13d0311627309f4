package reports

import (
	"encoding/xml"
	"strings"
	"testing"
)

// A spec stopped as a configuration error is neither passed nor failed:
// every format shows it as such, with its reason, and the run's verdict is
// a configuration error even though another spec failed.
func TestConfigErrorInEveryFormat(t *testing.T) {
	const reason = "ThrottleUnderLoad not run: phase 2x: attack refused: rate 400/s is above the profile's maxRate 100"
	r := sampleReport()
	r.Specs = append(r.Specs, Spec{Name: "ThrottleUnderLoad", Area: "throttling", Feature: "throttling", Section: "§3.1", Kind: KindScenario,
		Description: "under load", Verdict: ConfigError, Reason: reason})
	r.Summarize()
	if r.Summary.ConfigErrors != 1 || r.Summary.Failed != 1 || r.Summary.Verdict != ConfigError {
		t.Fatalf("summary = %+v", r.Summary)
	}

	var text strings.Builder
	WriteSummary(&text, r)
	for _, want := range []string{"CONFIGURATION ERROR throttling/ThrottleUnderLoad [throttling, §3.1]", reason, "gatecheck: CONFIGURATION ERROR (1 configuration error, 1 failed, 2 passed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the terminal summary lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "unrecognised") {
		t.Errorf("config-error is reported as an unrecognised verdict:\n%s", text.String())
	}

	md := string(Markdown(r))
	for _, want := range []string{"# ⛔ gatecheck: CONFIGURATION ERROR\n", "## Configuration errors", "| throttling/ThrottleUnderLoad | throttling | §3.1 | " + mdCell(reason) + " |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "unrecognised") {
		t.Errorf("config-error is in the Markdown as an unrecognised verdict:\n%s", md)
	}

	page := string(must(HTML(r)))
	for _, want := range []string{"<title>gatecheck: CONFIGURATION ERROR", `class="banner config-error"`, `<span class="v-config-error">config-error</span> throttling/ThrottleUnderLoad`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	var doc struct {
		Errors int `xml:"errors,attr"`
		Suites []struct {
			Name   string `xml:"name,attr"`
			Errors int    `xml:"errors,attr"`
			Cases  []struct {
				Name  string `xml:"name,attr"`
				Error *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(must(JUnit(r)), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if !strings.HasPrefix(c.Name, "ThrottleUnderLoad") {
				continue
			}
			found = true
			if c.Error == nil || c.Error.Type != "configuration" || c.Error.Message != "configuration error: "+reason || c.Skipped != nil {
				t.Errorf("JUnit case = %+v, want an <error> of type configuration with the reason", c)
			}
			if s.Errors != 1 {
				t.Errorf("suite %s errors = %d, want 1", s.Name, s.Errors)
			}
		}
	}
	if !found || doc.Errors != 1 {
		t.Errorf("JUnit: case found %v, document errors %d, want 1", found, doc.Errors)
	}
}
