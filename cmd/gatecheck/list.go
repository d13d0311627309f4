package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/runner"
)

// listOpts holds the values of the list flags.
type listOpts struct {
	filter *string
}

// listFlags builds the list flags; the command and the usage (gatecheck
// help) both use it, so the usage cannot drift.
func listFlags() (*flag.FlagSet, *listOpts) {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	return fs, &listOpts{filter: fs.String("label-filter", "", "list only the specs this filter selects (as run --label-filter would), and their areas, features and labels")}
}

// listedSpec is one registered spec as `gatecheck list` shows it.
type listedSpec struct {
	area   string
	check  conformance.Check
	labels []string
}

// cmdList prints the registered specs, then their areas, features (with
// each feature's description) and labels, with how many specs each has:
// what a profile can claim and a --label-filter can select.
func cmdList(args []string, stdout, stderr io.Writer) int {
	fs, o := listFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	match := func([]string) bool { return true }
	if *o.filter != "" {
		// The run's own check: a filter that does not parse or selects no
		// spec is refused with the labels there are.
		if err := runner.CheckLabelFilter(*o.filter); err != nil {
			fmt.Fprintf(stderr, "gatecheck list: %v\n", err)
			return runner.ExitConfig
		}
		match, _ = types.ParseLabelFilter(*o.filter)
	}
	var specs []listedSpec
	for _, name := range conformance.Checks() {
		c, area, _ := conformance.Lookup(name)
		if labels := conformance.Labels(name); match(labels) {
			specs = append(specs, listedSpec{area, c, labels})
		}
	}
	if len(specs) == 0 {
		fmt.Fprintf(stderr, "gatecheck list: --label-filter %q selects no spec\n", *o.filter)
		return runner.ExitConfig
	}
	slices.SortFunc(specs, func(a, b listedSpec) int {
		return cmp.Or(strings.Compare(a.area, b.area), strings.Compare(a.check.Name, b.check.Name))
	})
	writeList(stdout, specs, *o.filter == "")
	return 0
}

func writeList(w io.Writer, specs []listedSpec, allFeatures bool) {
	areas, features, labels := map[string]int{}, map[string]int{}, map[string]int{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SPECS (%d)\n", len(specs))
	fmt.Fprintln(tw, "NAME\tAREA\tFEATURE\tSECTION\tLABELS")
	for _, s := range specs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.check.Name, s.area, s.check.Feature, s.check.Section, strings.Join(s.labels, " "))
		areas[s.area]++
		features[s.check.Feature]++
		for _, l := range s.labels {
			labels[l]++
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\nAREAS (%d)\n", len(areas))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tSPECS\tLABEL")
	for _, a := range slices.Sorted(maps.Keys(areas)) {
		fmt.Fprintf(tw, "%s\t%d\tarea:%s\n", a, areas[a], a)
	}
	tw.Flush()

	// Every declared feature, even one no spec needs on its own (a
	// sub-capability other specs check), since a profile may claim it.
	var listed []profile.FeatureSpec
	for _, f := range profile.RegisteredFeatures() {
		if allFeatures || features[f.Name] > 0 {
			listed = append(listed, f)
		}
	}
	fmt.Fprintf(w, "\nFEATURES (%d)\n", len(listed))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tSPECS\tVALUES\tDESCRIPTION")
	for _, f := range listed {
		values := "-"
		if f.NewConfig != nil {
			values = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", f.Name, features[f.Name], values, f.Description)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nLABELS (%d)\n", len(labels))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tSPECS")
	for _, l := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(tw, "%s\t%d\n", l, labels[l])
	}
	tw.Flush()
}
