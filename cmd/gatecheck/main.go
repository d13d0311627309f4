// Command gatecheck tests API gateways against Amazon API Gateway's
// documented behaviour: gatecheck run, serve, fixture, bench, repeat,
// hostile, list, compare, profiles validate, version. `gatecheck help`
// prints every command and flag, generated from the commands themselves
// (usage.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/baseline"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
	"github.com/gatecheck/gatecheck/scenarios/throttle"
	"github.com/gatecheck/gatecheck/suites"
)

func main() {
	// Ginkgo runs from this binary: it needs the testing flags registered.
	testing.Init()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return runner.ExitConfig
	}
	logger := slog.New(redact.NewHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "bench":
		mode := "overhead"
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			mode, rest = rest[0], rest[1:]
		}
		name = "bench " + mode
		if _, ok := findCommand(name); !ok {
			var modes []string
			for _, c := range commands() {
				if m, ok := strings.CutPrefix(c.name, "bench "); ok {
					modes = append(modes, m)
				}
			}
			fmt.Fprintf(stderr, "gatecheck bench: unknown benchmark %q (%s)\n", mode, strings.Join(modes, ", "))
			return runner.ExitConfig
		}
	case "profiles":
		if len(rest) > 0 && rest[0] == "validate" {
			name, rest = "profiles validate", rest[1:]
		} else {
			return cmdProfilesValidate(rest, stdout, stderr)
		}
	}
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "gatecheck: unknown command %q\n\n%s", args[0], usage())
		return runner.ExitConfig
	}
	return c.run(rest, stdout, stderr, logger)
}

func cmdHelp(_ []string, stdout, _ io.Writer) int {
	fmt.Fprint(stdout, usage())
	return 0
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if asksHelp(args) {
		return printUsageOf("version", stdout)
	}
	fmt.Fprintln(stdout, "gatecheck", runner.Version())
	return 0
}

// printUsageOf prints the usage of the command named name and returns 0.
func printUsageOf(name string, w io.Writer) int {
	c, _ := findCommand(name)
	fmt.Fprint(w, commandUsage(c))
	return 0
}

// parse parses flags and rejects stray arguments, with one clear message.
// When it returns false the command ends with code: 0 after --help (the
// usage was asked for), the configuration error code otherwise.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		if c, ok := findCommand(fs.Name()); ok {
			fmt.Fprint(fs.Output(), commandUsage(c))
		} else {
			fs.PrintDefaults()
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return runner.ExitConfig, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatecheck %s: unexpected argument %q (flags start with --; see gatecheck %s --help)\n", fs.Name(), fs.Arg(0), fs.Name())
		return runner.ExitConfig, false
	}
	return 0, true
}

// runOpts holds the values of the run flags.
type runOpts struct {
	prof    *string
	filter  *string
	out     *string
	verbose *bool
	// baseline is an earlier run's report.json (--baseline).
	baseline *string
}

// runFlags builds the run flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func runFlags() (*flag.FlagSet, *runOpts) {
	o := &runOpts{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o.prof = fs.String("profile", "", "target profile (YAML); default: the embedded reference gateway")
	o.filter = fs.String("label-filter", "", "run only matching specs, e.g. 'feature:payload-limit' or 'area:errors'")
	o.out = fs.String("out", "gatecheck-report", "directory for report.json, junit.xml and summary.md")
	o.verbose = fs.Bool("v", false, "verbose Ginkgo output")
	o.baseline = fs.String("baseline", "", "an earlier run's report.json: a scenario latency regression against it fails the gate (exit 4)")
	return fs, o
}

func cmdRun(args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	fs, o := runFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	prof, filter, out, verbose, baselineReport := o.prof, o.filter, o.out, o.verbose, o.baseline
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := runner.Run(ctx, runner.Options{ProfilePath: *prof, LabelFilter: *filter, OutDir: *out, Stdout: stdout, Verbose: *verbose, Logger: logger, Baseline: *baselineReport})
	if err != nil { // e.g. the profile's URL, which may carry a password
		fmt.Fprintf(stderr, "gatecheck run: %s\n", redact.String(err.Error()))
	}
	return runner.ExitCode(rep, err)
}

// benchThrottleOpts holds the values of the bench throttle flags.
type benchThrottleOpts struct {
	duration *time.Duration
	multiple *float64
}

// benchThrottleFlags builds the bench throttle flags; the command and the
// usage (gatecheck help) both use it, so the usage cannot drift.
func benchThrottleFlags() (*flag.FlagSet, *benchThrottleOpts) {
	o := &benchThrottleOpts{}
	fs := flag.NewFlagSet("bench throttle", flag.ContinueOnError)
	o.duration = fs.Duration("duration", 10*time.Second, "attack duration")
	o.multiple = fs.Float64("multiple", 5, "attack rate as a multiple of the route's rate limit")
	return fs, o
}

