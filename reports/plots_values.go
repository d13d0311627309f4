package reports

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// Plots of the measurements scenarios record in Phase.Values. Each is
// drawn for any scenario whose phases carry the values it needs, so a
// renamed scenario keeps its plots.

// throttlePlot: per phase, the accepted rate with its 95 % interval
// against the token-bucket bound, (expectedAccepted ± tolerance) over the
// phase's span, the same bound the scenario judges with.
func throttlePlot(sc Scenario) (template.HTML, bool) {
	var rows []intervalRow
	for _, ph := range sc.Phases {
		if !has(ph, "expectedAccepted", "tolerance", "acceptedRate") || ph.DurationSeconds <= 0 {
			continue
		}
		v, d := ph.Values, ph.DurationSeconds
		r := intervalRow{
			label: ph.Name + " (asked " + strconv.FormatFloat(ph.RequestedRate, 'f', 0, 64) + "/s)",
			val:   v["acceptedRate"], valTip: fmt.Sprintf("%s: accepted %.1f/s (%.0f requests)", ph.Name, v["acceptedRate"], v["accepted"]),
			band: true, bandLo: math.Max(0, v["expectedAccepted"]-v["tolerance"]) / d, bandHi: (v["expectedAccepted"] + v["tolerance"]) / d,
			bandTip: fmt.Sprintf("%s: token-bucket bound %.0f ± %.0f requests in %.2f s", ph.Name, v["expectedAccepted"], v["tolerance"], d),
			clampLo: 0, clampHi: math.Inf(1),
		}
		if has(ph, "acceptedRateLo95", "acceptedRateHi95") {
			r.ci, r.lo, r.hi = true, v["acceptedRateLo95"], v["acceptedRateHi95"]
			r.valTip += fmt.Sprintf(", 95 %% interval %.1f–%.1f/s", r.lo, r.hi)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return "", false
	}
	return intervalPlot(sc.Name+": accepted rate against the token-bucket bound", "throttle", "accepted requests/s", rows,
		tickLabel,
		[]legendItem{{"accepted rate, 95 % interval", "val"}, {"token-bucket bound (expected ± tolerance)", "band"}}), true
}

// cachePlot: per phase, the hit ratio with its 95 % interval against the
// expected hit ratio.
func cachePlot(sc Scenario) (template.HTML, bool) {
	var rows []intervalRow
	for _, ph := range sc.Phases {
		if !has(ph, "hitRatio", "expectedHitRatio") {
			continue
		}
		v := ph.Values
		r := intervalRow{
			label: ph.Name, val: v["hitRatio"], valTip: fmt.Sprintf("%s: hit ratio %s (%.0f hits, %.0f misses)", ph.Name, pct(v["hitRatio"]), v["hits"], v["misses"]),
			hasRef: true, ref: v["expectedHitRatio"], refTip: ph.Name + ": expected hit ratio " + pct(v["expectedHitRatio"]),
			clampLo: 0, clampHi: 1,
		}
		if has(ph, "hitRatioLo95", "hitRatioHi95") {
			r.ci, r.lo, r.hi = true, v["hitRatioLo95"], v["hitRatioHi95"]
			r.valTip += ", 95 % interval " + pct(r.lo) + "–" + pct(r.hi)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return "", false
	}
	return intervalPlot(sc.Name+": cache hit ratio against the expected ratio", "cache", "% hits", rows, pctTick,
		[]legendItem{{"hit ratio, 95 % interval", "val"}, {"expected hit ratio", "ref-sw"}}), true
}

// canaryPlot: the canary's observed share in each window of the phase,
// with its interval at the test's alpha, and over the whole phase against
// the exact binomial test's acceptance region at the declared share. The
// declared share is drawn from Values["percent"] when the scenario
// records it; otherwise the acceptance region's centre stands for it,
// labelled as such (it is within one request of it).
func canaryPlot(name string, ph Phase) (template.HTML, bool) {
	if !has(ph, "acceptLo", "acceptHi", "requests", "canaryFraction") || ph.Values["requests"] <= 0 {
		return "", false
	}
	v := ph.Values
	n := v["requests"]
	declared, declaredName := (v["acceptLo"]+v["acceptHi"])/2/n, "centre of the acceptance region"
	if p, ok := v["percent"]; ok {
		declared, declaredName = p/100, "declared share"
	}
	var rows []intervalRow
	for i := 1; ; i++ {
		w := "window" + strconv.Itoa(i)
		if !has(ph, w+"Fraction", w+"Lo", w+"Hi") {
			break
		}
		rows = append(rows, intervalRow{
			label: w, val: v[w+"Fraction"], valTip: w + ": canary share " + pct(v[w+"Fraction"]) + ", interval " + pct(v[w+"Lo"]) + "–" + pct(v[w+"Hi"]),
			ci: true, lo: v[w+"Lo"], hi: v[w+"Hi"],
			hasRef: true, ref: declared, refTip: declaredName + " " + pct(declared),
			clampLo: 0, clampHi: 1,
		})
	}
	rows = append(rows, intervalRow{
		label: "whole phase", val: v["canaryFraction"],
		valTip: fmt.Sprintf("whole phase: %.0f of %.0f canary, %s", v["canary"], n, pct(v["canaryFraction"])),
		band:   true, bandLo: v["acceptLo"] / n, bandHi: v["acceptHi"] / n,
		bandTip: fmt.Sprintf("acceptance region of the exact binomial test: %.0f–%.0f of %.0f", v["acceptLo"], v["acceptHi"], n),
		hasRef:  true, ref: declared, refTip: declaredName + " " + pct(declared),
		clampLo: 0, clampHi: 1,
	})
	return intervalPlot(name+" · "+ph.Name+": canary share against the declared split", "canary", "% canary", rows, pctTick,
		[]legendItem{{"observed share, interval per window", "val"}, {"acceptance region (whole phase)", "band"}, {declaredName, "ref-sw"}}), true
}
