package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gatecheck/gatecheck/hostile"
	"github.com/gatecheck/gatecheck/runner"
)

// hostileOpts holds the values of the hostile flags.
type hostileOpts struct {
	requests     *int
	bound        *string
	processBound *string
	workers      *int
	seed         *uint64
	deadline     *time.Duration
	logDir       *string
}

// hostileFlags builds the hostile flags; the command and the usage
// (gatecheck help) both use it, so the usage cannot drift.
func hostileFlags() (*flag.FlagSet, *hostileOpts) {
	o := &hostileOpts{}
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	o.requests = fs.Int("requests", 10000, "hostile probes over all categories (each a request, a pipelined batch or a WebSocket connection)")
	o.bound = fs.String("memory-bound", "200MB", "bound on the peak resident memory (VmHWM) of the gateway and fixture processes together: bytes, or with KB, MB, GB (powers of 1000) or KiB, MiB, GiB")
	o.processBound = fs.String("process-memory-bound", "100MB", "bound on each process's peak resident memory (VmHWM): a regression in one (memory reserved for announced bodies) shows even when the sum stays under --memory-bound")
	o.workers = fs.Int("workers", 16, "probes in flight at a time")
	o.seed = fs.Uint64("seed", 1, "seed of the probes' random choices: the same seed sends the same probes")
	o.deadline = fs.Duration("server-deadline", 2*time.Second, "header and body deadline of the servers (their --read-header-timeout and --body-timeout)")
	o.logDir = fs.String("logs", "", "directory for the children's logs; default: a temporary directory, kept only when the run fails")
	return fs, o
}

