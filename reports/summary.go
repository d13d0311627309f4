package reports

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// maxReasonLines is how many lines of a failure reason the summaries show.
const maxReasonLines = 10

// WriteSummary writes a plain-text (no ANSI colour) summary of r for a
// terminal: a per-area table with a TOTAL row, a block per failed, invalid
// or configuration-error spec, one line per unsupported feature and a final
// verdict line. Counts are computed from r.Specs, not from r.Summary. Write
// errors are ignored, as for fmt.Fprintf; pass a writer that records them
// if they matter.
func WriteSummary(w io.Writer, r *Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// NON-STRICT counts passed specs graded NON-STRICT (a subset of PASSED).
	fmt.Fprintln(tw, "AREA\tPASSED\tNON-STRICT\tFAILED\tUNSUPPORTED\tSKIPPED\tTIME")
	// Areas sorted by name (groupByArea): Ginkgo shuffles the specs, and a
	// table in the same order every run is easier to compare.
	for _, g := range groupByArea(r.Specs) {
		t := count(g.Specs)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\n", tabSafe(g.Name), t.Passed, t.NonStrict, t.Failed, t.Unsupported, t.Skipped, humanDuration(t.Seconds))
	}
	all := count(r.Specs)
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%d\t%d\t%s\n", all.Passed, all.NonStrict, all.Failed, all.Unsupported, all.Skipped, humanDuration(runSeconds(r)))
	tw.Flush()

	for _, sp := range sortedSpecs(r.Specs) {
		switch sp.Verdict {
		case Passed, Unsupported, Skipped:
			continue
		case Invalid:
			fmt.Fprintf(w, "\nINVALID %s/%s [%s, %s]\n", areaName(sp.Area), sp.Name, sp.Feature, sp.Section)
		case ConfigError:
			fmt.Fprintf(w, "\nCONFIGURATION ERROR %s/%s [%s, %s]\n", areaName(sp.Area), sp.Name, sp.Feature, sp.Section)
		case Failed:
			fmt.Fprintf(w, "\nFAIL %s/%s [%s, %s]\n", areaName(sp.Area), sp.Name, sp.Feature, sp.Section)
		default:
			fmt.Fprintf(w, "\nERROR %s/%s [%s, %s]: unrecognised verdict %q\n", areaName(sp.Area), sp.Name, sp.Feature, sp.Section, sp.Verdict)
		}
		for _, l := range reasonLines(sp.Reason) {
			fmt.Fprintf(w, "    %s\n", l)
		}
		if sp.Location != "" {
			fmt.Fprintf(w, "    at %s\n", sp.Location)
		}
	}

	for _, sp := range nonStrict(r.Specs) {
		fmt.Fprintf(w, "NON-STRICT %s/%s [%s, %s]: %s\n", areaName(sp.Area), sp.Name, sp.Feature, sp.Section, FirstLine(sp.Reason))
	}
	writeScenarios(w, r.Scenarios)
	if uf := unsupportedFeatures(r.Specs); len(uf) > 0 {
		fmt.Fprintln(w)
		for _, f := range uf {
			line := fmt.Sprintf("unsupported: %s (%s)", f.Feature, plural(f.Count, "spec"))
			if f.Reason != "" {
				line += " — " + f.Reason
			}
			fmt.Fprintln(w, line)
		}
	}

	fmt.Fprintln(w)
	if all.Total == 0 {
		if r.LabelFilter != "" {
			fmt.Fprintf(w, "gatecheck: no specs matched label filter %q\n", r.LabelFilter)
		} else {
			fmt.Fprintln(w, "gatecheck: no specs ran")
		}
	}
	if r.RunError != nil {
		fmt.Fprintf(w, "gatecheck: ERROR against %s: %s\n", against(r.Profile), r.RunError.headline())
		return
	}
	word, _ := headline(r, all)
	fmt.Fprintf(w, "gatecheck: %s (%s) in %s against %s\n", word, all.counts(), humanDuration(runSeconds(r)), against(r.Profile))
}

// reasonLines is the first maxReasonLines lines of a reason, plus a marker
// saying how many were left out.
func reasonLines(reason string) []string {
	l := lines(reason)
	if len(l) <= maxReasonLines {
		return l
	}
	out := append([]string(nil), l[:maxReasonLines]...)
	return append(out, fmt.Sprintf("... (%d more lines)", len(l)-maxReasonLines))
}

// tabSafe keeps a cell from breaking the tabwriter table.
func tabSafe(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// writeScenarios prints each load scenario's phases.
func writeScenarios(w io.Writer, scenarios []Scenario) {
	for _, sc := range scenarios {
		fmt.Fprintf(w, "\nSCENARIO %s [%s]: %s\n", sc.Name, sc.Feature, strings.ToUpper(string(sc.Verdict)))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  PHASE\tRATE\tACHIEVED\tREQUESTS\tSTATUS\tVALUES\tVERDICT")
		for _, ph := range sc.Phases {
			fmt.Fprintf(tw, "  %s\t%.0f/s\t%.0f/s\t%d\t%s\t%s\t%s\n", ph.Name, ph.RequestedRate, ph.AchievedRate, ph.Requests, codes(ph.StatusCodes), values(ph.Values), ph.Verdict)
		}
		tw.Flush()
		if sc.Reason != "" {
			fmt.Fprintf(w, "  %s\n", FirstLine(sc.Reason))
		}
		if sc.RawResults != "" {
			fmt.Fprintf(w, "  raw results: %s (in the report directory)\n", sc.RawResults)
		}
	}
}

func codes(m map[string]int) string { return sortedJoin(m, ":", strconv.Itoa) }

func values(m map[string]float64) string {
	return sortedJoin(m, "=", func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) })
}

// sortedJoin renders a map as key<sep>value pairs in key order.
func sortedJoin[V any](m map[string]V, sep string, format func(V) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + sep + format(m[k])
	}
	return strings.Join(parts, " ")
}
