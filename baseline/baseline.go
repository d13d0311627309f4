// Package baseline compares a run's load scenarios with a baseline run's,
// on their raw results (`gatecheck run --baseline OLD/report.json`): a
// latency quantile of an attack regresses when this run's is, with
// confidence, above the baseline's by more than the profile's tolerance.
//
// The test, for each scenario, attack and status code present in both runs
// and each quantile q in Quantiles: with L the lower confidence bound of
// this run's q-quantile and U the upper bound of the baseline's (order
// statistics, quantile.go), the quantile regresses when
//
//	L > U × (1 + relative) + absolute.
//
// If neither bound misses (L ≤ Q_new and U ≥ Q_base), a regression implies
// Q_new > Q_base × (1 + relative) + absolute: a slowdown beyond the
// tolerance really happened. Each bound misses with probability at most
// alpha / (2m), m the number of comparisons, so an unchanged gateway is
// flagged with probability at most alpha overall (union bound), whatever
// the latency distributions. The argument assumes independent samples;
// latencies drift with the machine's load, which is what the tolerance
// (default 20 % plus 0.5 ms) absorbs.
package baseline

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
)

// Quantiles are the latency quantiles compared.
var Quantiles = []float64{0.5, 0.99}

// Run is one side of a comparison: a report and the directory its raw
// result paths are relative to.
type Run struct {
	Report *reports.Report
	Dir    string
}

// group is the latencies (seconds, sorted) of one attack and status code.
type group struct {
	scenario, attack string
	base, new        []float64
	reference        bool
}

// Compare compares every scenario of run with the baseline's and returns
// the comparison; name is the baseline as the user gave it.
func Compare(name string, base, run Run, tol profile.BaselineTolerance) *reports.BaselineComparison {
	out := &reports.BaselineComparison{Report: name, Method: fmt.Sprintf(
		"order-statistic confidence bounds on p50 and p99 per scenario attack and status; regressed when this run's lower bound exceeds the baseline's upper bound × %g + %v; false-flag probability ≤ %g overall",
		1+tol.Relative, tol.Absolute, tol.Alpha), Metrics: []reports.BaselineMetric{}}
	var groups []group
	for _, sc := range run.Report.Scenarios {
		i := slices.IndexFunc(base.Report.Scenarios, func(b reports.Scenario) bool { return b.Name == sc.Name })
		if i < 0 {
			out.Skipped = append(out.Skipped, sc.Name+": not in the baseline run")
			continue
		}
		bs := base.Report.Scenarios[i]
		if sc.Verdict == reports.Invalid || bs.Verdict == reports.Invalid {
			out.Skipped = append(out.Skipped, sc.Name+": invalid in one of the runs (the load generator fell short): nothing to compare")
			continue
		}
		newSamples, err := load(run.Dir, sc.RawResults)
		if err != nil {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s: this run's raw results: %v", sc.Name, err))
			continue
		}
		baseSamples, err := load(base.Dir, bs.RawResults)
		if err != nil {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s: the baseline's raw results: %v (fix: keep the baseline's raw/ directory next to its report.json)", sc.Name, err))
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(newSamples)) {
			b, ok := baseSamples[key]
			if !ok {
				out.Skipped = append(out.Skipped, fmt.Sprintf("%s/%s: not in the baseline run", sc.Name, key))
				continue
			}
			groups = append(groups, group{scenario: sc.Name, attack: key, base: b, new: newSamples[key],
				reference: sc.Name == "LatencyOverhead" && strings.HasPrefix(key, overhead.DirectAttack+" ")})
		}
	}
	m := len(groups) * len(Quantiles)
	if m == 0 {
		return out
	}
	alpha := tol.Alpha / float64(2*m) // per bound: 2m bounds in all
	for _, g := range groups {
		for _, q := range Quantiles {
			bm := judge(g, q, alpha, tol)
			out.Metrics = append(out.Metrics, bm)
			if bm.Regressed {
				out.Regressions = append(out.Regressions, fmt.Sprintf("%s %s p%g: %v against %v in the baseline (×%.2f); this run's lower bound %v exceeds the baseline's upper bound %v × %g + %v",
					g.scenario, g.attack, 100*q, dur(bm.New), dur(bm.Base), bm.Ratio, dur(bm.NewLower), dur(bm.BaseUpper), 1+tol.Relative, tol.Absolute))
			}
		}
	}
	return out
}

func judge(g group, q, alpha float64, tol profile.BaselineTolerance) reports.BaselineMetric {
	bm := reports.BaselineMetric{Scenario: g.scenario, Attack: g.attack, Quantile: q, Reference: g.reference,
		Base: quantile(g.base, q), New: quantile(g.new, q), BaseCount: len(g.base), NewCount: len(g.new)}
	if bm.Base > 0 {
		bm.Ratio = bm.New / bm.Base
	}
	u, l := upperIndex(len(g.base), q, alpha), lowerIndex(len(g.new), q, alpha)
	switch {
	case u > len(g.base):
		bm.Note = fmt.Sprintf("not judged: %d baseline samples bound no p%g at alpha %.2g", len(g.base), 100*q, alpha)
	case l < 1:
		bm.Note = fmt.Sprintf("not judged: %d samples bound no p%g at alpha %.2g", len(g.new), 100*q, alpha)
	default:
		bm.Judged = true
		bm.BaseUpper, bm.NewLower = g.base[u-1], g.new[l-1]
		bm.Regressed = !g.reference && bm.NewLower > bm.BaseUpper*(1+tol.Relative)+tol.Absolute.Seconds()
		if g.reference {
			bm.Note = "the fixture called directly: shows the machine, not the gateway; never a regression"
		}
	}
	return bm
}

// load reads a scenario's raw results and groups the latencies of its
// successful requests (no transport error) by attack and status code.
func load(dir, path string) (map[string][]float64, error) {
	if path == "" {
		return nil, errors.New("none recorded (run with --out)")
	}
	f, err := openRaw(dir, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	groups := map[string][]float64{}
	dec := vegeta.NewDecoder(f)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if r.Error != "" || r.Code == 0 {
			continue
		}
		key := r.Attack + " " + strconv.Itoa(int(r.Code))
		groups[key] = append(groups[key], r.Latency.Seconds())
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	return groups, nil
}

// openRaw opens a raw results path as a report records it: relative to the
// report's directory, or (reports written before paths were made relative
// to it) by its file name under the report's raw/.
func openRaw(dir, path string) (*os.File, error) {
	candidates := []string{path}
	if !filepath.IsAbs(path) {
		// Never relative to the working directory: the baseline's old path
		// may name this run's file, which would compare a run with itself.
		candidates = []string{filepath.Join(dir, path), filepath.Join(dir, "raw", filepath.Base(path))}
	}
	for _, c := range candidates {
		if f, err := os.Open(c); err == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s not found (looked in %s)", path, dir)
}

func dur(seconds float64) time.Duration {
	return time.Duration(seconds * float64(time.Second)).Round(time.Microsecond)
}
