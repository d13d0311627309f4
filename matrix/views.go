package matrix

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/gatecheck/gatecheck/reports"
)

// outcomeOrder is how outcomes are listed in counts and legends.
var outcomeOrder = []Outcome{OK, NonStrict, Failed, Invalid, ConfigError, Unsupported, Skipped, Absent}

// shownOutcomes are the outcomes some gateway has, in outcomeOrder: the
// columns of the gateways' table.
func (m *Matrix) shownOutcomes() []Outcome {
	var out []Outcome
	for _, o := range outcomeOrder {
		for _, g := range m.Gateways {
			if g.Counts[o] > 0 {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// footnoted reports whether a cell's reason is worth a footnote: the
// outcomes whose reason says what the gateway did differently.
func footnoted(c Cell) bool {
	switch c.Outcome {
	case OK, Unsupported, Absent:
		return false
	}
	return c.Reason != ""
}

// FeatureSummary is one feature across the gateways: per gateway, the
// count of each outcome among the feature's specs.
type FeatureSummary struct {
	Feature string
	Specs   int
	Counts  []map[Outcome]int // in Gateways' order
}

// Features summarises the rows by feature, sorted by feature name.
func (m *Matrix) Features() []FeatureSummary {
	index := map[string]int{}
	var out []FeatureSummary
	for _, row := range m.Rows {
		i, ok := index[row.Feature]
		if !ok {
			i = len(out)
			index[row.Feature] = i
			fs := FeatureSummary{Feature: row.Feature, Counts: make([]map[Outcome]int, len(m.Gateways))}
			for j := range fs.Counts {
				fs.Counts[j] = map[Outcome]int{}
			}
			out = append(out, fs)
		}
		out[i].Specs++
		for j, c := range row.Cells {
			out[i].Counts[j][c.Outcome]++
		}
	}
	slices.SortFunc(out, func(a, b FeatureSummary) int { return strings.Compare(a.Feature, b.Feature) })
	return out
}

// summaryText is a feature's outcome counts for one gateway: "all OK",
// "unsupported", or "5 OK, 1 NON-STRICT".
func summaryText(counts map[Outcome]int, specs int) string {
	for _, o := range []Outcome{OK, Unsupported, Absent} {
		if counts[o] == specs {
			switch o {
			case OK:
				return "all " + strconv.Itoa(specs) + " OK"
			case Unsupported:
				return "unsupported"
			default:
				return "not run"
			}
		}
	}
	var parts []string
	for _, o := range outcomeOrder {
		if n := counts[o]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+string(o))
		}
	}
	return strings.Join(parts, ", ")
}

// mdCell escapes a Markdown table cell: a reason may quote a gateway's
// HTML error page, which a Markdown renderer would otherwise render.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var mdIcon = map[Outcome]string{OK: "✅", NonStrict: "🔷", Failed: "❌", Invalid: "⚠️", ConfigError: "⚠️", Unsupported: "➖", Skipped: "⏭️", Absent: "·"}

// Markdown renders the matrix: the gateways, a summary by feature, then
// every spec by area with footnotes giving the reason of each NON-STRICT,
// failed or invalid cell.
func Markdown(m *Matrix) []byte {
	var b bytes.Buffer
	b.WriteString("# gatecheck: gateways compared\n\n")
	shown := m.shownOutcomes()
	names := make([]string, len(shown))
	for i, o := range shown {
		names[i] = string(o)
	}
	b.WriteString("| Gateway | Profile | Target | Run | " + strings.Join(names, " | ") + " |\n")
	b.WriteString("| --- | --- | --- | --- |" + strings.Repeat(" ---: |", len(shown)) + "\n")
	for _, g := range m.Gateways {
		started := ""
		if !g.StartedAt.IsZero() {
			started = g.StartedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(&b, "| **%s** | `%s` | %s | %s |", mdCell(g.Name), mdCell(g.Profile), mdCell(g.Target), started)
		for _, o := range shown {
			fmt.Fprintf(&b, " %d |", g.Counts[o])
		}
		b.WriteString("\n")
		if g.RunError != "" {
			fmt.Fprintf(&b, "| | run error: %s | | | |\n", mdCell(reports.FirstLine(g.RunError)))
		}
	}
	b.WriteString("\n## By feature\n\n| Feature | Specs |")
	for _, g := range m.Gateways {
		b.WriteString(" " + mdCell(g.Name) + " |")
	}
	b.WriteString("\n| --- | ---: |" + strings.Repeat(" --- |", len(m.Gateways)) + "\n")
	for _, fs := range m.Features() {
		fmt.Fprintf(&b, "| %s | %d |", mdCell(fs.Feature), fs.Specs)
		for _, c := range fs.Counts {
			b.WriteString(" " + summaryText(c, fs.Specs) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## By spec\n\n")
	b.WriteString("Legend: " + legendText() + ". A numbered cell's reason is in the notes below the table.\n\n")
	b.WriteString("| Area | Spec | Feature |")
	for _, g := range m.Gateways {
		b.WriteString(" " + mdCell(g.Name) + " |")
	}
	b.WriteString("\n| --- | --- | --- |" + strings.Repeat(" --- |", len(m.Gateways)) + "\n")
	var notes []string
	for _, row := range m.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s |", mdCell(row.Area), mdCell(row.Name), mdCell(row.Feature))
		for j, c := range row.Cells {
			cell := mdIcon[c.Outcome] + " " + string(c.Outcome)
			if footnoted(c) {
				notes = append(notes, fmt.Sprintf("%s, %s: %s", m.Gateways[j].Name, row.Name, reports.FirstLine(c.Reason)))
				cell += fmt.Sprintf(" [%d]", len(notes))
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	if len(notes) > 0 {
		b.WriteString("\n### Notes\n\n")
		for i, n := range notes {
			fmt.Fprintf(&b, "%d. %s\n", i+1, mdCell(n))
		}
	}
	return b.Bytes()
}

func legendText() string {
	parts := make([]string, len(outcomeOrder))
	for i, o := range outcomeOrder {
		parts[i] = mdIcon[o] + " " + string(o)
	}
	return strings.Join(parts, ", ")
}

// htmlRow is a row of the HTML table: an area heading or a spec.
type htmlRow struct {
	Area string // set on an area heading row
	Row
	Notes []int // footnote number per cell, 0 for none
}

type htmlNote struct {
	N                   int
	Gateway, Spec, Text string
}

// HTML renders the matrix as one self-contained page (no scripts, no
// outside resources): one column per gateway, one row per spec grouped by
// area, cells coloured by outcome, each cell's reason on hover and, for
// NON-STRICT, failed and invalid cells, in a numbered note.
func HTML(m *Matrix) ([]byte, error) {
	var rows []htmlRow
	var notes []htmlNote
	area := "\x00"
	for _, row := range m.Rows {
		if row.Area != area {
			area = row.Area
			rows = append(rows, htmlRow{Area: area})
		}
		hr := htmlRow{Row: row, Notes: make([]int, len(row.Cells))}
		for j, c := range row.Cells {
			if footnoted(c) {
				notes = append(notes, htmlNote{N: len(notes) + 1, Gateway: m.Gateways[j].Name, Spec: row.Name, Text: c.Reason})
				hr.Notes[j] = len(notes)
			}
		}
		rows = append(rows, hr)
	}
	var b bytes.Buffer
	err := page.Execute(&b, map[string]any{"M": m, "Rows": rows, "Notes": notes, "Features": m.Features(), "Outcomes": m.shownOutcomes()})
	return b.Bytes(), err
}

var page = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"class":   func(o Outcome) string { return "o-" + strings.ToLower(string(o)) },
	"first":   reports.FirstLine,
	"count":   func(c map[Outcome]int, o Outcome) int { return c[o] },
	"summary": summaryText,
	"cols":    func(m *Matrix) int { return len(m.Gateways) + 2 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gatecheck: gateways compared</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1f2328; max-width: 100%; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.area th { background: #eaeef2; text-align: left; font-size: 1.02rem; }
td.run { white-space: nowrap; }
td.cell { text-align: center; font-weight: 600; font-size: 12px; white-space: nowrap; }
td.cell sup a { color: inherit; }
.o-ok { background: #2da44e; color: #fff; } .o-non-strict { background: #54aeff; color: #0b2540; }
.o-failed { background: #cf222e; color: #fff; } .o-invalid, .o-config-error { background: #d4a72c; color: #1f2328; }
.o-unsupported { background: #eaeef2; color: #59636e; font-weight: 400; } .o-skipped { background: #f6f8fa; color: #59636e; font-weight: 400; }
.o-absent { background: #fff; color: #8c959f; font-weight: 400; }
.meta { color: #59636e; } .desc { color: #59636e; font-size: 12px; }
ol.notes li { margin: .25rem 0; } ol.notes pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .2rem 0; background: #f6f8fa; padding: .3rem; border-radius: 4px; }
</style>
</head>
<body>
<h1>gatecheck: gateways compared</h1>
<p class="meta">For each behaviour of Amazon API Gateway that gatecheck checks, what each gateway did: OK (as AWS), NON-STRICT (the behaviour, with an outcome its profile declares, such as its own error page), FAILED, or UNSUPPORTED (its profile does not claim the feature, with the reason). Hover over a cell for its reason.</p>
<table>
<tr><th>Gateway</th><th>Profile</th><th>Target</th><th>Run</th>{{range .Outcomes}}<th class="{{class .}}">{{.}}</th>{{end}}</tr>
{{range .M.Gateways}}{{$g := .}}<tr><td><b>{{.Name}}</b>{{with .RunError}}<br><span class="o-failed">run error</span> {{first .}}{{end}}</td><td><code>{{.Profile}}</code></td><td>{{.Target}}</td><td class="run">{{if not .StartedAt.IsZero}}{{.StartedAt.UTC.Format "2006-01-02 15:04 UTC"}}{{end}}{{with .Tool}}<br><span class="meta">{{.}}</span>{{end}}</td>{{range $.Outcomes}}<td class="n">{{count $g.Counts .}}</td>{{end}}</tr>
{{end}}</table>

<h2>By feature</h2>
<table>
<tr><th>Feature</th><th>Specs</th>{{range .M.Gateways}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Features}}{{$f := .}}<tr><td>{{.Feature}}</td><td class="n">{{.Specs}}</td>{{range .Counts}}<td>{{summary . $f.Specs}}</td>{{end}}</tr>
{{end}}</table>

<h2>By spec</h2>
<table>
<tr><th>Spec</th><th>Feature</th>{{range .M.Gateways}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Rows}}{{if .Area}}<tr class="area"><th colspan="{{cols $.M}}">{{.Area}}</th></tr>
{{else}}{{$r := .}}<tr><td><b>{{.Name}}</b> <span class="meta">{{.Section}}</span><div class="desc">{{.Description}}</div></td><td>{{.Feature}}</td>{{range $i, $c := .Cells}}<td class="cell {{class $c.Outcome}}" title="{{first $c.Reason}}">{{$c.Outcome}}{{with index $r.Notes $i}}<sup><a href="#n{{.}}">{{.}}</a></sup>{{end}}</td>{{end}}</tr>
{{end}}{{end}}</table>

{{with .Notes}}<h2>Notes</h2>
<ol class="notes">{{range .}}<li id="n{{.N}}"><b>{{.Gateway}}</b>, {{.Spec}}<pre>{{.Text}}</pre></li>
{{end}}</ol>{{end}}
</body>
</html>
`))
