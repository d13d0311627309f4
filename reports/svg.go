package reports

import (
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The HTML report's plots are inline SVG written here, without scripts,
// so the page stays one self-contained file. Every plot is a set of rows
// (a phase, an outcome, a window) against one horizontal axis; each SVG
// has a viewBox and width 100 %, so it scales to the page and never
// widens it. Text is escaped with html.EscapeString; numbers are
// formatted with fixed precision, so the same report gives the same bytes.

// Plot geometry, in viewBox units.
const (
	plotWidth   = 1000.0
	plotLabelW  = 230.0 // room for the row labels on the left
	plotRightW  = 30.0
	plotTopH    = 34.0 // title
	plotRowH    = 28.0
	plotAxisH   = 30.0 // tick labels under the rows
	plotLegendH = 24.0
)

// svgPlot accumulates one plot's SVG.
type svgPlot struct {
	b    strings.Builder
	rows int
	// x maps a value to the horizontal viewBox coordinate.
	x func(float64) float64
}

// f formats a coordinate: one decimal is finer than a pixel at 1280 px.
func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// rowY is the vertical centre of row i.
func rowY(i int) float64 { return plotTopH + plotRowH*(float64(i)+0.5) }

// plotHeight is the viewBox height of a plot of rows rows.
func plotHeight(rows int) float64 { return plotTopH + plotRowH*float64(rows) + plotAxisH + plotLegendH }

// newPlot starts a plot of rows rows titled title; x maps values to the
// plot area [plotLabelW, plotWidth-plotRightW].
func newPlot(title, kind string, rows int, x func(float64) float64) *svgPlot {
	p := &svgPlot{rows: rows, x: x}
	h := plotHeight(rows)
	p.b.WriteString(`<svg class="plot plot-` + kind + `" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + f(plotWidth) + ` ` + f(h) +
		`" width="100%" role="img" aria-label="` + html.EscapeString(title) + `">`)
	p.b.WriteString(`<title>` + html.EscapeString(title) + `</title>`)
	p.text(8, 20, "start", "t", title)
	return p
}

func (p *svgPlot) text(x, y float64, anchor, class, s string) {
	p.b.WriteString(`<text x="` + f(x) + `" y="` + f(y) + `" text-anchor="` + anchor + `" class="` + class + `">` + html.EscapeString(s) + `</text>`)
}

func (p *svgPlot) rect(x, y, w, h float64, class, tip string) {
	p.b.WriteString(`<rect x="` + f(x) + `" y="` + f(y) + `" width="` + f(math.Max(w, 0)) + `" height="` + f(h) + `" class="` + class + `">`)
	if tip != "" {
		p.b.WriteString(`<title>` + html.EscapeString(tip) + `</title>`)
	}
	p.b.WriteString(`</rect>`)
}

func (p *svgPlot) line(x1, y1, x2, y2 float64, class string) {
	p.b.WriteString(`<line x1="` + f(x1) + `" y1="` + f(y1) + `" x2="` + f(x2) + `" y2="` + f(y2) + `" class="` + class + `"/>`)
}

func (p *svgPlot) dot(x, y, r float64, class, tip string) {
	p.b.WriteString(`<circle cx="` + f(x) + `" cy="` + f(y) + `" r="` + f(r) + `" class="` + class + `"><title>` + html.EscapeString(tip) + `</title></circle>`)
}

// rowLabel writes row i's label, shortened so it stays in its margin.
func (p *svgPlot) rowLabel(i int, label string) {
	if r := []rune(label); len(r) > 32 {
		label = string(r[:31]) + "…"
	}
	p.text(plotLabelW-8, rowY(i)+4, "end", "l", label)
}

// axis draws grid lines and labels at ticks under the rows.
func (p *svgPlot) axis(ticks []float64, label func(float64) string, unit string) {
	top, bottom := plotTopH, plotTopH+plotRowH*float64(p.rows)
	for _, t := range ticks {
		x := p.x(t)
		p.line(x, top, x, bottom, "grid")
		p.text(x, bottom+16, "middle", "a", label(t))
	}
	p.line(plotLabelW, bottom, plotWidth-plotRightW, bottom, "ax")
	p.text(plotLabelW-24, bottom+16, "end", "a u", unit) // in the label margin, clear of the ticks
}

// legend writes swatches with their names under the axis.
func (p *svgPlot) legend(items []legendItem) {
	legendAt(p, plotTopH+plotRowH*float64(p.rows)+plotAxisH+10, items)
}

// legendAt writes the legend's swatches on the line at y.
func legendAt(p *svgPlot, y float64, items []legendItem) {
	x := 8.0
	for _, it := range items {
		p.rect(x, y-8, 12, 10, it.class+" lg", "")
		p.text(x+16, y+1, "start", "a", it.name)
		x += 16 + 7*float64(len([]rune(it.name))) + 22
	}
}

type legendItem struct{ name, class string }

// html closes the plot and returns it as markup: every text in it went
// through html.EscapeString.
func (p *svgPlot) html() template.HTML {
	p.b.WriteString(`</svg>`)
	return template.HTML(p.b.String()) //nolint:gosec // built from escaped text and formatted numbers only
}

// linearScale maps [lo, hi] to the plot area.
func linearScale(lo, hi float64) func(float64) float64 {
	if hi <= lo {
		hi = lo + 1
	}
	return func(v float64) float64 {
		v = math.Min(math.Max(v, lo), hi)
		return plotLabelW + (v-lo)/(hi-lo)*(plotWidth-plotLabelW-plotRightW)
	}
}

// logScale maps [lo, hi] (both > 0) logarithmically to the plot area;
// values at or below lo are drawn at lo.
func logScale(lo, hi float64) func(float64) float64 {
	llo, lhi := math.Log10(lo), math.Log10(hi)
	if lhi <= llo {
		lhi = llo + 1
	}
	return func(v float64) float64 {
		l := math.Log10(math.Max(v, lo))
		l = math.Min(l, lhi)
		return plotLabelW + (l-llo)/(lhi-llo)*(plotWidth-plotLabelW-plotRightW)
	}
}

// niceTicks returns about n round ticks (1, 2 or 5 × 10^k apart) covering
// [lo, hi], and the range they span.
func niceTicks(lo, hi float64, n int) (ticks []float64, from, to float64) {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	from, to = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	for i := 0; ; i++ {
		t := from + float64(i)*step
		if t > to+step/2 {
			break
		}
		// Round away float noise so labels and coordinates are stable.
		ticks = append(ticks, math.Round(t/step)*step)
	}
	return ticks, from, to
}

// tickLabel formats a tick without float noise (0.07*100 is 7.000000000000001).
func tickLabel(v float64) string { return strconv.FormatFloat(math.Round(v*1e9)/1e9, 'f', -1, 64) }

// decadeTicks are the powers of ten from lo to hi, for a log axis.
func decadeTicks(lo, hi float64) []float64 {
	var ticks []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		ticks = append(ticks, math.Pow(10, e))
	}
	return ticks
}

// plotStyle is the CSS of the plots, inlined into the page's <style>.
const plotStyle = `
.plots { display: grid; grid-template-columns: 1fr; gap: .6rem; margin: .5rem 0 1rem; max-width: 100%; }
.plots.over-time { grid-template-columns: repeat(auto-fill, minmax(min(100%, 36rem), 1fr)); }
svg.plot { display: block; width: 100%; height: auto; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
svg.plot text { font: 12px system-ui, sans-serif; fill: #1f2328; } svg.plot text.t { font-weight: 600; font-size: 14px; }
svg.plot text.a { fill: #59636e; } svg.plot text.u { font-style: italic; }
svg.plot .grid { stroke: #eaeef2; } svg.plot .ax { stroke: #8c959f; }
svg.plot .band { fill: #dafbe1; stroke: #4ac26b; stroke-dasharray: 3 2; }
svg.plot .whisker { stroke: #1f2328; stroke-width: 1.5; } svg.plot .val { fill: #0969da; stroke: #fff; }
svg.plot .ref { stroke: #bf3989; stroke-width: 2.5; } svg.plot .ref-sw { fill: #bf3989; }
svg.plot .span { stroke: #afb8c1; stroke-width: 2; }
svg.plot polyline.ln { fill: none; stroke-width: 1.5; } svg.plot polyline.q50 { stroke: #1a7f37; } svg.plot polyline.q99 { stroke: #9a6700; }
svg.plot .q50 { fill: #1a7f37; } svg.plot .q90 { fill: #0969da; } svg.plot .q99 { fill: #9a6700; } svg.plot .qmax { fill: #cf222e; }
svg.plot .c2 { fill: #2da44e; } svg.plot .c2b { fill: #7ee2a8; } svg.plot .c3 { fill: #54aeff; } svg.plot .c429 { fill: #d4a72c; }
svg.plot .c4 { fill: #fb8f44; } svg.plot .c5 { fill: #cf222e; } svg.plot .c0 { fill: #8c959f; }
`
