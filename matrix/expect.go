package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gatecheck/gatecheck/reports"
)

// Expected is a peer's pinned expectations: the outcome of every spec
// against the shipped config and profile. A change is either a harness
// regression or a config that stopped working; either way a person looks.
type Expected struct {
	Gateway string `json:"gateway"`
	// Specs maps a spec to its outcome. Where the gateway itself is not
	// deterministic, a pin lists the outcomes it may give, separated by
	// "|", each narrowed by the text its reason must contain when that
	// matters ("OK|FAILED: write: broken pipe" admits that failure, not
	// another); Notes must then say why.
	Specs map[string]Outcome `json:"specs"`
	Notes map[string]string  `json:"notes,omitempty"`
}

// allows reports whether a pin admits a cell: one of its alternatives
// names the cell's outcome and, when it gives one, a text in its reason.
func allows(pinned Outcome, c Cell) bool {
	for _, alt := range strings.Split(string(pinned), "|") {
		outcome, text, narrowed := strings.Cut(alt, ": ")
		if Outcome(outcome) == c.Outcome && (!narrowed || strings.Contains(c.Reason, text)) {
			return true
		}
	}
	return false
}

// Check lists what is wrong with the pins themselves: a pin with several
// outcomes and no note saying why, or a file pinned for another gateway.
func (e *Expected) Check(name string) []string {
	var out []string
	if e.Gateway != name {
		out = append(out, fmt.Sprintf("%s: the pinned expectations are %q's", name, e.Gateway))
	}
	for spec, pinned := range e.Specs {
		if strings.Contains(string(pinned), "|") && e.Notes[spec] == "" {
			out = append(out, fmt.Sprintf("%s %s: pinned %q with no note saying why the outcome varies", name, spec, pinned))
		}
	}
	slices.Sort(out)
	return out
}

// Repin is column name of m as pins, keeping from old each pin with
// several outcomes (and its note) that still admits what m shows: a
// re-pin does not drop a known nondeterminism because one run landed on
// one side of it.
func Repin(m *Matrix, name string, old *Expected) (*Expected, error) {
	got, err := ExpectedOf(m, name)
	if err != nil || old == nil {
		return got, err
	}
	cells := cellsOf(m, name)
	for spec, pinned := range old.Specs {
		if c, ok := cells[spec]; ok && strings.Contains(string(pinned), "|") && allows(pinned, c) {
			got.Specs[spec] = pinned
			if note := old.Notes[spec]; note != "" {
				if got.Notes == nil {
					got.Notes = map[string]string{}
				}
				got.Notes[spec] = note
			}
		}
	}
	return got, nil
}

// cellsOf is column name's cells by spec name.
func cellsOf(m *Matrix, name string) map[string]Cell {
	j := slices.IndexFunc(m.Gateways, func(g Gateway) bool { return g.Name == name })
	out := map[string]Cell{}
	if j >= 0 {
		for _, row := range m.Rows {
			out[row.Name] = row.Cells[j]
		}
	}
	return out
}

// ExpectedOf is column name's outcomes in m.
func ExpectedOf(m *Matrix, name string) (*Expected, error) {
	j := slices.IndexFunc(m.Gateways, func(g Gateway) bool { return g.Name == name })
	if j < 0 {
		return nil, fmt.Errorf("matrix: no column %q", name)
	}
	e := &Expected{Gateway: name, Specs: map[string]Outcome{}}
	for _, row := range m.Rows {
		if c := row.Cells[j]; c.Outcome != Absent {
			e.Specs[row.Name] = c.Outcome
		}
	}
	return e, nil
}

// ReadExpected reads a peer's expected.json.
func ReadExpected(path string) (*Expected, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e Expected
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &e, nil
}

// WriteExpected writes e as indented JSON, specs sorted by name.
func WriteExpected(path string, e *Expected) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Diff lists every spec whose outcome in column name of m differs from
// want, with the run's reason, sorted by spec name.
func Diff(m *Matrix, name string, want *Expected) []string {
	j := slices.IndexFunc(m.Gateways, func(g Gateway) bool { return g.Name == name })
	if j < 0 {
		return []string{fmt.Sprintf("%s: no such column in the matrix", name)}
	}
	out := want.Check(name)
	seen := map[string]bool{}
	for _, row := range m.Rows {
		c := row.Cells[j]
		seen[row.Name] = true
		w, ok := want.Specs[row.Name]
		switch {
		case !ok && c.Outcome == Absent:
		case !ok:
			out = append(out, fmt.Sprintf("%s %s: %s, not pinned (a new spec? pin it: make matrix-pin)", name, row.Name, c.Outcome))
		case !allows(w, c):
			line := fmt.Sprintf("%s %s: expected %s, got %s", name, row.Name, w, c.Outcome)
			if r := reports.FirstLine(c.Reason); r != "" {
				line += ": " + r
			}
			out = append(out, line)
		}
	}
	for spec, w := range want.Specs {
		if !seen[spec] {
			out = append(out, fmt.Sprintf("%s %s: expected %s, but no run has the spec (renamed or removed? pin again: make matrix-pin)", name, spec, w))
		}
	}
	slices.Sort(out)
	return out
}

// DiffText is Diff's lines as one message, or "".
func DiffText(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "outcomes differ from the pinned expectations:\n  " + strings.Join(lines, "\n  ")
}
