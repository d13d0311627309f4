package reports

import (
	"fmt"
	"html"
	"html/template"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The plots over time: for each load phase with a per-second series
// (Phase.Series), latency p50 and p99 per second on a log axis above the
// status codes of each second's requests as stacked bars, sharing one
// time axis. A stall shows as a gap in the lines and an empty bar.

// Time plot geometry, in viewBox units.
const (
	timeLeft    = 80.0 // room for the vertical axes' labels
	timeRight   = 16.0
	timeLatH    = 120.0
	timeGap     = 14.0
	timeCodesH  = 70.0
	timeBottomH = 26.0 // the time axis's labels
	// Narrower than the other plots: two sit side by side on a wide page,
	// and text keeps its size.
	timeWidth = 620.0
)

// timePlots returns a plot over time for each phase with a series.
func timePlots(sc Scenario) []template.HTML {
	var plots []template.HTML
	for _, ph := range sc.Phases {
		if h, ok := timePlot(sc.Name, ph); ok {
			plots = append(plots, h)
		}
	}
	return plots
}

// timePlot draws one phase's series.
func timePlot(scenario string, ph Phase) (template.HTML, bool) {
	series := ph.Series
	if len(series) == 0 {
		return "", false
	}
	from, to := float64(series[0].At), float64(series[len(series)-1].At+1)
	lo, hi, peak := math.Inf(1), 0.0, 0
	codes := map[string]bool{}
	for _, s := range series {
		peak = max(peak, s.Requests)
		for c, n := range s.StatusCodes {
			if n > 0 {
				codes[c] = true
			}
		}
		for _, q := range []float64{s.P50, s.P99} {
			if q > 0 {
				lo, hi = math.Min(lo, 1000*q), math.Max(hi, 1000*q)
			}
		}
	}
	if peak == 0 {
		return "", false
	}
	order := slices.Sorted(maps.Keys(codes))
	title := scenario + " · " + ph.Name + ": per second"

	latTop := plotTopH
	latBottom := latTop + timeLatH
	codesTop := latBottom + timeGap
	codesBottom := codesTop + timeCodesH
	height := codesBottom + timeBottomH + plotLegendH
	xr := timeWidth - timeRight
	x := func(sec float64) float64 { return timeLeft + (sec-from)/(to-from)*(xr-timeLeft) }

	p := &svgPlot{}
	p.b.WriteString(`<svg class="plot plot-time" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + f(timeWidth) + ` ` + f(height) +
		`" width="100%" role="img" aria-label="` + html.EscapeString(title) + `">`)
	p.b.WriteString(`<title>` + html.EscapeString(title) + `</title>`)
	p.text(8, 20, "start", "t", title)

	// The time axis, shared: grid lines through both panels.
	ticks, _, _ := niceTicks(0, to-from, 6)
	for _, t := range ticks {
		if t > to-from || t != math.Trunc(t) { // whole seconds only
			continue
		}
		xt := x(from + t)
		p.line(xt, latTop, xt, latBottom, "grid")
		p.line(xt, codesTop, xt, codesBottom, "grid")
		p.text(xt, codesBottom+16, "middle", "a", tickLabel(t))
	}
	p.text(timeLeft-6, codesBottom+16, "end", "a u", "s")
	p.line(timeLeft, latBottom, xr, latBottom, "ax")
	p.line(timeLeft, codesBottom, xr, codesBottom, "ax")

	// Latency: a log axis in ms, one line per quantile, broken where a
	// second had no response.
	if hi > 0 {
		lo, hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
		if hi <= lo {
			hi = lo * 10
		}
		y := func(ms float64) float64 {
			l := (math.Log10(math.Max(ms, lo)) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
			return latBottom - math.Min(l, 1)*timeLatH
		}
		for _, t := range decadeTicks(lo, hi) {
			p.line(timeLeft, y(t), xr, y(t), "grid")
			p.text(timeLeft-6, y(t)+4, "end", "a", tickLabel(t))
		}
		p.text(timeLeft-40, latTop+timeLatH/2+4, "end", "a u", "ms")
		for _, q := range []struct {
			name, class string
			v           func(Second) float64
		}{{"p50", "q50", func(s Second) float64 { return s.P50 }}, {"p99", "q99", func(s Second) float64 { return s.P99 }}} {
			var run []string
			flush := func() {
				if len(run) > 1 {
					p.b.WriteString(`<polyline class="ln ` + q.class + `" points="` + strings.Join(run, " ") + `"/>`)
				}
				run = run[:0]
			}
			for _, s := range series {
				if s.Requests == 0 || q.v(s) <= 0 {
					flush()
					continue
				}
				cx, cy := x(float64(s.At)+0.5), y(1000*q.v(s))
				run = append(run, f(cx)+","+f(cy))
				p.dot(cx, cy, 2.5, q.class, fmt.Sprintf("second %d %s: %.3f ms (%d requests)", s.At, q.name, 1000*q.v(s), s.Requests))
			}
			flush()
		}
	}

	// Status codes: each second's requests as a bar stacked by code.
	yc := func(n float64) float64 { return codesBottom - n/float64(peak)*timeCodesH }
	p.text(timeLeft-6, codesTop+4, "end", "a", strconv.Itoa(peak))
	p.text(timeLeft-6, codesBottom, "end", "a", "0")
	p.text(timeLeft-40, codesTop+(timeCodesH/2)+4, "end", "a u", "req/s")
	barW := (xr - timeLeft) / (to - from)
	for _, s := range series {
		done := 0.0
		for _, c := range order {
			n := s.StatusCodes[c]
			if n == 0 {
				continue
			}
			top := yc(done + float64(n))
			p.rect(x(float64(s.At))+barW*0.08, top, barW*0.84, yc(done)-top, codeClass(c, order), fmt.Sprintf("second %d · %s: %d of %d", s.At, c, n, s.Requests))
			done += float64(n)
		}
	}

	items := []legendItem{{"p50", "q50"}, {"p99", "q99"}}
	for _, c := range order {
		name := c
		if c == "0" {
			name = "0 (no response)"
		}
		items = append(items, legendItem{name, codeClass(c, order)})
	}
	legendAt(p, codesBottom+timeBottomH+10, items)
	return p.html(), true
}
