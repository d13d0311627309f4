// Package parity is the table of what gatecheck knows about Amazon API
// Gateway: one row per behaviour, with where the behaviour is documented
// or recorded, whether the reference gateway emulates it, and the
// conformance checks that cover it. docs/parity.md is generated from it
// (go test ./parity -update), and tests keep the two in step and every
// registered check in some row: a check without evidence has no row to
// stand in.
package parity

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Confidence is how a behaviour is known, as the behaviour spec tags it
// (spec §0).
type Confidence string

const (
	DOC         Confidence = "DOC"         // the developer guide or API reference
	MODEL       Confidence = "MODEL"       // the AWS Smithy service model
	AWSREC      Confidence = "AWS-REC"     // recorded from real AWS (LocalStack's validated snapshots)
	KC          Confidence = "KC"          // AWS Knowledge Center / re:Post
	OBS         Confidence = "OBS"         // third-party observation of real AWS
	UNCONFIRMED Confidence = "UNCONFIRMED" // no source found: the checks do not assert it
)

// Support is whether the reference gateway emulates a behaviour.
type Support string

const (
	Yes    Support = "yes"
	Partly Support = "partly"
	No     Support = "no"
)

// Behaviour is one row of the table.
type Behaviour struct {
	Area       string     // as the checks' areas: "payload", "cache", …
	What       string     // what API Gateway does, one sentence
	Source     string     // the document or recording (spec section, page, test and date)
	Confidence Confidence // the strongest evidence there is
	Emulated   Support    // in the reference gateway
	Checks     []string   // the conformance checks that cover it
	Note       string     // what is left out, graded NON-STRICT, or only partly emulated
}

// Markdown writes the table, grouped by area in order, rows in table
// order within an area.
func Markdown(w io.Writer, rows []Behaviour) error {
	var b strings.Builder
	b.WriteString("# API Gateway parity table\n\n")
	b.WriteString("Generated from [parity/behaviours.go](../parity/behaviours.go) by `go test ./parity -update`; do not edit by hand.\n\n")
	b.WriteString("Each row is one REST (or WebSocket) behaviour of Amazon API Gateway: where it is documented or recorded ")
	b.WriteString("(the tags of the behaviour spec: DOC the developer guide, MODEL the service model, AWS-REC a response recorded ")
	b.WriteString("from real AWS, KC a Knowledge Center article, OBS a third-party observation, UNCONFIRMED no source), ")
	b.WriteString("whether the reference gateway emulates it, and the conformance checks that cover it. ")
	b.WriteString("A check never fails a gateway on an UNCONFIRMED value.\n\n")
	counts := map[Support]int{}
	checked := 0
	for _, r := range rows {
		counts[r.Emulated]++
		if len(r.Checks) > 0 {
			checked++
		}
	}
	fmt.Fprintf(&b, "%d behaviours: %d emulated, %d partly, %d not; %d covered by checks.\n", len(rows), counts[Yes], counts[Partly], counts[No], checked)
	areas := []string{}
	byArea := map[string][]Behaviour{}
	for _, r := range rows {
		if _, ok := byArea[r.Area]; !ok {
			areas = append(areas, r.Area)
		}
		byArea[r.Area] = append(byArea[r.Area], r)
	}
	for _, a := range areas {
		fmt.Fprintf(&b, "\n## %s\n\n| behaviour | source | evidence | emulated | checks |\n| --- | --- | --- | --- | --- |\n", a)
		for _, r := range byArea[a] {
			what := r.What
			if r.Note != "" {
				what += " *(" + r.Note + ")*"
			}
			checks := make([]string, len(r.Checks))
			for i, c := range r.Checks {
				checks[i] = "`" + c + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(what), linkSources(cell(r.Source)), r.Confidence, r.Emulated, strings.Join(checks, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dgPage matches a developer guide page named in a source
// ("limits.md", "response-transfer-mode.html").
var dgPage = regexp.MustCompile(`\b([a-z0-9]+(?:-[a-z0-9]+)*)\.(?:md|html)\b`)

// linkSources turns the developer guide pages a source names into links,
// so a reader can open the evidence.
func linkSources(s string) string {
	return dgPage.ReplaceAllString(s, "[$1](https://docs.aws.amazon.com/apigateway/latest/developerguide/$1.html)")
}

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Checks lists every check the rows name, sorted.
func Checks(rows []Behaviour) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for _, c := range r.Checks {
			seen[c] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
