package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
)

// repeatOpts holds the values of the repeat flags.
type repeatOpts struct {
	n      *int
	prof   *string
	filter *string
	out    *string
	// baselineFirst compares every later run with the first (--baseline
	// run-1/report.json): how often an unchanged gateway is flagged.
	baselineFirst *bool
}

// repeatFlags builds the repeat flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func repeatFlags() (*flag.FlagSet, *repeatOpts) {
	o := &repeatOpts{}
	fs := flag.NewFlagSet("repeat", flag.ContinueOnError)
	o.n = fs.Int("n", 20, "number of runs")
	o.prof = fs.String("profile", "", "target profile; default: the embedded reference gateway")
	o.filter = fs.String("label-filter", "", "run only matching specs")
	o.out = fs.String("out", "gatecheck-report/repeat", "directory for each run's reports (run-1, run-2, …; only failed runs are kept)")
	o.baselineFirst = fs.Bool("baseline-first", false, "keep run 1 as the baseline and run every later run with --baseline run-1/report.json: "+
		"counts how often an unchanged gateway is flagged as a latency regression")
	return fs, o
}

// cmdRepeat measures flakiness: it runs `gatecheck run` n times, each in a
// child process (Ginkgo runs a suite once per process), and prints how many
// runs failed and which specs failed how often. It exits 1 if any run did
// not pass.
func cmdRepeat(args []string, stdout, stderr io.Writer) int {
	fs, o := repeatFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	n, prof, filter, out := o.n, o.prof, o.filter, o.out
	if *n < 1 {
		fmt.Fprintf(stderr, "gatecheck repeat: --n %d: want at least 1 run\n", *n)
		return runner.ExitConfig
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck repeat: %v\n", err)
		return runner.ExitConfig
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	failedRuns := 0
	specFailures := map[string]int{} // "area Name: verdict" → runs
	start := time.Now()
	for i := 1; i <= *n; i++ {
		dir := filepath.Join(*out, "run-"+strconv.Itoa(i))
		runArgs := []string{"run", "--out", dir}
		if *prof != "" {
			runArgs = append(runArgs, "--profile", *prof)
		}
		if *filter != "" {
			runArgs = append(runArgs, "--label-filter", *filter)
		}
		baselineRun := *o.baselineFirst && i == 1
		if *o.baselineFirst && i > 1 {
			runArgs = append(runArgs, "--baseline", filepath.Join(*out, "run-1", "report.json"))
		}
		_ = os.RemoveAll(dir) // a report left from an earlier repeat must not be read as this run's
		cmd := exec.CommandContext(ctx, self, runArgs...)
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errOut
		err := cmd.Run()
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "gatecheck repeat: interrupted after %d runs\n", i-1)
			return runner.ExitConfig
		}
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			fmt.Fprintf(stderr, "gatecheck repeat: run %d: %v\n", i, err)
			return runner.ExitConfig
		}
		if err == nil {
			if baselineRun {
				fmt.Fprintf(stdout, "run %d/%d: passed; kept in %s as the baseline of the later runs\n", i, *n, dir)
				continue
			}
			if *o.baselineFirst {
				fmt.Fprintf(stdout, "run %d/%d: passed; %s\n", i, *n, baselineSummary(filepath.Join(dir, "report.json")))
				_ = os.RemoveAll(dir)
				continue
			}
			_ = os.RemoveAll(dir)
			fmt.Fprintf(stdout, "run %d/%d: passed\n", i, *n)
			continue
		}
		failedRuns++
		if baselineRun {
			fmt.Fprintf(stdout, "run 1/%d: exit %d; with no baseline the later runs cannot be compared (reports kept in %s)\n", *n, exit.ExitCode(), dir)
			return runner.ExitFailed
		}
		line := fmt.Sprintf("run %d/%d: exit %d", i, *n, exit.ExitCode())
		rep, rerr := reports.ReadJSON(filepath.Join(dir, "report.json"))
		if rerr != nil {
			line += " (no report: " + rerr.Error() + ")"
			if last := lastLine(errOut.String()); last != "" {
				line += "\n  " + last
			}
			specFailures["(no report) exit "+strconv.Itoa(exit.ExitCode())]++
		} else {
			for _, s := range rep.Specs {
				if s.Verdict == reports.Passed || s.Verdict == reports.Unsupported || s.Verdict == reports.Skipped {
					continue // outcomes that do not fail a run
				}
				key := fmt.Sprintf("%s %s: %s", s.Area, s.Name, s.Verdict)
				specFailures[key]++
				reason, _, _ := strings.Cut(s.Reason, "\n")
				line += "\n  " + key + ": " + reason
			}
			if rep.Baseline != nil {
				for _, reg := range rep.Baseline.Regressions {
					specFailures["baseline regression: "+regressedMetric(reg)]++
					line += "\n  regressed against run 1: " + reg
				}
			}
		}
		fmt.Fprintf(stdout, "%s; reports kept in %s\n", line, dir)
	}
	fmt.Fprintf(stdout, "\n%d of %d runs failed in %v\n", failedRuns, *n, time.Since(start).Round(time.Second))
	for _, k := range slices.Sorted(maps.Keys(specFailures)) {
		fmt.Fprintf(stdout, "  %3d× %s\n", specFailures[k], k)
	}
	if failedRuns > 0 {
		return runner.ExitFailed
	}
	return 0
}

// baselineSummary says how much of a passed run was compared with run 1:
// a run with no metric judged was not tested against the baseline at all.
func baselineSummary(reportPath string) string {
	rep, err := reports.ReadJSON(reportPath)
	if err != nil || rep.Baseline == nil {
		return "not compared with run 1 (no baseline comparison in its report)"
	}
	judged := 0
	for _, m := range rep.Baseline.Metrics {
		if m.Judged {
			judged++
		}
	}
	if judged == 0 {
		return fmt.Sprintf("none of its %d scenario metrics could be judged against run 1 (too few samples)", len(rep.Baseline.Metrics))
	}
	return fmt.Sprintf("%d of %d scenario metrics judged against run 1, none regressed", judged, len(rep.Baseline.Metrics))
}

// regressedMetric is the metric a regression line names (the text before
// its first ": "), for counting the same metric across runs.
func regressedMetric(line string) string {
	metric, _, _ := strings.Cut(line, ": ")
	return metric
}

// lastLine is the last non-empty line of s (a child's final error).
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
