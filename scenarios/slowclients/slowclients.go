// Package slowclients measures what slow clients cost a server's normal
// traffic: a constant-rate attack of normal requests runs in alternating
// rounds, idle and while a crowd of slow clients (default 1,000) holds
// connections by announcing a body they never send, or by never finishing
// their headers. The crowd connects before the round's normal load starts
// and holds on until the server cuts it off, which must happen after the
// load (the server's deadline is longer than a round) and within Hold.
// The result compares the normal requests' latency in both kinds of round
// and reports when the server cut each slow client off (its body or
// header deadline). The crowd does not reconnect: a thousand reconnections
// at the same instant are a connection flood, another attack.
package slowclients

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gatecheck/gatecheck/scenarios"
)

// Kind is how a slow client holds its connection.
type Kind string

const (
	// SlowBody announces a 1,000,000-byte body and never sends it.
	SlowBody Kind = "body"
	// SlowHeaders sends a request line and one header, and never ends
	// the headers.
	SlowHeaders Kind = "headers"
)

// MaxClients bounds the crowd (each is a socket on both ends).
const MaxClients = 5000

// Options of one run.
type Options struct {
	NormalURL string        // the route normal requests GET
	SlowURL   string        // where slow clients connect (its host) and what they ask for (its path)
	Clients   int           // slow clients held open during attack rounds
	Kind      Kind          // SlowBody or SlowHeaders
	Rate      int           // normal requests per second
	Duration  time.Duration // per kind of round, split across Rounds
	Rounds    int           // alternations; default 2
	// Hold bounds how long a slow client waits for the server to cut it
	// off before it counts as held (the server's deadline, plus margin).
	// It must exceed the time a round's normal load takes.
	Hold time.Duration
}

// Latency is one kind of round's normal-request latency.
type Latency struct {
	Requests      uint64
	P50, P99, Max time.Duration
	Success       float64
}

// Result compares the rounds.
type Result struct {
	Idle, Attack Latency
	Ratio        float64 // Attack.P99 / Idle.P99
	// Cut is how many slow connections the server closed, and CutMin,
	// CutMedian and CutMax the times from connect to that close.
	Cut                       int
	CutMin, CutMedian, CutMax time.Duration
	Held                      int // slow connections still open after Hold
	Valid                     bool
	Invalid                   string
}

// Run runs the scenario.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Clients < 1 || o.Clients > MaxClients {
		return nil, fmt.Errorf("%w: %d slow clients is outside 1–%d", scenarios.ErrRefused, o.Clients, MaxClients)
	}
	if o.Kind != SlowBody && o.Kind != SlowHeaders {
		return nil, fmt.Errorf("slowclients: kind %q: want %q or %q", o.Kind, SlowBody, SlowHeaders)
	}
	for _, u := range []string{o.NormalURL, o.SlowURL} {
		if err := scenarios.Bounds(u, o.Rate, o.Duration, false, 0); err != nil {
			return nil, err
		}
	}
	slow, err := url.Parse(o.SlowURL)
	if err != nil {
		return nil, err
	}
	idle, attack := &vegeta.Metrics{}, &vegeta.Metrics{}
	res := &Result{Valid: true}
	var cutAfter []time.Duration
	per := o.Duration / time.Duration(o.Rounds)
	if o.Hold <= per {
		return nil, fmt.Errorf("slowclients: Hold %v must exceed a round's load (%v): the crowd must outlast it", o.Hold, per)
	}
	for round := 0; round < o.Rounds; round++ {
		for _, m := range []*vegeta.Metrics{idle, attack} {
			var crowd *crowd
			if m == attack {
				crowd = startCrowd(ctx, slow, o)
				if err := crowd.ready(ctx); err != nil {
					crowd.stop()
					return nil, err
				}
			}
			var r vegeta.Metrics
			err := normalLoad(ctx, o.NormalURL, o.Rate, per, m, &r)
			r.Close()
			if crowd != nil {
				if err != nil {
					crowd.stop()
					return nil, err
				}
				cut, held := crowd.wait()
				cutAfter = append(cutAfter, cut...)
				res.Held += held
			}
			if err != nil {
				return nil, err
			}
			if !scenarios.AchievedRateOK(&r, o.Rate) && res.Valid {
				res.Valid, res.Invalid = false, fmt.Sprintf("normal load achieved %.0f/s of the %d/s asked: the load generator, not the server, was the limit", r.Rate, o.Rate)
			}
		}
	}
	idle.Close()
	attack.Close()
	res.Idle, res.Attack = latency(idle), latency(attack)
	if res.Idle.P99 > 0 {
		res.Ratio = float64(res.Attack.P99) / float64(res.Idle.P99)
	}
	slices.Sort(cutAfter)
	res.Cut = len(cutAfter)
	if len(cutAfter) > 0 {
		res.CutMin, res.CutMedian, res.CutMax = cutAfter[0], cutAfter[len(cutAfter)/2], cutAfter[len(cutAfter)-1]
	}
	for _, l := range []Latency{res.Idle, res.Attack} {
		if l.Success < 1 && res.Valid {
			res.Valid, res.Invalid = false, fmt.Sprintf("normal requests failed (success %.4f)", l.Success)
		}
	}
	return res, nil
}