// benchThrottle attacks the reference gateway's throttled-load route at 5x
// its rate and reports how close the accepted rate stays to the token
// bucket's rate + burst (target: within 1 %).
func benchThrottle(args []string, stdout, stderr io.Writer) int {
	fs, o := benchThrottleFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	duration, multiple := o.duration, o.multiple
	return withEmbedded(stderr, func(ctx context.Context, e *runner.Embedded) int {
		p, err := runner.LoadProfile("")
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		cfg, _ := profile.Config[*suites.ThrottlingConfig](p, suites.FeatureThrottling)
		route, _ := p.Route("throttled-load")
		fmt.Fprintf(stdout, "throttle accuracy: %.0f req/s (%gx the %.0f/s limit, burst %d) for %v\n", *multiple*cfg.Load.RateLimit, *multiple, cfg.Load.RateLimit, cfg.Load.BurstLimit, *duration)
		sc, err := throttle.Run(ctx, throttle.Options{URL: e.GatewayURL + "/" + p.Target.Stage + route, RateLimit: cfg.Load.RateLimit, BurstLimit: cfg.Load.BurstLimit,
			Multiples: []float64{*multiple}, Duration: *duration, Tolerance: 0.01})
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		ph := sc.Phases[0]
		accepted, expected := ph.Values["accepted"], ph.Values["expectedAccepted"]
		fmt.Fprintf(stdout, "accepted %.0f of %d; token bucket allows %.0f (burst + rate x %.2fs): deviation %+.2f%% (target within 1%%)\n",
			accepted, ph.Requests, expected, ph.DurationSeconds, 100*(accepted-expected)/expected)
		fmt.Fprintf(stdout, "accepted latency p50 %.3fms p99 %.3fms; rejected p50 %.3fms p99 %.3fms; first 429 after %.3fs\n",
			1000*ph.Latency["accepted"].P50, 1000*ph.Latency["accepted"].P99, 1000*ph.Latency["rejected"].P50, 1000*ph.Latency["rejected"].P99, ph.Values["firstThrottledAfterSeconds"])
		if sc.Verdict != reports.Passed {
			fmt.Fprintf(stdout, "verdict: %s — %s\n", strings.ToUpper(string(sc.Verdict)), sc.Reason)
			return runner.ExitGate
		}
		return 0
	})
}

// withEmbedded starts the reference gateway and fixture for a benchmark
// and stops them when f returns (or on SIGINT/SIGTERM, through ctx).
func withEmbedded(stderr io.Writer, f func(ctx context.Context, e *runner.Embedded) int) int {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	e, err := runner.StartEmbedded(nil)
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	defer e.Close()
	return f(ctx, e)
}

// benchOverheadOpts holds the values of the bench overhead flags.
type benchOverheadOpts struct {
	rate     *int
	duration *time.Duration
	out      *string
}

// benchOverheadFlags builds the bench overhead flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchOverheadFlags() (*flag.FlagSet, *benchOverheadOpts) {
	o := &benchOverheadOpts{}
	fs := flag.NewFlagSet("bench overhead", flag.ContinueOnError)
	o.rate = fs.Int("rate", 2000, "requests per second on each side")
	o.duration = fs.Duration("duration", 8*time.Second, "attack duration on each side")
	o.out = fs.String("out", "", "directory for raw Vegeta results (overhead.bin); empty: not kept")
	return fs, o
}

func benchOverhead(args []string, stdout, stderr io.Writer) int {
	fs, o := benchOverheadFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	rate, duration, out := o.rate, o.duration, o.out
	return withEmbedded(stderr, func(ctx context.Context, e *runner.Embedded) int {
		opts := overhead.Options{DirectURL: e.FixtureURL + "/inspect", GatewayURL: e.GatewayURL + "/test/inspect", Rate: *rate, Duration: *duration}
		if *out != "" {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
				return runner.ExitConfig
			}
			f, err := os.Create(filepath.Join(*out, "overhead.bin"))
			if err != nil {
				fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
				return runner.ExitConfig
			}
			defer f.Close()
			opts.Raw = f
		}
		fmt.Fprintf(stdout, "latency overhead: %d req/s for %v on each side, direct and through the reference gateway, alternating\n", *rate, *duration)
		res, err := overhead.Run(ctx, opts)
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
			return runner.ExitConfig
		}
		res.Print(stdout)
		if !res.Valid {
			return runner.ExitFailed
		}
		return 0
	})
}

// asksHelp reports whether args ask for a command's usage.
func asksHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}

func cmdCompare(args []string, stdout, stderr io.Writer) int {
	if asksHelp(args) {
		return printUsageOf("compare", stdout)
	}
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: gatecheck compare BASE.json OTHER.json (report.json files written by gatecheck run)")
		return runner.ExitConfig
	}
	base, err := reports.ReadJSON(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck compare: %v\n", err)
		return runner.ExitConfig
	}
	other, err := reports.ReadJSON(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck compare: %v\n", err)
		return runner.ExitConfig
	}
	diffs := reports.Compare(base, other)
	reports.WriteComparison(stdout, reports.ComparedReport{File: args[0], Report: base}, reports.ComparedReport{File: args[1], Report: other}, diffs)
	// Scenario latencies, from each run's raw results (next to its
	// report.json), judged as `run --baseline` judges them.
	metrics := baseline.Compare(args[0], baseline.Run{Report: base, Dir: filepath.Dir(args[0])},
		baseline.Run{Report: other, Dir: filepath.Dir(args[1])}, profile.DefaultBaselineTolerance())
	// Shown, not judged here: the exit code follows the verdicts, and
	// `run --baseline` is the gate for latency.
	reports.WriteMetricDeltas(stdout, metrics)
	if len(diffs) > 0 {
		return runner.ExitFailed
	}
	return 0
}

// cmdProfilesValidate loads each profile and prints every problem.
func cmdProfilesValidate(args []string, stdout, stderr io.Writer) int {
	if asksHelp(args) {
		return printUsageOf("profiles validate", stdout)
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: gatecheck profiles validate FILE…")
		return runner.ExitConfig
	}
	code := 0
	for _, path := range args {
		p, err := profile.LoadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, redact.String(err.Error()))
			code = runner.ExitConfig
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s; features: %s)\n", path, p.Name, strings.Join(p.Claimed(), ", "))
	}
	return code
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
