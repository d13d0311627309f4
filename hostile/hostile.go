package hostile

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Targets says where the reference gateway and the fixture listen
// (host:port each) and what the reference definitions name.
type Targets struct {
	Gateway    string // the REST API
	Management string // the emulated management API
	WebSocket  string // the WebSocket API and its @connections API
	Fixture    string // the fixture backend, called directly

	Stage           string          // the REST stage the categories use ("test")
	APIID           string          // the REST API's id in management paths
	WebSocketStage  string          // the WebSocket stage ("ws")
	WebSocketAPIKey string          // the key $connect requires
	Credentials     aws.Credentials // the emulator's SigV4 identity
	Region          string
	// ServerDeadline is the servers' header and body deadline: a slow
	// probe must not be ended before it (an early end means something
	// other than the deadline cut it). 0: not checked.
	ServerDeadline time.Duration
}

// ReferenceTargets are the reference API's names (fixtures/apis) at the
// given addresses.
func ReferenceTargets(gatewayAddr, managementAddr, webSocketAddr, fixtureAddr string) Targets {
	return Targets{
		Gateway: gatewayAddr, Management: managementAddr, WebSocket: webSocketAddr, Fixture: fixtureAddr,
		Stage: "test", APIID: restapi.ReferenceRestAPIID, WebSocketStage: "ws", WebSocketAPIKey: "gatecheckWebSocketKey000006",
		Credentials: aws.Credentials{AccessKeyID: gateway.DefaultCredential.AccessKeyID, SecretAccessKey: gateway.DefaultCredential.SecretAccessKey, Source: "hostile"},
		Region:      "us-east-1",
	}
}

// Outcome is what one probe got. Label names the answer: a status code
// (with the x-amzn-ErrorType when the answer carries one, e.g. "403
// ForbiddenException"), "closed" (the connection closed without an
// answer), "ws-close:1009" (a WebSocket close frame), "ws-reply" (the
// WebSocket route's reply arrived), "in-order" (every pipelined request
// answered, in order), or "timeout" (no answer before the probe's
// deadline: a hang, never allowed). Problem says what was wrong with an
// answer whose label is allowed but whose content is not as documented.
type Outcome struct {
	Label   string
	Problem string
}

// Labels that are not status codes.
const (
	Closed  = "closed"
	Timeout = "timeout"
	InOrder = "in-order"
	WSReply = "ws-reply"
)

// WSClose is the label of a WebSocket close frame with code.
func WSClose(code int) string { return fmt.Sprintf("ws-close:%d", code) }

// Probe is one hostile request (or a pipelined batch, or a WebSocket
// connection) and the answers it may get.
type Probe struct {
	// Request describes what is sent, for failure reports.
	Request string
	// Allowed are the labels this probe may get; each is in its
	// category's table.
	Allowed []string
	// Send sends the probe and judges the answer. Every read and write
	// it makes has a deadline no later than ctx's.
	Send func(ctx context.Context, env *Env) Outcome
}

// Category is a family of probes with its documented answers.
type Category struct {
	Name string
	// Allowed are the answers the category documents (the package
	// table); a probe narrows them to its own.
	Allowed []string
	// Weight is the category's share of the probes of a run.
	Weight int
	// MaxProbes caps the probes of a run (0: none), for probes that wait
	// out a server deadline.
	MaxProbes int
	// New returns the i-th probe. It is deterministic given env's seed,
	// so a failure can be reproduced.
	New func(i int, env *Env) Probe
	// Verify, when set, checks what the category's probes left behind
	// (e.g. the fixture's counters) once every probe has run.
	Verify func(ctx context.Context, env *Env, probes int) []string
}

// Env is what probes share during a run.
type Env struct {
	Targets
	// Nonce tells this run's scopes and ids from other runs'.
	Nonce string
	seed  uint64
}

// rng returns a generator for the i-th probe of a category, fixed by the
// run's seed.
func (e *Env) rng(category string, i int) *rand.Rand {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(category) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return rand.New(rand.NewPCG(e.seed^h, uint64(i)))
}

// Options tune Run.
type Options struct {
	// Requests is the number of probes over all categories (at least one
	// per category; MaxProbes caps may leave fewer). Default 1000.
	Requests int
	// Workers send probes concurrently. Default 16.
	Workers int
	// ProbeTimeout bounds each probe, reads and writes included; a probe
	// not answered by then is a hang. It must exceed the servers' header
	// and body deadlines. Default 10 s.
	ProbeTimeout time.Duration
	// Categories to run. Default: All().
	Categories []Category
	// Seed makes the probes' random choices reproducible. Default 1.
	Seed uint64
}

// CategoryResult is one category's histogram and failures.
type CategoryResult struct {
	Name      string
	Probes    int
	Histogram map[string]int // label → count
	// Failures are the first failing probes (at most maxFailures);
	// FailureCount counts them all.
	Failures     []Failure
	FailureCount int
	// Problems come from the category's Verify.
	Problems []string
}

// Passed reports whether every probe got an allowed answer and Verify
// found nothing.
func (c *CategoryResult) Passed() bool { return c.FailureCount == 0 && len(c.Problems) == 0 }

