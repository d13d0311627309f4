package reports

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// Difference is a spec whose verdict differs between two reports (or that
// only one of them has).
type Difference struct {
	Name        string
	Area        string
	Base, Other Verdict // "" when the spec is absent from that report
}

// Compare lists the specs whose verdicts differ between base (usually the
// reference gateway's report) and other, sorted by area and name.
func Compare(base, other *Report) []Difference {
	type key struct{ area, name string }
	verdicts := map[key][2]Verdict{}
	for _, s := range base.Specs {
		v := verdicts[key{s.Area, s.Name}]
		v[0] = s.Verdict
		verdicts[key{s.Area, s.Name}] = v
	}
	for _, s := range other.Specs {
		v := verdicts[key{s.Area, s.Name}]
		v[1] = s.Verdict
		verdicts[key{s.Area, s.Name}] = v
	}
	var diffs []Difference
	for k, v := range verdicts {
		if v[0] != v[1] {
			diffs = append(diffs, Difference{Name: k.name, Area: k.area, Base: v[0], Other: v[1]})
		}
	}
	sort.Slice(diffs, func(i, j int) bool {
		if diffs[i].Area != diffs[j].Area {
			return diffs[i].Area < diffs[j].Area
		}
		return diffs[i].Name < diffs[j].Name
	})
	return diffs
}

// WriteComparison prints the differences as a table, or that there are none.
func WriteComparison(w io.Writer, base, other *Report, diffs []Difference) {
	fmt.Fprintf(w, "comparing %s (%s) with %s (%s): %d spec(s) differ\n", base.Profile.Name, base.Profile.Target, other.Profile.Name, other.Profile.Target, len(diffs))
	if len(diffs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "AREA\tSPEC\t%s\t%s\n", base.Profile.Name, other.Profile.Name)
	for _, d := range diffs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Area, d.Name, orAbsent(d.Base), orAbsent(d.Other))
	}
	tw.Flush()
}

func orAbsent(v Verdict) string {
	if v == "" {
		return "(absent)"
	}
	return string(v)
}
