package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/runner"
)

// `gatecheck help` lists every verb and every flag of every verb, and each
// verb's --help lists its own flags: both come from the flag sets the
// commands parse with.
func TestUsageListsEveryVerbAndFlag(t *testing.T) {
	code, help, _ := gatecheck(t, "help")
	if code != 0 {
		t.Fatalf("help exited %d", code)
	}
	flags := 0
	for _, c := range commands() {
		if !strings.Contains(help, "gatecheck "+c.name+" ") && !strings.Contains(help, "gatecheck "+c.name+"\n") {
			t.Errorf("usage lacks the verb %q", c.name)
		}
		if c.flags == nil {
			continue
		}
		args := append(strings.Fields(c.name), "--help")
		code, out, errOut := gatecheck(t, args...)
		if code != 0 {
			t.Errorf("gatecheck %s --help exited %d", c.name, code)
		}
		c.flags().VisitAll(func(f *flag.Flag) {
			flags++
			if !strings.Contains(help, "--"+f.Name+"\n") && !strings.Contains(help, "--"+f.Name+" ") {
				t.Errorf("gatecheck help lacks %s's flag --%s", c.name, f.Name)
			}
			if !strings.Contains(out+errOut, "--"+f.Name) {
				t.Errorf("gatecheck %s --help lacks --%s", c.name, f.Name)
			}
		})
	}
	if flags < 50 { // serve alone has more: the table must not have lost its flag sets
		t.Errorf("only %d flags found over all commands", flags)
	}
	for _, want := range []string{"list", "compare BASE.json OTHER.json", "profiles validate FILE…", "3 target unreachable"} {
		if !strings.Contains(help, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

// The bench modes the usage lists are the ones bench accepts.
func TestUnknownBenchModeNamesTheModes(t *testing.T) {
	code, _, stderr := gatecheck(t, "bench", "bogus")
	if code != runner.ExitConfig || !strings.Contains(stderr, "overhead, throttle, callbacks") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

func TestList(t *testing.T) {
	code, out, stderr := gatecheck(t, "list")
	if code != 0 {
		t.Fatalf("list exited %d: %s", code, stderr)
	}
	sections := map[string]int{}
	for _, s := range []string{"SPECS (", "AREAS (", "FEATURES (", "LABELS ("} {
		sections[s] = strings.Index(out, s)
		if sections[s] < 0 {
			t.Fatalf("list lacks the section %q:\n%s", s, out)
		}
	}
	if !(sections["SPECS ("] < sections["AREAS ("] && sections["AREAS ("] < sections["FEATURES ("] && sections["FEATURES ("] < sections["LABELS ("]) {
		t.Errorf("sections out of order: %v", sections)
	}
	specs := out[:sections["AREAS ("]]
	for _, name := range conformance.Checks() {
		c, area, _ := conformance.Lookup(name)
		if !strings.Contains(specs, name) || !strings.Contains(specs, c.Section) {
			t.Errorf("spec %s (%s) not listed with its section", name, area)
		}
		for _, l := range conformance.Labels(name) {
			if !strings.Contains(out[sections["LABELS ("]:], l) {
				t.Errorf("label %s not listed", l)
			}
		}
	}
	feats := out[sections["FEATURES ("]:sections["LABELS ("]]
	for _, f := range profile.RegisteredFeatures() {
		if !strings.Contains(feats, f.Name) || !strings.Contains(feats, f.Description) {
			t.Errorf("feature %s not listed with its description", f.Name)
		}
	}

	code, out, _ = gatecheck(t, "list", "--label-filter", "area:errors")
	if code != 0 || !strings.Contains(out, "area:errors") || strings.Contains(out, "area:timeouts") {
		t.Errorf("list --label-filter area:errors: exit %d\n%s", code, out)
	}
	if code, _, stderr := gatecheck(t, "list", "--label-filter", "feature:nonexistent"); code != runner.ExitConfig || !strings.Contains(stderr, "selects no spec") {
		t.Errorf("a filter selecting nothing: exit %d, %q", code, stderr)
	}
}
