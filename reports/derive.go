package reports

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the helpers shared by the derived formats (JUnit, Markdown,
// terminal summary). Every derived format is a pure function of a *Report so
// that `gatecheck report` can re-render an old report.json; none of them
// mutates the report.

// areaGroup is the specs of one behaviour area.
type areaGroup struct {
	Name  string
	Specs []Spec
}

// groupByArea splits specs by Area, with areas sorted by name and specs by
// name within an area. Ginkgo shuffles the specs, so report order differs
// between runs; every format uses this order so that two runs' files diff
// cleanly and CI test history lines up.
func groupByArea(specs []Spec) []areaGroup {
	var groups []areaGroup
	index := map[string]int{}
	for _, sp := range sortedSpecs(specs) {
		name := areaName(sp.Area)
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups = append(groups, areaGroup{Name: name})
		}
		groups[i].Specs = append(groups[i].Specs, sp)
	}
	slices.SortStableFunc(groups, func(a, b areaGroup) int { return strings.Compare(a.Name, b.Name) })
	return groups
}

// sortedSpecs returns a copy of specs in the stable order of every format:
// by area, then name, then section and feature (so that specs sharing a
// name still keep one order).
func sortedSpecs(specs []Spec) []Spec {
	out := slices.Clone(specs)
	slices.SortStableFunc(out, func(a, b Spec) int {
		return cmp.Or(
			strings.Compare(areaName(a.Area), areaName(b.Area)),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Section, b.Section),
			strings.Compare(a.Feature, b.Feature),
		)
	})
	return out
}

// areaName is the displayed name of an area; specs without one are grouped
// under "unknown".
func areaName(a string) string {
	if strings.TrimSpace(a) == "" {
		return "unknown"
	}
	return a
}

// tally counts specs by verdict exactly as (*Report).Summarize does, without
// touching r.Summary. Other is the number of specs whose verdict is none of
// the known ones (only possible in a hand-edited or foreign report).
type tally struct {
	Summary
	Other   int
	Seconds float64 // sum of the specs' own durations
}

func count(specs []Spec) tally {
	r := Report{Specs: specs}
	r.Summarize()
	t := tally{Summary: r.Summary}
	t.Other = t.Total - t.Passed - t.Failed - t.Unsupported - t.Skipped - t.Invalid - t.ConfigErrors
	for _, sp := range specs {
		t.Seconds += seconds(sp.DurationSeconds)
	}
	return t
}

// seconds sanitises a duration read from a report: NaN, infinities and
// negative values become 0.
func seconds(s float64) float64 {
	if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
		return 0
	}
	return s
}

// runSeconds is the wall-clock duration of the run: DurationSeconds, else
// FinishedAt-StartedAt, else the sum of the spec durations.
func runSeconds(r *Report) float64 {
	if s := seconds(r.DurationSeconds); s > 0 {
		return s
	}
	if !r.StartedAt.IsZero() && r.FinishedAt.After(r.StartedAt) {
		return r.FinishedAt.Sub(r.StartedAt).Seconds()
	}
	var sum float64
	for _, sp := range r.Specs {
		sum += seconds(sp.DurationSeconds)
	}
	return sum
}

