package reports

import (
	"fmt"
	"html/template"
	"maps"
	"math"
	"slices"
	"strconv"
)

// The plots of one load scenario, drawn from what the report holds: the
// phases' latency quantiles and status codes, and the measurements some
// scenarios record in Phase.Values (throttling's token-bucket bound,
// the canary split's acceptance region, the cache's expected hit ratio).
// Latency and status codes over time, from each phase's per-second
// series, are in plots_time.go.

// scenarioPlots returns every plot the scenario's data allows.
func scenarioPlots(sc Scenario) []template.HTML {
	var plots []template.HTML
	for _, plot := range []func(Scenario) (template.HTML, bool){latencyPlot, statusPlot, throttlePlot, cachePlot} {
		if h, ok := plot(sc); ok {
			plots = append(plots, h)
		}
	}
	for _, ph := range sc.Phases {
		if h, ok := canaryPlot(sc.Name, ph); ok {
			plots = append(plots, h)
		}
	}
	return plots
}

// has reports whether every key is in the phase's values.
func has(ph Phase, keys ...string) bool {
	for _, k := range keys {
		if _, ok := ph.Values[k]; !ok {
			return false
		}
	}
	return true
}

// latencyPlot: per phase and outcome, p50, p90, p99 and max on a log
// axis in milliseconds (max is often orders of magnitude above p50).
func latencyPlot(sc Scenario) (template.HTML, bool) {
	type row struct {
		label string
		l     Latency
	}
	var rows []row
	lo, hi := math.Inf(1), 0.0
	for _, ph := range sc.Phases {
		for _, outcome := range slices.Sorted(maps.Keys(ph.Latency)) {
			l := ph.Latency[outcome]
			if l.Max <= 0 {
				continue // nothing measured for this outcome
			}
			rows = append(rows, row{ph.Name + " · " + outcome, l})
			for _, q := range []float64{l.P50, l.P90, l.P99, l.Max} {
				if q > 0 {
					lo, hi = math.Min(lo, 1000*q), math.Max(hi, 1000*q)
				}
			}
		}
	}
	if len(rows) == 0 {
		return "", false
	}
	lo, hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	p := newPlot(sc.Name+": latency per phase (ms, log scale)", "latency", len(rows), logScale(lo, hi))
	p.axis(decadeTicks(lo, hi), msLabel, "ms")
	for i, r := range rows {
		y := rowY(i)
		p.rowLabel(i, r.label)
		p.line(p.x(1000*r.l.P50), y, p.x(1000*r.l.Max), y, "span")
		for _, q := range []struct {
			name, class string
			v           float64
		}{{"p50", "q50", r.l.P50}, {"p90", "q90", r.l.P90}, {"p99", "q99", r.l.P99}, {"max", "qmax", r.l.Max}} {
			p.dot(p.x(1000*q.v), y, 5, q.class, fmt.Sprintf("%s %s: %.3f ms", r.label, q.name, 1000*q.v))
		}
	}
	p.legend([]legendItem{{"p50", "q50"}, {"p90", "q90"}, {"p99", "q99"}, {"max", "qmax"}})
	return p.html(), true
}

// msLabel labels a log axis tick in milliseconds.
func msLabel(v float64) string { return tickLabel(v) }

