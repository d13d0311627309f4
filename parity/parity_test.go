package parity_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/parity"
	_ "github.com/gatecheck/gatecheck/suites" // registers every check
)

var update = flag.Bool("update", false, "rewrite docs/parity.md from the table")

const doc = "../docs/parity.md"

// The generated document is current: a change to the table (or a check
// added without a row) shows here.
func TestDocumentIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := parity.Markdown(&b, parity.Rows); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(doc, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(doc)
	if err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not the table's current rendering (%v): run go test ./parity -update", doc, err)
	}
}

// Every registered check stands in some row, so it traces to a source;
// every check a row names exists.
func TestEveryCheckHasARow(t *testing.T) {
	named := parity.Checks(parity.Rows)
	for _, c := range conformance.Checks() {
		if !slices.Contains(named, c) {
			t.Errorf("check %s is in no row of parity.Rows: add the behaviour it checks, with its source", c)
		}
	}
	for _, c := range named {
		if _, _, ok := conformance.Lookup(c); !ok {
			t.Errorf("a row names check %s, which is not registered", c)
		}
	}
}

// A row is whole: a behaviour, a source, a confidence tag, a support
// value; an UNCONFIRMED behaviour that checks cover says how they treat it.
func TestRowsAreWhole(t *testing.T) {
	tags := []parity.Confidence{parity.DOC, parity.MODEL, parity.AWSREC, parity.KC, parity.OBS, parity.UNCONFIRMED}
	for i, r := range parity.Rows {
		if r.Area == "" || r.What == "" || r.Source == "" || !slices.Contains(tags, r.Confidence) ||
			(r.Emulated != parity.Yes && r.Emulated != parity.Partly && r.Emulated != parity.No) {
			t.Errorf("row %d (%q) is incomplete: %+v", i, r.What, r)
		}
		if r.Confidence == parity.UNCONFIRMED && len(r.Checks) > 0 && r.Note == "" {
			t.Errorf("row %d (%q): checks cover an UNCONFIRMED behaviour; say in Note how they keep from failing a gateway on it", i, r.What)
		}
		if r.Emulated == parity.No && len(r.Checks) > 0 {
			t.Errorf("row %d (%q): checks of a behaviour the reference gateway does not emulate would fail it", i, r.What)
		}
	}
}