// humanDuration renders seconds for people: "3.2s", "150ms", "1m2.5s".
func humanDuration(s float64) string {
	d := time.Duration(seconds(s) * float64(time.Second))
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// ansi matches terminal escape sequences (CSI and OSC) that a failure message
// captured from a colourised matcher may carry.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)`)

// plain removes ANSI escapes and normalises line endings.
func plain(s string) string {
	s = ansi.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// lines splits a reason into lines without trailing blank lines.
func lines(s string) []string {
	s = strings.TrimRight(plain(s), " \t\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// FirstLine is the first non-blank line of s, trimmed: a reason as a
// table cell or a tooltip shows it.
func FirstLine(s string) string {
	for _, l := range lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// unsupportedFeature is one feature the profile does not claim, with the
// specs it made unsupported.
type unsupportedFeature struct {
	Feature string
	Count   int
	Reason  string // reason of the first such spec
}

// unsupportedFeatures deduplicates unsupported specs by feature, sorted by
// feature; the reason is that of the first spec in sortedSpecs order.
func unsupportedFeatures(specs []Spec) []unsupportedFeature {
	var out []unsupportedFeature
	index := map[string]int{}
	for _, sp := range sortedSpecs(specs) {
		if sp.Verdict != Unsupported {
			continue
		}
		f := sp.Feature
		if strings.TrimSpace(f) == "" {
			f = "(no feature)"
		}
		i, ok := index[f]
		if !ok {
			i = len(out)
			index[f] = i
			out = append(out, unsupportedFeature{Feature: f, Reason: FirstLine(sp.Reason)})
		}
		out[i].Count++
	}
	slices.SortStableFunc(out, func(a, b unsupportedFeature) int { return strings.Compare(a.Feature, b.Feature) })
	return out
}

// nonStrict is the passed specs graded NON-STRICT, in sortedSpecs order.
func nonStrict(specs []Spec) []Spec {
	var out []Spec
	for _, sp := range sortedSpecs(specs) {
		if isNonStrict(sp) {
			out = append(out, sp)
		}
	}
	return out
}

// isNonStrict reports whether sp passed with a NON-STRICT grade.
func isNonStrict(sp Spec) bool { return sp.Verdict == Passed && sp.Grade == GradeNonStrict }

// plural returns "1 spec" or "n specs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// verdictWord is "CONFIGURATION ERROR", "FAILED" or "PASSED" for the
// counted specs.
// headline is the run's verdict word and the verdict it shows as, the
// one every format puts first: a run error, else the counted verdict, else
// a baseline regression (a gate failure although every spec passed).
func headline(r *Report, t tally) (word string, shown Verdict) {
	switch {
	case r.RunError != nil:
		return "ERROR", Errored
	case t.Verdict == Passed && r.Baseline.Regressed():
		return "GATE FAILED (latency regression against the baseline)", Failed
	}
	return t.verdictWord(), t.Verdict
}

func (t tally) verdictWord() string {
	switch t.Verdict {
	case ConfigError:
		return "CONFIGURATION ERROR"
	case Failed:
		return "FAILED"
	}
	return "PASSED"
}

// counts is the parenthesised part of the verdict line, e.g.
// "2 failed, 10 passed, 3 unsupported, 1 skipped". Configuration errors,
// failed, skipped and unrecognised counts appear only when non-zero.
func (t tally) counts() string {
	var parts []string
	if t.ConfigErrors > 0 {
		parts = append(parts, plural(t.ConfigErrors, "configuration error"))
	}
	if t.Failed > 0 {
		parts = append(parts, strconv.Itoa(t.Failed)+" failed")
	}
	parts = append(parts, strconv.Itoa(t.Passed)+" passed", strconv.Itoa(t.Unsupported)+" unsupported")
	if t.Skipped > 0 {
		parts = append(parts, strconv.Itoa(t.Skipped)+" skipped")
	}
	if t.Invalid > 0 {
		parts = append(parts, strconv.Itoa(t.Invalid)+" invalid")
	}
	if t.NonStrict > 0 {
		parts = append(parts, strconv.Itoa(t.NonStrict)+" non-strict")
	}
	if t.Other > 0 {
		parts = append(parts, strconv.Itoa(t.Other)+" unrecognised")
	}
	return strings.Join(parts, ", ")
}

// against names the target: "<profile> (<target>)", or whichever is known.
func against(p Profile) string {
	switch {
	case p.Name != "" && p.Target != "":
		return p.Name + " (" + p.Target + ")"
	case p.Name != "":
		return p.Name
	case p.Target != "":
		return p.Target
	}
	return "unknown target"
}
