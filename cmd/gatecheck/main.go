// Command gatecheck tests API gateways against Amazon API Gateway's
// documented behaviour.
//
//	gatecheck run      [--profile FILE] [--label-filter EXPR] [--out DIR] [--baseline OLD/report.json]
//	gatecheck serve    [--api FILE] [--stages FILE] [--listen ADDR] [--stage-var k=v]…
//	gatecheck fixture  [--listen ADDR] [--version LABEL]
//	gatecheck bench    [overhead|throttle] [flags]
//	gatecheck hostile  [--requests N] [--memory-bound 200MB]
//	gatecheck compare  BASE.json OTHER.json
//	gatecheck profiles validate FILE…
//	gatecheck version
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

	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/redact"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
	"github.com/gatecheck/gatecheck/scenarios/throttle"
	"github.com/gatecheck/gatecheck/suites"
)

const usage = `gatecheck — conformance and traffic tests for API gateways

Usage:
  gatecheck run      [--profile FILE] [--label-filter EXPR] [--out DIR] [--baseline OLD/report.json] [-v]
                     Run the conformance suites. With no --profile, start the
                     reference gateway and fixture backend on loopback and
                     test them (the embedded default).
  gatecheck serve    [--api FILE --stages FILE] [--listen ADDR] [--stage-var k=v]…
                     Run the reference gateway (default: the reference API).
  gatecheck fixture  [--listen ADDR] [--version LABEL]
                     Run the fixture backend to put behind any gateway.
  gatecheck bench    [overhead] [--rate N] [--duration D] [--out DIR]
                     Measure the latency the reference gateway adds over
                     calling the fixture directly (Vegeta, loopback only).
  gatecheck bench throttle [--duration D] [--multiple M]
                     Measure how closely the reference gateway's throttle
                     holds its rate + burst under an attack at M x the rate.
  gatecheck repeat   [--n N] [--profile FILE] [--label-filter EXPR]
                     Run the suites N times (each in its own process) and
                     print how many runs failed and which specs, how often.
  gatecheck hostile  [--requests N] [--memory-bound 200MB]
                     Send malformed and odd requests to the reference gateway
                     and fixture (child processes) and check the answers,
                     their logs, their peak memory and that they still serve.
  gatecheck compare  BASE.json OTHER.json
                     List the specs whose verdicts differ between two
                     reports (e.g. the reference gateway and yours).
  gatecheck profiles validate FILE…
                     Check target profiles without running anything.
  gatecheck version

Exit codes of run: 0 passed, 1 conformance failure, 2 configuration error,
3 target unreachable, 4 a load scenario failed its thresholds (gate),
5 a load scenario could not produce a verdict (invalid).
`

func main() {
	// Ginkgo runs from this binary: it needs the testing flags registered.
	testing.Init()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return runner.ExitConfig
	}
	logger := slog.New(redact.NewHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr, logger)
	case "serve":
		return cmdServe(args[1:], stderr, logger)
	case "fixture":
		return cmdFixture(args[1:], stderr, logger)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "hostile":
		return cmdHostile(args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(args[1:], stdout, stderr)
	case "repeat":
		return cmdRepeat(args[1:], stdout, stderr)
	case "profiles":
		return cmdProfiles(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "gatecheck", runner.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gatecheck: unknown command %q\n\n%s", args[0], usage)
	return runner.ExitConfig
}

// parse parses flags and rejects stray arguments, with one clear message.
// When it returns false the command ends with code: 0 after --help (the
// usage was asked for), the configuration error code otherwise.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
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

func cmdRun(args []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	prof := fs.String("profile", "", "target profile (YAML); default: the embedded reference gateway")
	filter := fs.String("label-filter", "", "run only matching specs, e.g. 'feature:payload-limit' or 'area:errors'")
	out := fs.String("out", "gatecheck-report", "directory for report.json, junit.xml and summary.md")
	verbose := fs.Bool("v", false, "verbose Ginkgo output")
	baselineReport := fs.String("baseline", "", "an earlier run's report.json: a scenario latency regression against it fails the gate (exit 4)")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := runner.Run(ctx, runner.Options{ProfilePath: *prof, LabelFilter: *filter, OutDir: *out, Stdout: stdout, Verbose: *verbose, Logger: logger, Baseline: *baselineReport})
	if err != nil { // e.g. the profile's URL, which may carry a password
		fmt.Fprintf(stderr, "gatecheck run: %s\n", redact.String(err.Error()))
	}
	return runner.ExitCode(rep, err)
}

func cmdBench(args []string, stdout, stderr io.Writer) int {
	mode := "overhead"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "overhead":
		return benchOverhead(args, stdout, stderr)
	case "throttle":
		return benchThrottle(args, stdout, stderr)
	case "callbacks":
		return benchCallbacks(args, stdout, stderr)
	case "idle":
		return benchIdle(args, stdout, stderr)
	case "slowclients":
		return benchSlowClients(args, stdout, stderr)
	case "idle-clients": // bench idle's child process
		return benchIdleClients(args, stdout, stderr)
	case "peers":
		return benchPeers(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "gatecheck bench: unknown benchmark %q (overhead, throttle, callbacks, idle, slowclients or peers)\n", mode)
	return runner.ExitConfig
}

// benchThrottle attacks the reference gateway's throttled-load route at 5x
// its rate and reports how close the accepted rate stays to the token
// bucket's rate + burst (target: within 1 %).
func benchThrottle(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench throttle", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Second, "attack duration")
	multiple := fs.Float64("multiple", 5, "attack rate as a multiple of the route's rate limit")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
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

func benchOverhead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench overhead", flag.ContinueOnError)
	rate := fs.Int("rate", 2000, "requests per second on each side")
	duration := fs.Duration("duration", 8*time.Second, "attack duration on each side")
	out := fs.String("out", "", "directory for raw Vegeta results (overhead.bin); empty: not kept")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
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
		fmt.Fprintln(stdout, "usage: gatecheck compare BASE.json OTHER.json (report.json files written by gatecheck run)")
		return 0
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
	reports.WriteComparison(stdout, base, other, diffs)
	if len(diffs) > 0 {
		return runner.ExitFailed
	}
	return 0
}

func cmdProfiles(args []string, stdout, stderr io.Writer) int {
	if asksHelp(args) {
		fmt.Fprintln(stdout, "usage: gatecheck profiles validate FILE…")
		return 0
	}
	if len(args) < 2 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: gatecheck profiles validate FILE…")
		return runner.ExitConfig
	}
	code := 0
	for _, path := range args[1:] {
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