func latency(m *vegeta.Metrics) Latency {
	return Latency{Requests: m.Requests, P50: m.Latencies.P50, P99: m.Latencies.P99, Max: m.Latencies.Max, Success: m.Success}
}

func normalLoad(ctx context.Context, target string, rate int, d time.Duration, into ...*vegeta.Metrics) error {
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: target})
	return scenarios.Attack(ctx, tr, rate, d, "normal", func(r *vegeta.Result) error {
		for _, m := range into {
			m.Add(r)
		}
		return nil
	})
}

// crowd is the slow clients of one attack round.
type crowd struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	connected chan struct{} // one value per client's first connection
	failed    chan error
	n         int

	mu   sync.Mutex
	cut  []time.Duration
	held int
}

func startCrowd(parent context.Context, slow *url.URL, o Options) *crowd {
	ctx, cancel := context.WithCancel(parent)
	c := &crowd{cancel: cancel, connected: make(chan struct{}, o.Clients), failed: make(chan error, o.Clients), n: o.Clients}
	request := "POST " + slow.RequestURI() + " HTTP/1.1\r\nHost: " + slow.Host + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
	if o.Kind == SlowHeaders {
		request = "GET " + slow.RequestURI() + " HTTP/1.1\r\nHost: " + slow.Host + "\r\n"
	}
	for range o.Clients {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.client(ctx, slow.Host, request, o.Hold)
		}()
	}
	return c
}

// client holds one slow connection until the server cuts it off, Hold
// passes, or ctx ends.
func (c *crowd) client(ctx context.Context, addr, request string, hold time.Duration) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		c.failed <- err
		return
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetDeadline(start.Add(hold))
	_, err = io.WriteString(conn, request)
	c.connected <- struct{}{}
	if err == nil {
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
		// The server answers (400 for a body it gave up on) and closes,
		// or just closes: either way the read ends at EOF.
		_, err = io.Copy(io.Discard, conn)
		stop()
	}
	took := time.Since(start)
	var ne net.Error
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case ctx.Err() != nil: // stopped early: neither cut nor held
	case errors.As(err, &ne) && ne.Timeout():
		c.held++
	default:
		c.cut = append(c.cut, took)
	}
}

// ready waits until every client has connected once.
func (c *crowd) ready(ctx context.Context) error {
	for range c.n {
		select {
		case <-c.connected:
		case err := <-c.failed:
			return fmt.Errorf("slowclients: a slow client could not connect: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// wait returns, once every slow client has been cut off or held past
// Hold, the cut-off times and the held count.
func (c *crowd) wait() (cut []time.Duration, held int) {
	c.wg.Wait()
	c.cancel()
	return c.cut, c.held
}

// stop ends the crowd early (an error).
func (c *crowd) stop() {
	c.cancel()
	c.wg.Wait()
}

// Print writes the comparison.
func (r *Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NORMAL REQUESTS\tIDLE\tWITH SLOW CLIENTS\tRATIO")
	row := func(name string, a, b time.Duration) {
		ratio := 0.0
		if a > 0 {
			ratio = float64(b) / float64(a)
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%.2fx\n", name, a.Round(time.Microsecond), b.Round(time.Microsecond), ratio)
	}
	row("p50", r.Idle.P50, r.Attack.P50)
	row("p99", r.Idle.P99, r.Attack.P99)
	row("max", r.Idle.Max, r.Attack.Max)
	fmt.Fprintf(tw, "requests\t%d\t%d\t\n", r.Idle.Requests, r.Attack.Requests)
	tw.Flush()
	fmt.Fprintf(w, "slow connections: %d cut off by the server (after %v to %v, median %v), %d held past the bound\n",
		r.Cut, r.CutMin.Round(time.Millisecond), r.CutMax.Round(time.Millisecond), r.CutMedian.Round(time.Millisecond), r.Held)
	if !r.Valid {
		fmt.Fprintf(w, "verdict: INVALID — %s\n", r.Invalid)
	}
}
