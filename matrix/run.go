package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gatecheck/gatecheck/reports"
)

// Options of a matrix run.
type Options struct {
	Root      string // the project root: fixtures/peers/ is under it
	Self      string // the gatecheck binary, run once per column (Ginkgo runs a suite once per process)
	Out       string // DIR: one run directory per column, and the matrix's views
	Reference bool   // include the embedded reference gateway's column
	Peers     []Peer
	// SkipMissing leaves out a peer that is not installed, saying so on
	// Progress, instead of failing the run.
	SkipMissing bool
	Progress    io.Writer
}

// startTimeout bounds the wait for a child to listen.
const startTimeout = 20 * time.Second

// ErrStart is a gateway (or the fixture) that did not start listening:
// the matrix could not test it.
var ErrStart = errors.New("did not start")

// RunAll starts the fixture and the reference gateway that backs the peers'
// WebSocket routes, runs the suites against the reference gateway (the
// embedded default) and each peer in turn, stops everything, and builds
// the matrix from the runs' reports. A gateway that fails specs is data,
// not an error; a peer that is not installed or does not start is.
func RunAll(ctx context.Context, o Options) (*Matrix, error) {
	var missing []string
	var installed []Peer
	for _, p := range o.Peers {
		if _, err := p.Binary(); err != nil {
			missing = append(missing, err.Error())
			continue
		}
		installed = append(installed, p)
	}
	switch {
	case len(missing) > 0 && !o.SkipMissing:
		return nil, fmt.Errorf("matrix: %s", strings.Join(missing, "; "))
	case len(missing) > 0 && o.Progress != nil:
		fmt.Fprintf(o.Progress, "left out: %s\n", strings.Join(missing, "; "))
	}
	o.Peers = installed
	// Absolute paths: peers run in their scratch directory and resolve a
	// relative config path against it (nginx against its own prefix).
	var err error
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return nil, err
	}
	if o.Out, err = filepath.Abs(o.Out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	var runs []Run
	if o.Reference {
		r, err := column(ctx, o, "reference", nil)
		if err != nil {
			return nil, err
		}
		runs = append(runs, *r)
	}
	if len(o.Peers) > 0 {
		stop, err := startBacking(ctx, o)
		if err != nil {
			return nil, err
		}
		defer stop()
		for _, p := range o.Peers {
			running, err := p.Start(ctx, o.Root, filepath.Join(o.Out, p.Name, "server"))
			if err != nil {
				return nil, err
			}
			r, err := column(ctx, o, p.Name, []string{"--profile", p.ProfilePath(o.Root)})
			running.Stop()
			if err != nil {
				return nil, err
			}
			runs = append(runs, *r)
		}
	}
	return Build(runs), nil
}

// column runs the suites as one column and reads its report.
func column(ctx context.Context, o Options, name string, args []string) (*Run, error) {
	dir := filepath.Join(o.Out, name)
	if err := os.RemoveAll(filepath.Join(dir, "report.json")); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	start := time.Now()
	cmd := exec.CommandContext(ctx, o.Self, append([]string{"run", "--out", dir}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = o.Root, logFile, logFile
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("matrix: running %s: %w", name, err)
	}
	r, rerr := reports.ReadJSON(filepath.Join(dir, "report.json"))
	if rerr != nil {
		return nil, fmt.Errorf("matrix: %s wrote no report (%v); its output is in %s", name, rerr, logFile.Name())
	}
	if o.Progress != nil {
		counts := Build([]Run{{Name: name, Report: r}}).Gateways[0].Counts
		var parts []string
		for _, oc := range outcomeOrder {
			if counts[oc] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[oc], oc))
			}
		}
		code := 0
		if exit != nil {
			code = exit.ExitCode()
		}
		fmt.Fprintf(o.Progress, "%-10s %s (exit %d, %v; %s)\n", name, strings.Join(parts, ", "), code, time.Since(start).Round(100*time.Millisecond), dir)
	}
	return &Run{Name: name, Report: r}, nil
}

// startBacking starts the fixture and the reference gateway on the fixed
// topology, and returns what stops them. The fixture may call back
// through every peer (their WebSocket routes proxy @connections).
func startBacking(ctx context.Context, o Options) (func(), error) {
	fixtureArgs := []string{"fixture", "--listen", FixtureAddr,
		"--callback-endpoint", "http://" + ReferenceWebSocketAddr, "--callback-endpoint", "http://" + ReferenceNoDefaultAddr}
	for _, p := range o.Peers {
		addr, noDefault, err := p.ListenAddrs(o.Root)
		if err != nil {
			return nil, err
		}
		fixtureArgs = append(fixtureArgs, "--callback-endpoint", "http://"+addr)
		if noDefault != "" {
			fixtureArgs = append(fixtureArgs, "--callback-endpoint", "http://"+noDefault)
		}
	}
	gatewayArgs := []string{"serve", "--listen", ReferenceRESTAddr, "--management-listen", "",
		"--websocket-listen", ReferenceWebSocketAddr, "--websocket-nodefault-listen", ReferenceNoDefaultAddr,
		"--stage-var", "backend=" + FixtureAddr, "--lambda-endpoint", "http://" + FixtureAddr, "--access-log=false"}
	var started []*child
	stop := func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].stop()
		}
	}
	for _, c := range []struct {
		name  string
		addrs []string
		args  []string
	}{
		{"fixture", []string{FixtureAddr}, fixtureArgs},
		{"reference-websocket", []string{ReferenceRESTAddr, ReferenceWebSocketAddr, ReferenceNoDefaultAddr}, gatewayArgs},
	} {
		for _, a := range c.addrs {
			if err := refuseBusy(a); err != nil {
				stop()
				return nil, fmt.Errorf("matrix: %s: %w", c.name, err)
			}
		}
		ch, err := startChild(ctx, exec.Command(o.Self, c.args...), filepath.Join(o.Out, c.name+".log"), c.addrs...)
		if err != nil {
			stop()
			return nil, fmt.Errorf("matrix: %s: %w", c.name, err)
		}
		started = append(started, ch)
	}
	return stop, nil
}

// child is a gatecheck child process serving on loopback.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
	addrs  []string // where it listens: stop waits until they are free
}

// startChild starts cmd in a process group of its own, with its output in
// logPath, and waits, bounded by startTimeout, until it listens on every
// addr; on failure the error (ErrStart) quotes its log.
func startChild(ctx context.Context, cmd *exec.Cmd, logPath string, addrs ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own group, so stop reaches a master's workers too (nginx).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{}), addrs: addrs}
	go func() { _ = cmd.Wait(); logFile.Close(); close(c.exited) }()
	wctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for _, addr := range addrs {
		if err := WaitListening(wctx, addr, c.exited); err != nil {
			c.stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%w: not listening on %s: %v\n%s", ErrStart, addr, err, strings.TrimSpace(string(log)))
		}
	}
	return c, nil
}

// stop ends the child's process group: SIGTERM, then SIGKILL after 5 s,
// and any process of the group left once the child has exited (a worker
// that outlived its master); then it waits, at most 5 s, until no one
// listens on the child's addresses, so the next gateway can take them.
func (c *child) stop() {
	if c == nil {
		return
	}
	pgid := -c.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-c.exited
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for _, addr := range c.addrs {
		for time.Now().Before(deadline) && refuseBusy(addr) != nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
}
