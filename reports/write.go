package reports

import (
	"fmt"
	"os"
	"path/filepath"
)

// File names written by WriteAll.
const (
	JSONFile     = "report.json"
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
)

// WriteAll creates dir (mode 0755, with parents) and writes the report in
// every file format: report.json, junit.xml, summary.md and report.html. It
// returns the written paths keyed by format ("json", "junit", "markdown",
// "html"). It writes r as
// given; call r.Summarize first if r.Specs changed.
func (r *Report) WriteAll(dir string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	written := map[string]string{}
	for _, f := range []struct {
		format, name string
		write        func(string) error
	}{
		{"json", JSONFile, r.WriteJSON},
		{"junit", JUnitFile, r.WriteJUnit},
		{"markdown", MarkdownFile, r.WriteMarkdown},
		{"html", HTMLFile, r.WriteHTML},
	} {
		path := filepath.Join(dir, f.name)
		if err := f.write(path); err != nil {
			return written, fmt.Errorf("write %s report: %w", f.format, err)
		}
		written[f.format] = path
	}
	return written, nil
}
