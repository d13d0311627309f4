package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"os"
	"slices"
	"strings"
)

// HTMLFile is the self-contained HTML page WriteAll writes.
const HTMLFile = "report.html"

// HTML renders r as one self-contained page (inline CSS, no scripts, no
// external resources) for people who gate a release on it: the verdict,
// the per-area table, every failure with its reason, every NON-STRICT pass
// with its reason (in a colour of its own), each load scenario's plots
// (inline SVG, plots.go) and phases with rates, status codes, latency
// percentiles and measurements, the unsupported specs collapsed by
// feature, and every other spec with its verdict. It fits a 1280 px
// window (html_browser_test.go renders it in Chromium). Like the other formats it is derived
// from r alone.
func HTML(r *Report) ([]byte, error) {
	groups := groupByArea(r.Specs)
	slices.SortStableFunc(groups, func(a, b areaGroup) int { return strings.Compare(a.Name, b.Name) })
	type areaRow struct {
		Name  string
		Tally tally
		Time  string
	}
	var areas []areaRow
	for _, g := range groups {
		t := count(g.Specs)
		areas = append(areas, areaRow{g.Name, t, humanDuration(t.Seconds)})
	}
	var failures, specs []Spec
	for _, g := range groups {
		for _, sp := range g.Specs {
			if sp.Verdict != Unsupported { // collapsed by feature instead
				specs = append(specs, sp)
			}
			if sp.Verdict == Failed || sp.Verdict == Invalid || sp.Verdict == ConfigError {
				failures = append(failures, sp)
			}
		}
	}
	all := count(r.Specs)
	var scenarios []scenarioView
	for _, sc := range r.Scenarios {
		scenarios = append(scenarios, scenarioView{sc, scenarioPlots(sc), timePlots(sc)})
	}
	data := map[string]any{
		"R": r, "All": all, "Counts": all.counts(), "Areas": areas,
		"Failures": failures, "NonStrict": nonStrict(r.Specs), "Specs": specs, "Scenarios": scenarios, "Unsupported": unsupportedByFeature(r.Specs), "PlotStyle": template.CSS(plotStyle), "Duration": humanDuration(runSeconds(r)),
		"Tool": strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
	}
	word, shown := headline(r, all)
	data["Verdict"], data["Banner"] = word, string(shown)
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// scenarioView is a load scenario with its plots (inline SVG): by phase,
// and each phase over time.
type scenarioView struct {
	Scenario
	Plots     []template.HTML
	TimePlots []template.HTML
}

// featureGroup is the unsupported specs of one feature.
type featureGroup struct {
	Feature string
	Reason  string // the first spec's reason; each spec shows its own
	Specs   []Spec
}

// unsupportedByFeature groups the unsupported specs by feature, in
// feature order, each group's specs in area and name order.
func unsupportedByFeature(specs []Spec) []featureGroup {
	byFeature := map[string][]Spec{}
	for _, sp := range specs {
		if sp.Verdict == Unsupported {
			byFeature[sp.Feature] = append(byFeature[sp.Feature], sp)
		}
	}
	var groups []featureGroup
	for _, feature := range slices.Sorted(maps.Keys(byFeature)) {
		g := byFeature[feature]
		slices.SortStableFunc(g, func(a, b Spec) int {
			if c := strings.Compare(a.Area, b.Area); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		groups = append(groups, featureGroup{feature, g[0].Reason, g})
	}
	return groups
}

// WriteHTML writes HTML(r) to path.
func (r *Report) WriteHTML(path string) error {
	page, err := HTML(r)
	if err != nil {
		return err
	}
	return os.WriteFile(path, page, 0o644)
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":   func(s float64) string { return fmt.Sprintf("%.3f", 1000*s) },
	"rate": func(f float64) string { return fmt.Sprintf("%.0f/s", f) },
	"area": areaName,
	"sortedKeys": func(m any) []string {
		var keys []string
		switch m := m.(type) {
		case map[string]float64:
			for k := range m {
				keys = append(keys, k)
			}
		case map[string]int:
			for k := range m {
				keys = append(keys, k)
			}
		case map[string]Latency:
			for k := range m {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		return keys
	},
	"num":   func(f float64) string { return fmt.Sprintf("%.4g", f) },
	"secs":  humanDuration,
	"lower": func(v Verdict) string { return strings.ToLower(string(v)) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gatecheck: {{.Verdict}} — {{.R.Profile.Name}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; padding: 0 1.5rem; max-width: 1180px; color: #1f2328; overflow-wrap: break-word; }
h1 { margin: 0 0 .3rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
.banner { padding: .8rem 1rem; border-radius: 6px; margin-bottom: 1rem; }
.banner.passed { background: #dafbe1; border: 1px solid #4ac26b; } .banner.failed, .banner.config-error, .banner.error { background: #ffebe9; border: 1px solid #ff8182; }
.meta { color: #59636e; }
table { border-collapse: collapse; margin: .5rem 0; max-width: 100%; } th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.v-passed { color: #1a7f37; font-weight: 600; } .v-failed { color: #cf222e; font-weight: 600; } .v-invalid, .v-config-error { color: #9a6700; font-weight: 600; }
.v-unsupported, .v-skipped { color: #59636e; }
.v-non-strict { color: #0550ae; font-weight: 600; } /* passed, but not as AWS would: not OK's green */
pre { white-space: pre-wrap; background: #f6f8fa; padding: .5rem; border-radius: 4px; margin: .3rem 0; max-width: 100rem; }
.kv { font-family: ui-monospace, monospace; font-size: 12px; }
table.wide { width: 100%; } th, td.n, td.kv { white-space: nowrap; } /* headers, numbers and measurements stay whole; prose wraps */
pre, td.r { overflow-wrap: anywhere; } /* a long token in a reason wraps instead of widening the page */
details { border: 1px solid #d0d7de; border-radius: 6px; padding: .3rem .7rem; margin: .3rem 0; } summary { cursor: pointer; }
{{.PlotStyle}}</style>
</head>
<body>
<div class="banner {{.Banner}}">
<h1>gatecheck: {{.Verdict}}</h1>
{{with .R.RunError}}<p><b>Run error ({{.Kind}}):</b> {{.Message}}{{with .Field}}<br><b>Fix:</b> the profile field <code>{{.}}</code>{{end}}</p>{{end}}
<div>{{.Counts}}.</div>
</div>
<p class="meta">Profile <b>{{.R.Profile.Name}}</b>{{with .R.Profile.Target}} · target {{.}}{{end}} · {{.Tool}} · {{.Duration}}{{if not .R.StartedAt.IsZero}} · started {{.R.StartedAt.UTC.Format "2006-01-02 15:04:05 UTC"}}{{end}}{{with .R.LabelFilter}} · label filter <code>{{.}}</code>{{end}}</p>

<h2>Areas</h2>
<table>
<tr><th>Area</th><th>Passed</th><th>Non-strict</th><th>Failed</th><th>Unsupported</th><th>Skipped</th><th>Time</th></tr>
{{range .Areas}}<tr><td>{{.Name}}</td><td class="n">{{.Tally.Passed}}</td><td class="n">{{.Tally.NonStrict}}</td><td class="n">{{.Tally.Failed}}</td><td class="n">{{.Tally.Unsupported}}</td><td class="n">{{.Tally.Skipped}}</td><td class="n">{{.Time}}</td></tr>
{{end}}<tr><th>Total</th><th class="n">{{.All.Passed}}</th><th class="n">{{.All.NonStrict}}</th><th class="n">{{.All.Failed}}</th><th class="n">{{.All.Unsupported}}</th><th class="n">{{.All.Skipped}}</th><th class="n">{{.Duration}}</th></tr>
</table>

{{if .Failures}}<h2>Failures, invalid scenarios and configuration errors</h2>
{{range .Failures}}<h3><span class="v-{{lower .Verdict}}">{{.Verdict}}</span> {{area .Area}}/{{.Name}} <span class="meta">[{{.Feature}}, {{.Section}}]</span></h3>
<div>{{.Description}}</div>
<pre>{{.Reason}}</pre>{{with .Location}}<div class="meta">at {{.}}</div>{{end}}
{{end}}{{end}}

{{if .NonStrict}}<h2 id="non-strict">NON-STRICT passes</h2>
<p>These specs passed with an outcome the profile declares but AWS would not give.</p>
<table class="wide">
<tr><th>Spec</th><th>Feature</th><th>Section</th><th>Behaviour checked</th><th>Reason</th></tr>
{{range .NonStrict}}<tr><td class="v-non-strict">{{area .Area}}/{{.Name}}</td><td>{{.Feature}}</td><td>{{.Section}}</td><td>{{.Description}}</td><td><pre>{{.Reason}}</pre></td></tr>
{{end}}</table>
{{end}}

{{if .Scenarios}}<h2>Load scenarios</h2>
<p class="meta">For each scenario: its phases side by side (latency quantiles, status-code shares, and the scenario's own measure against its bound), then each phase second by second (latency p50 and p99, and the status codes of the requests sent in that second). The raw results hold every request.</p>
{{range .Scenarios}}<h3>{{.Name}} <span class="meta">[{{.Feature}}]</span>: <span class="v-{{lower .Verdict}}">{{.Verdict}}</span></h3>
{{with .Reason}}<div>{{.}}</div>{{end}}
{{with .Plots}}<div class="plots">{{range .}}{{.}}{{end}}</div>{{end}}
{{with .TimePlots}}<div class="plots over-time">{{range .}}{{.}}{{end}}</div>{{end}}
<table class="wide">
<tr><th>Phase</th><th>Asked</th><th>Achieved</th><th>Requests</th><th>Status codes</th><th>Latency (ms: p50 / p90 / p99 / max)</th><th>Measurements</th><th>Verdict</th></tr>
{{range .Phases}}{{$p := .}}<tr><td>{{.Name}}</td><td class="n">{{rate .RequestedRate}}</td><td class="n">{{rate .AchievedRate}}</td><td class="n">{{.Requests}}</td>
<td class="kv">{{range sortedKeys .StatusCodes}}{{.}}: {{index $p.StatusCodes .}}<br>{{end}}</td>
<td class="kv">{{range sortedKeys .Latency}}{{$l := index $p.Latency .}}{{.}}: {{ms $l.P50}} / {{ms $l.P90}} / {{ms $l.P99}} / {{ms $l.Max}}<br>{{end}}</td>
<td class="kv">{{range sortedKeys .Values}}{{.}}={{num (index $p.Values .)}}<br>{{end}}</td>
<td><span class="v-{{lower .Verdict}}">{{.Verdict}}</span>{{with .Reason}}<br>{{.}}{{end}}</td></tr>
{{end}}</table>
{{with .RawResults}}<div class="meta">raw results (Vegeta encoding): {{.}}</div>{{end}}
{{end}}{{end}}

{{with .Unsupported}}<h2 id="unsupported">Unsupported specs, by feature</h2>
<p>The profile does not claim these features, so their specs did not run.</p>
{{range .}}<details><summary><b>{{.Feature}}</b>: {{len .Specs}} spec(s) — {{.Reason}}</summary>
<table class="wide"><tr><th>Spec</th><th>Section</th><th>Behaviour checked</th><th>Reason</th></tr>
{{range .Specs}}<tr><td class="v-unsupported">{{area .Area}}/{{.Name}}</td><td>{{.Section}}</td><td>{{.Description}}</td><td class="r">{{.Reason}}</td></tr>
{{end}}</table></details>
{{end}}{{end}}

<h2>All specs{{if .Unsupported}} that ran or were skipped{{end}}</h2>
<table class="wide">
<tr><th>Area</th><th>Spec</th><th>Feature</th><th>Section</th><th>Verdict</th><th>Time</th><th>Behaviour checked</th><th>Reason</th></tr>
{{range .Specs}}<tr><td>{{area .Area}}</td><td>{{.Name}}</td><td>{{.Feature}}</td><td>{{.Section}}</td><td class="v-{{if and (eq .Verdict "passed") (eq .Grade "NON-STRICT")}}non-strict{{else}}{{lower .Verdict}}{{end}}">{{.Verdict}}{{with .Grade}} ({{.}}){{end}}</td><td class="n">{{secs .DurationSeconds}}</td><td>{{.Description}}</td><td class="r">{{if or (ne .Verdict "passed") (eq .Grade "NON-STRICT")}}{{.Reason}}{{end}}</td></tr>
{{end}}</table>
</body>
</html>
`))
