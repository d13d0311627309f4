package reports

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// Outcome is what one report says about one spec.
type Outcome struct {
	Verdict Verdict // "" when the spec is absent from that report
	Grade   Grade   // effective grade: OK, NON-STRICT, FAILED, or "" for other verdicts
	Reason  string  // failure, skip or NON-STRICT reason
}

// Difference is a spec whose verdict or grade differs between two reports
// (or that only one of them has).
type Difference struct {
	Name      string
	Area      string
	Base, New Outcome
}

// VerdictChanged reports whether the verdict, not only the grade, differs.
func (d Difference) VerdictChanged() bool { return d.Base.Verdict != d.New.Verdict }

// ComparedReport is one side of a comparison: the report and the file it
// was read from, which label the columns.
type ComparedReport struct {
	File   string
	Report *Report
}

// label is "FILE (started TIME)", or the file alone for a report without a
// start time.
func (c ComparedReport) label() string {
	if c.Report.StartedAt.IsZero() {
		return c.File
	}
	return fmt.Sprintf("%s (started %s)", c.File, c.Report.StartedAt.UTC().Format(time.RFC3339))
}

// effectiveGrade fills in the grade of reports written before grades were
// recorded, so that an old OK pass does not differ from a new one.
func effectiveGrade(sp Spec) Grade {
	if sp.Grade != "" {
		return sp.Grade
	}
	switch sp.Verdict {
	case Passed:
		return GradeOK
	case Failed:
		return GradeFailed
	}
	return ""
}

// Compare lists the specs whose verdict or grade (e.g. OK -> NON-STRICT)
// differ between base and other, sorted by area and name. Reasons are
// carried along but a changed reason alone is not a difference: failure
// messages hold measured values that differ between any two runs.
func Compare(base, other *Report) []Difference {
	type key struct{ area, name string }
	outcomes := map[key]*Difference{}
	for i, r := range []*Report{base, other} {
		for _, sp := range r.Specs {
			k := key{areaName(sp.Area), sp.Name}
			d := outcomes[k]
			if d == nil {
				d = &Difference{Name: sp.Name, Area: k.area}
				outcomes[k] = d
			}
			o := Outcome{Verdict: sp.Verdict, Grade: effectiveGrade(sp), Reason: plain(sp.Reason)}
			if i == 0 {
				d.Base = o
			} else {
				d.New = o
			}
		}
	}
	var diffs []Difference
	for _, d := range outcomes {
		if d.Base.Verdict != d.New.Verdict || d.Base.Grade != d.New.Grade {
			diffs = append(diffs, *d)
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

// WriteComparison prints which reports are compared, the counts of verdict
// and grade changes, a table of the differing specs (columns "base" and
// "new") and, below it, each difference's reasons on both sides.
//
// Scenario metric deltas (the baseline comparison of issue 12) are not part
// of this table: a caller prints them after it, from the same two reports.
func WriteComparison(w io.Writer, base, other ComparedReport, diffs []Difference) {
	fmt.Fprintf(w, "base: %s, profile %s\n", base.label(), against(base.Report.Profile))
	fmt.Fprintf(w, "new:  %s, profile %s\n", other.label(), against(other.Report.Profile))
	verdicts := 0
	for _, d := range diffs {
		if d.VerdictChanged() {
			verdicts++
		}
	}
	fmt.Fprintf(w, "%d spec(s) differ: %d verdict change(s), %d grade change(s)\n", len(diffs), verdicts, len(diffs)-verdicts)
	if len(diffs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tSPEC\tBASE\tNEW")
	for _, d := range diffs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", tabSafe(d.Area), tabSafe(d.Name), d.Base, d.New)
	}
	tw.Flush()
	for _, d := range diffs {
		if d.Base.Reason == "" && d.New.Reason == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s\n", d.Area, d.Name)
		for _, side := range []struct {
			name string
			o    Outcome
		}{{"base", d.Base}, {"new", d.New}} {
			l := reasonLines(side.o.Reason)
			if len(l) == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s (%s): %s\n", side.name, side.o, l[0])
			for _, more := range l[1:] {
				fmt.Fprintf(w, "    %s\n", more)
			}
		}
	}
}

// String is "passed", "passed (NON-STRICT)", "failed" or "(absent)": the
// grade is shown only where it adds to the verdict.
func (o Outcome) String() string {
	switch {
	case o.Verdict == "":
		return "(absent)"
	case o.Verdict == Passed && o.Grade != "" && o.Grade != GradeOK:
		return string(o.Verdict) + " (" + string(o.Grade) + ")"
	case o.Verdict == Failed && o.Grade != "" && o.Grade != GradeFailed:
		return string(o.Verdict) + " (" + string(o.Grade) + ")"
	}
	return string(o.Verdict)
}