// cmdHostile runs the hostile-input suite against `gatecheck serve` and
// `gatecheck fixture` started as child processes of this binary, then
// checks their peak memory, their logs and that they still serve.
func cmdHostile(args []string, stdout, stderr io.Writer) int {
	fs, o := hostileFlags()
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	requests, bound, processBound, workers, seed, deadline, logDir := o.requests, o.bound, o.processBound, o.workers, o.seed, o.deadline, o.logDir
	memoryBound, err := parseSize(*bound)
	var problems []error
	if err != nil {
		problems = append(problems, fmt.Errorf("--memory-bound %q: %w", *bound, err))
	}
	perProcess, err := parseSize(*processBound)
	if err != nil {
		problems = append(problems, fmt.Errorf("--process-memory-bound %q: %w", *processBound, err))
	}
	if *requests <= 0 {
		problems = append(problems, fmt.Errorf("--requests %d: must be positive", *requests))
	}
	if *workers <= 0 {
		problems = append(problems, fmt.Errorf("--workers %d: must be positive", *workers))
	}
	if *deadline <= 0 || *deadline > time.Minute {
		problems = append(problems, fmt.Errorf("--server-deadline %v: want a duration from 1ms to 1m (probes wait for it)", *deadline))
	}
	if err := errors.Join(problems...); err != nil {
		fmt.Fprintf(stderr, "gatecheck hostile: %v\n", err)
		return runner.ExitConfig
	}

	dir, keep := *logDir, *logDir != ""
	if dir == "" {
		if dir, err = os.MkdirTemp("", "gatecheck-hostile-"); err != nil {
			fmt.Fprintf(stderr, "gatecheck hostile: %v\n", err)
			return runner.ExitConfig
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "gatecheck hostile: --logs: %v\n", err)
		return runner.ExitConfig
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	passed, code := runHostile(ctx, hostileRun{requests: *requests, workers: *workers, seed: *seed, deadline: *deadline, memoryBound: memoryBound, processBound: perProcess, dir: dir}, stdout, stderr)
	if passed && !keep {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintf(stdout, "logs: %s\n", dir)
	}
	return code
}

type hostileRun struct {
	requests, workers int
	seed              uint64
	deadline          time.Duration
	memoryBound       int64
	processBound      int64 // each child's
	dir               string
}

func runHostile(ctx context.Context, o hostileRun, stdout, stderr io.Writer) (passed bool, code int) {
	var (
		fixture, gateway *child
		addrs            []string
		err              error
	)
	// A port found free may be taken by another process before a child
	// binds it: then start again on other ports.
	for attempt := 1; ; attempt++ {
		fixture, gateway, addrs, err = startServers(ctx, o)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			fmt.Fprintf(stderr, "gatecheck hostile: %v\n", err)
			return false, runner.ExitUnreachable
		}
	}
	defer fixture.stop()
	defer gateway.stop()
	fixtureAddr, gatewayAddr, mgmtAddr, wsAddr := addrs[0], addrs[1], addrs[2], addrs[3]

	targets := hostile.ReferenceTargets(gatewayAddr, mgmtAddr, wsAddr, fixtureAddr)
	targets.ServerDeadline = o.deadline
	fmt.Fprintf(stdout, "hostile: %d probes, %d at a time, against the reference gateway (pid %d) and the fixture (pid %d); server deadlines %v\n",
		o.requests, o.workers, gateway.cmd.Process.Pid, fixture.cmd.Process.Pid, o.deadline)
	rep, err := hostile.Run(ctx, targets, hostile.Options{Requests: o.requests, Workers: o.workers, Seed: o.seed, ProbeTimeout: o.deadline + 8*time.Second})
	if err != nil {
		fmt.Fprintf(stderr, "gatecheck hostile: %v\n", err)
		return false, runner.ExitFailed
	}
	rep.Print(stdout)
	passed = rep.Passed()

	checkCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	servingErr := hostile.CheckServing(checkCtx, targets)
	cancel()
	var peak [2]int64
	var memErrs []error
	for i, c := range []*child{gateway, fixture} {
		if peak[i], err = peakRSS(c); err != nil {
			memErrs = append(memErrs, err)
		}
	}
	crashed := []string{}
	for _, c := range []*child{gateway, fixture} {
		if c.exitedEarly() {
			crashed = append(crashed, c.name)
		}
		c.stop()
	}
	fmt.Fprintf(stdout, "\n%d probes in %v\n", rep.Probes, rep.Duration.Round(time.Millisecond))
	if err := errors.Join(memErrs...); err != nil {
		fmt.Fprintf(stdout, "peak memory: FAILED: %v\n", err)
		passed = false
	} else {
		total := peak[0] + peak[1]
		verdict := "within"
		if total >= o.memoryBound {
			verdict, passed = "OVER", false
		}
		fmt.Fprintf(stdout, "peak memory (VmHWM): gateway %s + fixture %s = %s, %s the bound of %s\n", mb(peak[0]), mb(peak[1]), mb(total), verdict, mb(o.memoryBound))
		for i, c := range []*child{gateway, fixture} {
			if o.processBound > 0 && peak[i] >= o.processBound {
				fmt.Fprintf(stdout, "peak memory: the %s's %s is OVER its own bound of %s\n", c.name, mb(peak[i]), mb(o.processBound))
				passed = false
			}
		}
	}
	for _, c := range []*child{gateway, fixture} {
		traces, err := crashTraces(c.logPath)
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "%s log: FAILED: %v\n", c.name, err)
			passed = false
		case len(traces) > 0:
			fmt.Fprintf(stdout, "%s log: FAILED: %d panic or fatal-error line(s), first: %.200q\n", c.name, len(traces), traces[0])
			passed = false
		default:
			fmt.Fprintf(stdout, "%s log: no panic, fatal error or goroutine trace\n", c.name)
		}
	}
	if len(crashed) > 0 {
		fmt.Fprintf(stdout, "FAILED: exited during the run: %s\n", strings.Join(crashed, ", "))
		passed = false
	}
	if servingErr != nil {
		fmt.Fprintf(stdout, "normal traffic afterwards: FAILED: %v\n", servingErr)
		passed = false
	} else {
		fmt.Fprintln(stdout, "normal traffic afterwards: served (REST through the fixture, management, WebSocket)")
	}
	if !passed {
		fmt.Fprintln(stdout, "hostile: FAILED")
		return false, runner.ExitFailed
	}
	fmt.Fprintln(stdout, "hostile: PASSED")
	return true, 0
}

// errPortTaken: a child could not listen on the port it was given.
var errPortTaken = errors.New("a port was taken before the server could listen on it")