// statusPlot: per phase, the share of each status code as a stacked bar
// (code 0 is Vegeta's "no response").
func statusPlot(sc Scenario) (template.HTML, bool) {
	codes := map[string]bool{}
	var phases []Phase
	for _, ph := range sc.Phases {
		if total := sumCodes(ph.StatusCodes); total > 0 {
			phases = append(phases, ph)
			for c := range ph.StatusCodes {
				codes[c] = true
			}
		}
	}
	if len(phases) == 0 {
		return "", false
	}
	order := slices.Sorted(maps.Keys(codes))
	p := newPlot(sc.Name+": status codes per phase (share of responses)", "status", len(phases), linearScale(0, 100))
	ticks, _, _ := niceTicks(0, 100, 5)
	p.axis(ticks, tickLabel, "% of responses")
	for i, ph := range phases {
		total := float64(sumCodes(ph.StatusCodes))
		p.rowLabel(i, ph.Name)
		done := 0.0
		for _, c := range order {
			n := ph.StatusCodes[c]
			if n == 0 {
				continue
			}
			x0, x1 := p.x(100*done/total), p.x(100*(done+float64(n))/total)
			done += float64(n)
			p.rect(x0, rowY(i)-9, x1-x0, 18, codeClass(c, order), fmt.Sprintf("%s · %s: %d of %.0f", ph.Name, c, n, total))
			if x1-x0 > 70 {
				p.text((x0+x1)/2, rowY(i)+4, "middle", "in", c+": "+strconv.Itoa(n))
			}
		}
	}
	var items []legendItem
	for _, c := range order {
		name := c
		if c == "0" {
			name = "0 (no response)"
		}
		items = append(items, legendItem{name, codeClass(c, order)})
	}
	p.legend(items)
	return p.html(), true
}

// codeClass colours a status code by its class; 429 has its own colour
// as throttling's answer, and a second 2xx code a lighter green.
func codeClass(code string, order []string) string {
	switch {
	case code == "429":
		return "c429"
	case len(code) == 3 && code[0] == '2':
		for _, c := range order {
			if len(c) == 3 && c[0] == '2' {
				if c == code {
					return "c2"
				}
				return "c2b"
			}
		}
	case len(code) == 3 && code[0] == '3':
		return "c3"
	case len(code) == 3 && code[0] == '4':
		return "c4"
	case len(code) == 3 && code[0] == '5':
		return "c5"
	}
	return "c0"
}

func sumCodes(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// intervalRow is one row of an interval plot: a measured value with its
// confidence interval, against a band (the acceptable region) and/or a
// reference value (what was expected).
type intervalRow struct {
	label            string
	val, lo, hi      float64
	ci               bool
	bandLo, bandHi   float64
	band             bool
	ref              float64
	hasRef           bool
	valTip, bandTip  string
	refTip           string
	clampLo, clampHi float64 // the axis never leaves this range
}

// intervalPlot draws rows of intervalRow against one linear axis that
// covers every value drawn, clamped to the first row's clamp range.
func intervalPlot(title, kind, unit string, rows []intervalRow, tick func(float64) string, legend []legendItem) template.HTML {
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(v float64) { lo, hi = math.Min(lo, v), math.Max(hi, v) }
	for _, r := range rows {
		see(r.val)
		if r.ci {
			see(r.lo)
			see(r.hi)
		}
		if r.band {
			see(r.bandLo)
			see(r.bandHi)
		}
		if r.hasRef {
			see(r.ref)
		}
	}
	pad := math.Max((hi-lo)*0.15, math.Abs(hi)*0.01+1e-9)
	lo, hi = math.Max(lo-pad, rows[0].clampLo), math.Min(hi+pad, rows[0].clampHi)
	ticks, from, to := niceTicks(lo, hi, 6)
	from, to = math.Max(from, rows[0].clampLo), math.Min(to, rows[0].clampHi)
	ticks = slices.DeleteFunc(ticks, func(t float64) bool { return t < from || t > to })
	p := newPlot(title, kind, len(rows), linearScale(from, to))
	p.axis(ticks, tick, unit)
	for i, r := range rows {
		y := rowY(i)
		p.rowLabel(i, r.label)
		if r.band {
			p.rect(p.x(r.bandLo), y-11, p.x(r.bandHi)-p.x(r.bandLo), 22, "band", r.bandTip)
		}
		if r.hasRef {
			p.rect(p.x(r.ref)-1.5, y-13, 3, 26, "ref-sw", r.refTip)
		}
		if r.ci {
			p.line(p.x(r.lo), y, p.x(r.hi), y, "whisker")
			p.line(p.x(r.lo), y-5, p.x(r.lo), y+5, "whisker")
			p.line(p.x(r.hi), y-5, p.x(r.hi), y+5, "whisker")
		}
		p.dot(p.x(r.val), y, 5.5, "val", r.valTip)
	}
	p.legend(legend)
	return p.html()
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" }

func pctTick(v float64) string { return tickLabel(100 * v) }
