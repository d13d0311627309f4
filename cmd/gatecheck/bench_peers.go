package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/scenarios/overhead"
)

// peerList is an ordered, repeatable name=URL flag.
type peerList [][2]string

func (p *peerList) String() string { return fmt.Sprint(*p) }
func (p *peerList) Set(v string) error {
	name, url, ok := strings.Cut(v, "=")
	if !ok || name == "" || url == "" {
		return fmt.Errorf("%q is not name=URL", v)
	}
	*p = append(*p, [2]string{name, url})
	return nil
}

// benchPeersOpts holds the values of the bench peers flags.
type benchPeersOpts struct {
	direct   *string
	peers    peerList
	rate     *int
	duration *time.Duration
}

// benchPeersFlags builds the bench peers flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func benchPeersFlags() (*flag.FlagSet, *benchPeersOpts) {
	o := &benchPeersOpts{}
	fs := flag.NewFlagSet("bench peers", flag.ContinueOnError)
	o.direct = fs.String("direct", "", "the backend URL called directly (loopback)")
	fs.Var(&o.peers, "peer", "a gateway in front of that backend, name=URL (repeatable; the first is the base of the ratios)")
	o.rate = fs.Int("rate", 2000, "requests per second on each side")
	o.duration = fs.Duration("duration", 4*time.Second, "attack duration on each side, per gateway")
	return fs, o
}

// benchPeers measures, for each gateway in turn, the latency it adds over
// calling the backend directly (the overhead scenario: the same rate on
// both sides, alternating rounds), then prints every gateway's added
// latency and its ratio to the first one's. scripts/peer-bench.sh runs it
// with the reference gateway and nginx side by side.
func benchPeers(args []string, stdout, stderr io.Writer) int {
	fs, o := benchPeersFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	direct, peers, rate, duration := o.direct, o.peers, o.rate, o.duration
	if *direct == "" || len(peers) == 0 {
		fmt.Fprintln(stderr, "gatecheck bench peers: --direct and at least one --peer are required")
		return runner.ExitConfig
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	results := make([]*overhead.Result, len(peers))
	for i, p := range peers {
		fmt.Fprintf(stdout, "%s: %d req/s for %v on each side, direct and through %s, alternating\n", p[0], *rate, *duration, p[0])
		res, err := overhead.Run(ctx, overhead.Options{DirectURL: *direct, GatewayURL: p[1], Rate: *rate, Duration: *duration})
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck bench peers: %s: %v\n", p[0], err)
			return runner.ExitConfig
		}
		res.Print(stdout)
		fmt.Fprintln(stdout)
		results[i] = res
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "GATEWAY\tADDED p50\tADDED p90\tADDED p99\tp50 vs %s\tp99 vs %s\tVALID\n", peers[0][0], peers[0][0])
	added := func(r *overhead.Result) [3]time.Duration {
		return [3]time.Duration{r.Gateway.P50 - r.Direct.P50, r.Gateway.P90 - r.Direct.P90, r.Gateway.P99 - r.Direct.P99}
	}
	base := added(results[0])
	ratio := func(a, b time.Duration) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", float64(a)/float64(b))
	}
	code := 0
	for i, p := range peers {
		a := added(results[i])
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%s\t%s\t%v\n", p[0], a[0].Round(time.Microsecond), a[1].Round(time.Microsecond), a[2].Round(time.Microsecond),
			ratio(a[0], base[0]), ratio(a[2], base[2]), results[i].Valid)
		if !results[i].Valid {
			code = runner.ExitFailed
		}
	}
	tw.Flush()
	return code
}
