package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gatecheck/gatecheck/matrix"
	"github.com/gatecheck/gatecheck/runner"
)

// matrixOpts holds the values of the matrix flags.
type matrixOpts struct {
	out, peers, root *string
	reference        *bool
	check, pin       *bool
	skipMissing      *bool
}

// matrixFlags builds the matrix flags; the command and the usage (gatecheck
// help) both use it, so the usage cannot drift.
func matrixFlags() (*flag.FlagSet, *matrixOpts) {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	names := make([]string, len(matrix.Peers))
	for i, p := range matrix.Peers {
		names[i] = p.Name
	}
	return fs, &matrixOpts{
		out:         fs.String("out", "gatecheck-report/matrix", "directory for matrix.json, matrix.md, matrix.html and (when running) each gateway's run"),
		peers:       fs.String("peers", strings.Join(names, ","), "the shipped peers to run (fixtures/peers/<name>/), comma-separated; empty: none"),
		reference:   fs.Bool("reference", true, "include the embedded reference gateway's column"),
		root:        fs.String("root", ".", "the gatecheck source tree (its fixtures/peers/ holds the peers' configs, profiles and pinned expectations)"),
		check:       fs.Bool("check-expected", false, "compare each peer's column with its pinned expectations (fixtures/peers/<name>/expected.json); exit 1 when one differs"),
		pin:         fs.Bool("pin", false, "write each peer's column as its pinned expectations"),
		skipMissing: fs.Bool("skip-missing", false, "leave out a peer that is not installed (saying so) instead of failing"),
	}
}

// cmdMatrix builds the gateway matrix: with DIRs, from existing runs
// (`gatecheck run --out DIR`, as NAME=DIR to name a column); without,
// by running the reference gateway and each shipped peer on loopback.
func cmdMatrix(args []string, stdout, stderr io.Writer) int {
	fs, o := matrixFlags()
	fs.SetOutput(stderr)
	fs.Usage = func() {
		c, _ := findCommand("matrix")
		fmt.Fprint(stderr, commandUsage(c))
	}
	// Flags may come before or after the DIRs.
	var dirs []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return runner.ExitConfig
		}
		if fs.NArg() == 0 {
			break
		}
		dirs, rest = append(dirs, fs.Arg(0)), fs.Args()[1:]
	}
	var peers []matrix.Peer
	var unknown []string
	for _, name := range strings.Split(*o.peers, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		p, ok := matrix.PeerNamed(name)
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		peers = append(peers, p)
	}
	var problems []string
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("--peers: no shipped peer named %s (fixtures/peers/ has %s)", strings.Join(unknown, ", "), peerNames()))
	}
	if *o.pin && *o.check {
		problems = append(problems, "--pin and --check-expected: pin after a deliberate change, or check against the pins, not both")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "gatecheck matrix: %s\n", strings.Join(problems, "\n  "))
		return runner.ExitConfig
	}
	var m *matrix.Matrix
	if len(dirs) > 0 {
		runs, err := matrix.ReadRuns(dirs)
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck %v\n", err)
			return runner.ExitConfig
		}
		m = matrix.Build(runs)
	} else {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck matrix: %v\n", err)
			return runner.ExitConfig
		}
		ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer cancel()
		m, err = matrix.RunAll(ctx, matrix.Options{Root: *o.root, Self: self, Out: *o.out, Reference: *o.reference, Peers: peers, SkipMissing: *o.skipMissing, Progress: stdout})
		if err != nil {
			fmt.Fprintf(stderr, "gatecheck %v\n", err)
			if errors.Is(err, matrix.ErrStart) {
				return runner.ExitUnreachable
			}
			return runner.ExitConfig
		}
	}
	if err := matrix.Write(*o.out, m); err != nil {
		fmt.Fprintf(stderr, "gatecheck matrix: writing the views: %v\n", err)
		return runner.ExitConfig
	}
	fmt.Fprintf(stdout, "matrix: %s/{matrix.json,matrix.md,matrix.html}\n", *o.out)
	code, compared := 0, 0
	for _, p := range peers {
		if _, err := matrix.ExpectedOf(m, p.Name); err != nil {
			continue // not a column of this matrix
		}
		path := p.ExpectedPath(*o.root)
		switch {
		case *o.pin && runErrorOf(m, p.Name) != "":
			fmt.Fprintf(stderr, "gatecheck matrix: %s's run did not test it (%s): not pinned\n", p.Name, runErrorOf(m, p.Name))
			return runner.ExitConfig
		case *o.pin:
			old, err := matrix.ReadExpected(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "gatecheck matrix: %v (fix or remove it before pinning)\n", err)
				return runner.ExitConfig
			}
			got, err := matrix.Repin(m, p.Name, old)
			if err == nil {
				err = matrix.WriteExpected(path, got)
			}
			if err != nil {
				fmt.Fprintf(stderr, "gatecheck matrix: %v\n", err)
				return runner.ExitConfig
			}
			fmt.Fprintf(stdout, "pinned %s\n", filepath.Clean(path))
		case *o.check:
			want, err := matrix.ReadExpected(path)
			if err != nil {
				fmt.Fprintf(stderr, "gatecheck matrix: %v (pin a peer's outcomes with --pin)\n", err)
				return runner.ExitConfig
			}
			compared++
			if d := matrix.DiffText(matrix.Diff(m, p.Name, want)); d != "" {
				fmt.Fprintf(stdout, "%s: %s\n", p.Name, d)
				code = runner.ExitFailed
			} else {
				fmt.Fprintf(stdout, "%s: every outcome as pinned in %s\n", p.Name, filepath.Clean(path))
			}
		}
	}
	if *o.check && compared == 0 && !*o.skipMissing { // peers left out were named by RunAll
		fmt.Fprintf(stderr, "gatecheck matrix: --check-expected compared nothing: no column is a shipped peer (%s)\n", peerNames())
		return runner.ExitConfig
	}
	return code
}

// runErrorOf is the run error of column name, or "".
func runErrorOf(m *matrix.Matrix, name string) string {
	for _, g := range m.Gateways {
		if g.Name == name {
			return g.RunError
		}
	}
	return ""
}

func peerNames() string {
	names := make([]string, len(matrix.Peers))
	for i, p := range matrix.Peers {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