// startServers starts the fixture and the gateway on free loopback ports
// and waits until they listen; it returns their addresses: fixture,
// gateway, management, WebSocket.
func startServers(ctx context.Context, o hostileRun) (fixture, gateway *child, addrs []string, err error) {
	if addrs, err = freeLoopbackAddrs(4); err != nil {
		return nil, nil, nil, err
	}
	fixtureAddr, gatewayAddr, mgmtAddr, wsAddr := addrs[0], addrs[1], addrs[2], addrs[3]
	d := o.deadline.String()
	fixture, err = startChild(o.dir, "fixture", 1, "fixture", "--listen", fixtureAddr, "--callback-endpoint", "http://"+wsAddr,
		"--read-header-timeout", d, "--body-timeout", d)
	if err != nil {
		return nil, nil, nil, err
	}
	gateway, err = startChild(o.dir, "gateway", 3, "serve", "--listen", gatewayAddr, "--management-listen", mgmtAddr, "--websocket-listen", wsAddr,
		"--stage-var", "backend="+fixtureAddr, "--lambda-endpoint", "http://"+fixtureAddr,
		"--read-header-timeout", d, "--body-timeout", d, "--management-read-header-timeout", d, "--management-body-timeout", d,
		"--websocket-read-header-timeout", d, "--websocket-body-timeout", d)
	if err != nil {
		fixture.stop()
		return nil, nil, nil, err
	}
	for _, c := range []*child{fixture, gateway} {
		if err = c.awaitReady(ctx, 20*time.Second); err != nil {
			fixture.stop()
			gateway.stop()
			if log, _ := os.ReadFile(c.logPath); bytes.Contains(log, []byte("address already in use")) {
				err = fmt.Errorf("%w: %v", errPortTaken, err)
			}
			return nil, nil, nil, err
		}
	}
	return fixture, gateway, addrs, nil
}

// child is gatecheck serve or fixture running as a child process, its
// stderr in a log file.
type child struct {
	name, logPath string
	cmd           *exec.Cmd
	watch         *readyWatch
	exited        chan struct{} // closed once Wait has returned
	stopOnce      sync.Once
	stopping      bool // set by stop before it signals
	mu            sync.Mutex
}

func startChild(dir, name string, listeners int, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c := &child{name: name, logPath: path, cmd: exec.Command(self, args...), exited: make(chan struct{}),
		watch: &readyWatch{file: f, want: listeners, ready: make(chan struct{})}}
	c.cmd.Stderr = c.watch
	setOrphanSignal(c.cmd)
	if err := c.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start the %s: %w", name, err)
	}
	go func() {
		_ = c.cmd.Wait()
		f.Close()
		close(c.exited)
	}()
	return c, nil
}

// awaitReady waits until the child has logged that each of its listeners
// listens, it exits, or timeout passes.
func (c *child) awaitReady(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.watch.ready:
		return nil
	case <-c.exited:
		return fmt.Errorf("the %s exited before listening (%v); see %s", c.name, c.cmd.ProcessState, c.logPath)
	case <-t.C:
		return fmt.Errorf("the %s did not listen within %v; see %s", c.name, timeout, c.logPath)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exitedEarly reports whether the child exited before stop asked it to.
func (c *child) exitedEarly() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.exited:
		return !c.stopping
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to 10 s for a graceful exit, then kills.
func (c *child) stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopping = true
		c.mu.Unlock()
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		select {
		case <-c.exited:
		case <-t.C:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
}

// readyWatch writes a child's stderr to its log and closes ready once
// want lines saying "listening" have passed.
type readyWatch struct {
	file    *os.File
	want    int
	seen    int
	partial []byte
	ready   chan struct{}
}

func (w *readyWatch) Write(p []byte) (int, error) {
	if w.seen < w.want {
		w.partial = append(w.partial, p...)
		for {
			i := bytes.IndexByte(w.partial, '\n')
			if i < 0 {
				break
			}
			if bytes.Contains(w.partial[:i], []byte("listening")) {
				if w.seen++; w.seen == w.want {
					close(w.ready)
				}
			}
			w.partial = w.partial[i+1:]
		}
		if w.seen >= w.want {
			w.partial = nil
		}
	}
	return w.file.Write(p)
}

// freeLoopbackAddrs returns n loopback addresses whose ports were free a
// moment ago (the children bind them next).
func freeLoopbackAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// peakRSS reads the child's peak resident set size (VmHWM) in bytes.
func peakRSS(c *child) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("the %s's peak memory: %w (VmHWM needs Linux's /proc)", c.name, err)
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB$`).FindSubmatch(status)
	if m == nil {
		return 0, fmt.Errorf("the %s's /proc status has no VmHWM line", c.name)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10, nil
}

// crashLine matches what Go prints for a panic, a fatal error or a
// goroutine dump, and net/http's report of a recovered handler panic.
var crashLine = regexp.MustCompile(`(?m)^(panic: |fatal error: |goroutine \d+ \[).*$|http: panic serving.*$`)

func crashTraces(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return crashLine.FindAllString(string(data), -1), nil
}

// parseSize reads a byte count: a number with an optional unit (B, KB,
// MB, GB as powers of 1000; KiB, MiB, GiB as powers of 1024).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<50 {
		return 0, errors.New("want a positive size such as 200MB or 190MiB")
	}
	return int64(n * float64(mult)), nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
