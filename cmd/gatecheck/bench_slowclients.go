package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/slowclients"
	"github.com/gatecheck/gatecheck/serving"
)

// benchSlowClientsOpts holds the values of the bench slowclients flags.
type benchSlowClientsOpts struct {
	clients  *int
	kind     *string
	rate     *int
	duration *time.Duration
	deadline *time.Duration
	bound    *float64
	maxHeap  *int
}

// benchSlowClientsFlags builds the bench slowclients flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchSlowClientsFlags() (*flag.FlagSet, *benchSlowClientsOpts) {
	o := &benchSlowClientsOpts{}
	fs := flag.NewFlagSet("bench slowclients", flag.ContinueOnError)
	o.clients = fs.Int("clients", 1000, "slow clients held open during attack rounds")
	o.kind = fs.String("kind", "body", "how they hold their connection: body (announce 1,000,000 bytes, send none) or headers (never end the headers)")
	o.rate = fs.Int("rate", 500, "normal requests per second")
	o.duration = fs.Duration("duration", 8*time.Second, "normal load per kind of round (idle and with slow clients), in 2 rounds each")
	o.deadline = fs.Duration("deadline", 6*time.Second, "the gateway's body and header deadlines for this run; longer than a round's load (duration/2), so the crowd is held throughout")
	o.bound = fs.Float64("max-ratio", 2, "largest acceptable normal p99 with slow clients / idle p99")
	o.maxHeap = fs.Int("max-heap-mb", 256, "largest acceptable peak heap of the process (the gateway, the fixture and both ends of every connection), MB")
	return fs, o
}

// benchSlowClients measures what 1,000 slow clients cost the reference
// gateway's normal traffic while they hold their connections, and checks
// the server cuts them off at its deadline: normal p99 with the crowd must
// stay within 2x of idle.
func benchSlowClients(args []string, stdout, stderr io.Writer) int {
	fs, o := benchSlowClientsFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	clients, kind, rate, duration, deadline, bound, maxHeap := o.clients, o.kind, o.rate, o.duration, o.deadline, o.bound, o.maxHeap
	if *deadline <= *duration/2 {
		fmt.Fprintf(stderr, "gatecheck bench slowclients: --deadline %v must exceed a round's load (--duration/2 = %v), or the crowd is cut off before the load ends\n", *deadline, *duration/2)
		return runner.ExitConfig
	}
	limits := serving.Defaults(serving.REST)
	limits.BodyTimeout, limits.ReadHeaderTimeout = *deadline, *deadline
	e, err := runner.StartEmbeddedWith(runner.EmbeddedOptions{Limits: map[serving.Kind]serving.Limits{serving.REST: limits}})
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	defer e.Close()
	fmt.Fprintf(stdout, "slow clients: %d holding connections by their %s, against the reference gateway (body and header deadline %v), normal load %d/s\n",
		*clients, *kind, *deadline, *rate)

	// The process's peak heap and goroutines while it runs: the gateway,
	// the fixture and both ends of every slow connection.
	var peakHeap uint64
	var peakG int
	ctx, stopSampling := context.WithCancel(context.Background())
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peakHeap, peakG = max(peakHeap, m.HeapInuse), max(peakG, runtime.NumGoroutine())
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	res, err := slowclients.Run(context.Background(), slowclients.Options{
		NormalURL: e.GatewayURL + "/test/inspect",
		SlowURL:   e.GatewayURL + "/test/echo",
		Clients:   *clients, Kind: slowclients.Kind(*kind), Rate: *rate, Duration: *duration,
		Rounds: 2, Hold: *deadline + 3*time.Second,
	})
	stopSampling()
	sampling.Wait()
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck bench: %v\n", err)
		return runner.ExitConfig
	}
	res.Print(stdout)
	fmt.Fprintf(stdout, "process peak: heap %.1f MB, %d goroutines (both ends of every connection)\n", float64(peakHeap)/(1<<20), peakG)
	switch {
	case !res.Valid:
		return runner.ExitInvalid
	case res.Held > 0 || res.Cut == 0:
		fmt.Fprintf(stdout, "verdict: FAILED — the server did not cut every slow client off at its %v deadline\n", *deadline)
		return runner.ExitGate
	case res.CutMin < *deadline-100*time.Millisecond:
		// Something other than the deadline ended them: the crowd did not
		// hold its connections through the round it was meant to load.
		fmt.Fprintf(stdout, "verdict: FAILED — slow clients were cut off after %v, before the %v deadline\n", res.CutMin.Round(time.Millisecond), *deadline)
		return runner.ExitGate
	case peakHeap > uint64(*maxHeap)<<20:
		fmt.Fprintf(stdout, "verdict: FAILED — peak heap %.1f MB is over the %d MB bound\n", float64(peakHeap)/(1<<20), *maxHeap)
		return runner.ExitGate
	case res.Ratio > *bound:
		fmt.Fprintf(stdout, "verdict: FAILED — normal p99 with slow clients is %.2fx idle (bound %.1fx)\n", res.Ratio, *bound)
		return runner.ExitGate
	}
	fmt.Fprintf(stdout, "verdict: PASSED — every slow client cut off at the deadline; normal p99 %.2fx idle (bound %.1fx)\n", res.Ratio, *bound)
	return 0
}