// Failure is one probe whose answer was not allowed.
type Failure struct {
	Request string
	Outcome Outcome
	Allowed []string
}

const maxFailures = 20

// Report is a run's result.
type Report struct {
	Categories []*CategoryResult
	Probes     int
	Duration   time.Duration
}

// Passed reports whether every category passed.
func (r *Report) Passed() bool {
	for _, c := range r.Categories {
		if !c.Passed() {
			return false
		}
	}
	return true
}

// Run sends the probes of every category to targets, opts.Workers at a
// time, interleaved so that probes waiting out a server deadline overlap
// with the rest, and returns the histograms.
func Run(ctx context.Context, targets Targets, opts Options) (*Report, error) {
	if opts.Requests <= 0 {
		opts.Requests = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 10 * time.Second
	}
	if opts.Categories == nil {
		opts.Categories = All()
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if len(opts.Categories) == 0 {
		return nil, fmt.Errorf("hostile: no categories to run")
	}
	env := &Env{Targets: targets, seed: opts.Seed, Nonce: fmt.Sprintf("%x", time.Now().UnixNano())}
	counts := allocate(opts.Requests, opts.Categories)

	type job struct {
		cat   int
		probe Probe
	}
	var jobs []job
	for c, cat := range opts.Categories {
		for i := range counts[c] {
			jobs = append(jobs, job{c, cat.New(i, env)})
		}
	}
	// Interleave: a fixed shuffle spreads each category over the run.
	rand.New(rand.NewPCG(opts.Seed, 0)).Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	results := make([]*CategoryResult, len(opts.Categories))
	for c, cat := range opts.Categories {
		results[c] = &CategoryResult{Name: cat.Name, Probes: counts[c], Histogram: map[string]int{}}
	}
	var mu sync.Mutex
	record := func(j job, o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		r := results[j.cat]
		r.Histogram[o.Label]++
		if o.Problem == "" && slices.Contains(j.probe.Allowed, o.Label) && slices.Contains(opts.Categories[j.cat].Allowed, o.Label) {
			return
		}
		r.FailureCount++
		if len(r.Failures) < maxFailures {
			r.Failures = append(r.Failures, Failure{Request: j.probe.Request, Outcome: o, Allowed: j.probe.Allowed})
		}
	}

	start := time.Now()
	next := make(chan job)
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				pctx, cancel := context.WithTimeout(ctx, opts.ProbeTimeout)
				o := j.probe.Send(pctx, env)
				cancel()
				record(j, o)
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hostile: run stopped: %w", err)
	}
	for c, cat := range opts.Categories {
		if cat.Verify != nil {
			vctx, cancel := context.WithTimeout(ctx, opts.ProbeTimeout)
			results[c].Problems = cat.Verify(vctx, env, counts[c])
			cancel()
		}
	}
	return &Report{Categories: results, Probes: len(jobs), Duration: time.Since(start)}, nil
}

// allocate shares n probes among the categories by weight: at least one
// each, none over its MaxProbes, what a cap leaves going to the others.
func allocate(n int, cats []Category) []int {
	counts := make([]int, len(cats))
	open := map[int]bool{}
	for i := range cats {
		open[i] = true
	}
	left := n
	for left > 0 && len(open) > 0 {
		total := 0
		for i := range open {
			total += max(cats[i].Weight, 1)
		}
		given := 0
		for _, i := range slices.Sorted(maps.Keys(open)) {
			share := max(left*max(cats[i].Weight, 1)/total, 1)
			if m := cats[i].MaxProbes; m > 0 && counts[i]+share >= m {
				share = m - counts[i]
				delete(open, i)
			}
			counts[i] += share
			given += share
		}
		left -= given
		if given == 0 {
			break
		}
	}
	return counts
}

// Print writes each category's histogram (outcome → count) and verdict.
func (r *Report) Print(w io.Writer) {
	for _, c := range r.Categories {
		verdict := "passed"
		if !c.Passed() {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "%s (%d probes): %s\n", c.Name, c.Probes, verdict)
		labels := slices.Collect(maps.Keys(c.Histogram))
		sort.Slice(labels, func(i, j int) bool {
			if c.Histogram[labels[i]] != c.Histogram[labels[j]] {
				return c.Histogram[labels[i]] > c.Histogram[labels[j]]
			}
			return labels[i] < labels[j]
		})
		for _, l := range labels {
			fmt.Fprintf(w, "  %-44s %6d\n", l, c.Histogram[l])
		}
		for _, f := range c.Failures {
			fmt.Fprintf(w, "  FAIL %s\n       got %s", f.Request, f.Outcome.Label)
			if f.Outcome.Problem != "" {
				fmt.Fprintf(w, " (%s)", f.Outcome.Problem)
			}
			fmt.Fprintf(w, "; allowed: %s\n", strings.Join(f.Allowed, ", "))
		}
		if c.FailureCount > len(c.Failures) {
			fmt.Fprintf(w, "  … and %d more failing probes\n", c.FailureCount-len(c.Failures))
		}
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  FAIL %s\n", p)
		}
	}
}
