// Package matrix puts several gateways' runs side by side: for each spec,
// what each gateway did (OK, NON-STRICT, FAILED, UNSUPPORTED, ...), in the
// manner of Gateway API's implementation reports and Autobahn's server
// matrix. A matrix is built from runs' report.json files, so runs from
// different machines (a real AWS run, say) can join the table; it is
// written as matrix.json (the source of truth), matrix.md and matrix.html.
package matrix

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gatecheck/gatecheck/reports"
)

// SchemaVersion identifies matrix.json's format.
const SchemaVersion = "gatecheck.matrix/v1"

// Outcome is a cell of the matrix: a spec's verdict, with a passed spec
// split by its grade.
type Outcome string

const (
	OK          Outcome = "OK"
	NonStrict   Outcome = "NON-STRICT"
	Failed      Outcome = "FAILED"
	Unsupported Outcome = "UNSUPPORTED"
	Skipped     Outcome = "SKIPPED"
	Invalid     Outcome = "INVALID"
	ConfigError Outcome = "CONFIG-ERROR"
	Absent      Outcome = "ABSENT" // the gateway's run has no such spec (another gatecheck version, a label filter)
)

// OutcomeOf is a spec's outcome.
func OutcomeOf(sp reports.Spec) Outcome {
	switch sp.Verdict {
	case reports.Passed:
		if sp.Grade == reports.GradeNonStrict {
			return NonStrict
		}
		return OK
	case reports.Failed:
		return Failed
	case reports.Unsupported:
		return Unsupported
	case reports.Skipped:
		return Skipped
	case reports.Invalid:
		return Invalid
	case reports.ConfigError:
		return ConfigError
	}
	return Outcome(strings.ToUpper(string(sp.Verdict)))
}

// Gateway is one column: a run of gatecheck against one gateway.
type Gateway struct {
	Name      string    `json:"name"`
	Profile   string    `json:"profile"` // the profile's source
	Target    string    `json:"target,omitempty"`
	Tool      string    `json:"tool,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	// RunError is set when the run could not test the gateway at all.
	RunError string `json:"runError,omitempty"`
	// Counts per outcome.
	Counts map[Outcome]int `json:"counts"`
}

// Cell is one gateway's outcome for one spec, with its reason.
type Cell struct {
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
}

// Row is one spec across the gateways; Cells is in Gateways' order.
type Row struct {
	Area        string `json:"area"`
	Name        string `json:"name"`
	Feature     string `json:"feature"`
	Section     string `json:"section"`
	Description string `json:"description"`
	Cells       []Cell `json:"cells"`
}

// Matrix is gateways × specs.
type Matrix struct {
	SchemaVersion string    `json:"schemaVersion"`
	Gateways      []Gateway `json:"gateways"`
	Rows          []Row     `json:"rows"`
}

// Run is one gateway's run: its column name and its report.
type Run struct {
	Name   string
	Report *reports.Report
}

// Build puts the runs side by side, in the order given. Rows are every
// spec any run has, sorted by area and name.
func Build(runs []Run) *Matrix {
	m := &Matrix{SchemaVersion: SchemaVersion}
	type key struct{ area, name string }
	rows := map[key]*Row{}
	for i, run := range runs {
		r := run.Report
		g := Gateway{Name: run.Name, Profile: r.Profile.Source, Target: r.Profile.Target, StartedAt: r.StartedAt,
			Tool: strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version), Counts: map[Outcome]int{}}
		if r.RunError != nil {
			g.RunError = r.RunError.Message
		}
		for _, sp := range r.Specs {
			k := key{sp.Area, sp.Name}
			row := rows[k]
			if row == nil {
				row = &Row{Area: sp.Area, Name: sp.Name, Feature: sp.Feature, Section: sp.Section, Description: sp.Description,
					Cells: make([]Cell, len(runs))}
				for j := range row.Cells {
					row.Cells[j] = Cell{Outcome: Absent}
				}
				rows[k] = row
			}
			o := OutcomeOf(sp)
			cell := Cell{Outcome: o}
			if o != OK {
				cell.Reason = sp.Reason
			}
			row.Cells[i] = cell
			g.Counts[o]++
		}
		m.Gateways = append(m.Gateways, g)
	}
	for _, row := range rows {
		m.Rows = append(m.Rows, *row)
	}
	slices.SortFunc(m.Rows, func(a, b Row) int { return cmp.Or(strings.Compare(a.Area, b.Area), strings.Compare(a.Name, b.Name)) })
	return m
}

// ReadRuns reads dir/report.json for each run directory; a directory's
// column is named name=DIR's name, or its base name, or the profile's name
// when the base name is not telling ("." or a report file).
func ReadRuns(args []string) ([]Run, error) {
	var runs []Run
	var problems []string
	seen := map[string]bool{}
	for _, arg := range args {
		name, dir, named := strings.Cut(arg, "=")
		if !named {
			dir, name = arg, ""
		}
		path := dir
		if filepath.Ext(path) != ".json" {
			path = filepath.Join(dir, "report.json")
		}
		r, err := reports.ReadJSON(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v (want a directory written by `gatecheck run --out`, or its report.json)", arg, err))
			continue
		}
		if name == "" {
			name = filepath.Base(filepath.Dir(path))
			if name == "." || name == "/" {
				name = r.Profile.Name
			}
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("%s: a second column named %q (name it: NAME=%s)", arg, name, dir))
			continue
		}
		seen[name] = true
		runs = append(runs, Run{Name: name, Report: r})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("matrix: %s", strings.Join(problems, "\n  "))
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("matrix: no runs given")
	}
	return runs, nil
}

// Write writes matrix.json, matrix.md and matrix.html into dir.
func Write(dir string, m *Matrix) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	page, err := HTML(m)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"matrix.json": append(b, '\n'), "matrix.md": Markdown(m), "matrix.html": page} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Read reads a matrix.json.
func Read(path string) (*Matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Matrix
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %q, want %q", path, m.SchemaVersion, SchemaVersion)
	}
	return &m, nil
}
