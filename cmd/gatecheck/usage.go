package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// command is one verb of gatecheck. The dispatcher and the usage are both
// built from commands(), and each command's flags from the constructor the
// command itself parses with, so neither the verbs nor the flags in the
// usage can drift from what the binary accepts.
type command struct {
	name    string // "run", or "bench throttle" for a bench mode
	args    string // positional arguments, e.g. "BASE.json OTHER.json"
	summary string
	flags   func() *flag.FlagSet // nil: the command takes no flags
	run     func(args []string, stdout, stderr io.Writer, logger *slog.Logger) int
}

// flagsOf adapts a flag constructor to command.flags.
func flagsOf[T any](build func() (*flag.FlagSet, T)) func() *flag.FlagSet {
	return func() *flag.FlagSet { fs, _ := build(); return fs }
}

// commands lists every verb, in the order the usage shows them. It is a
// function, not a variable, because the commands' own --help reads it.
func commands() []command {
	noLogger := func(f func([]string, io.Writer, io.Writer) int) func([]string, io.Writer, io.Writer, *slog.Logger) int {
		return func(args []string, stdout, stderr io.Writer, _ *slog.Logger) int { return f(args, stdout, stderr) }
	}
	return []command{
		{name: "run", flags: flagsOf(runFlags), run: cmdRun,
			summary: "Run the conformance suites. With no --profile, start the reference gateway and fixture backend on loopback and test them (the embedded default)."},
		{name: "serve", flags: flagsOf(serveFlags), run: func(args []string, _, stderr io.Writer, logger *slog.Logger) int {
			return cmdServe(args, stderr, logger)
		},
			summary: "Run the reference gateway (default: the reference API)."},
		{name: "fixture", flags: flagsOf(fixtureFlags), run: func(args []string, _, stderr io.Writer, logger *slog.Logger) int {
			return cmdFixture(args, stderr, logger)
		},
			summary: "Run the fixture backend to put behind any gateway."},
		{name: "bench overhead", flags: flagsOf(benchOverheadFlags), run: noLogger(benchOverhead),
			summary: "Measure the latency the reference gateway adds over calling the fixture directly (Vegeta, loopback only). The default mode of bench."},
		{name: "bench throttle", flags: flagsOf(benchThrottleFlags), run: noLogger(benchThrottle),
			summary: "Measure how closely the reference gateway's throttle holds its rate + burst under an attack at --multiple x the rate."},
		{name: "bench callbacks", flags: flagsOf(benchCallbacksFlags), run: noLogger(benchCallbacks),
			summary: "Measure WebSocket @connections callback delivery latency at a steady rate."},
		{name: "bench idle", flags: flagsOf(benchIdleFlags), run: noLogger(benchIdle),
			summary: "Measure the memory the reference WebSocket gateway holds per idle connection."},
		{name: "bench idle-clients", flags: flagsOf(benchIdleClientsFlags), run: noLogger(benchIdleClients),
			summary: "bench idle's child process: open the connections and hold them until standard input closes."},
		{name: "bench slowclients", flags: flagsOf(benchSlowClientsFlags), run: noLogger(benchSlowClients),
			summary: "Measure normal requests' latency while slow clients hold connections open."},
		{name: "bench peers", flags: flagsOf(benchPeersFlags), run: noLogger(benchPeers),
			summary: "Measure the latency each of several gateways adds over calling the same backend directly, and their ratios."},
		{name: "repeat", flags: flagsOf(repeatFlags), run: noLogger(cmdRepeat),
			summary: "Run the suites N times (each in its own process) and print how many runs failed and which specs, how often."},
		{name: "hostile", flags: flagsOf(hostileFlags), run: noLogger(cmdHostile),
			summary: "Send malformed and odd requests to the reference gateway and fixture (child processes) and check the answers, their logs, their peak memory and that they still serve."},
		{name: "list", flags: flagsOf(listFlags), run: noLogger(cmdList),
			summary: "List the specs (name, area, feature, section, labels), then the areas, features (with descriptions) and labels a profile can claim and a --label-filter can select."},
		{name: "compare", args: "BASE.json OTHER.json", run: noLogger(cmdCompare),
			summary: "List the specs whose verdicts or grades differ between two reports (e.g. the reference gateway and yours), then each scenario latency of both runs with its ratio and significance."},
		{name: "matrix", args: "[NAME=]DIR…", flags: flagsOf(matrixFlags), run: noLogger(cmdMatrix),
			summary: "Put gateways side by side: with no DIR, run the reference gateway and each shipped peer (nginx, HAProxy, Caddy) on loopback; with DIRs, use those runs (`run --out DIR`). Writes matrix.json, matrix.md and matrix.html."},
		{name: "profiles validate", args: "FILE…", run: noLogger(cmdProfilesValidate),
			summary: "Check target profiles without running anything."},
		{name: "version", run: noLogger(cmdVersion), summary: "Print gatecheck's version."},
		{name: "help", run: noLogger(cmdHelp), summary: "Print this usage."},
	}
}

// findCommand returns the command named name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

const exitCodes = `Exit codes of run: 0 passed, 1 conformance failure, 2 configuration error,
3 target unreachable, 4 a load scenario failed its thresholds (gate),
5 a load scenario could not produce a verdict (invalid).
`

// usage is the top-level usage: every verb with its summary and flags.
func usage() string {
	var b strings.Builder
	b.WriteString("gatecheck — conformance and traffic tests for API gateways\n\nUsage:\n")
	for i, c := range commands() {
		if i > 0 {
			b.WriteString("\n")
		}
		writeCommand(&b, c, "  ")
	}
	b.WriteString("\n" + exitCodes)
	return b.String()
}

// commandUsage is one command's usage, for its --help.
func commandUsage(c command) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	writeCommand(&b, c, "  ")
	if c.name == "run" {
		b.WriteString("\n" + exitCodes)
	}
	return b.String()
}

func writeCommand(b *strings.Builder, c command, indent string) {
	line := indent + "gatecheck " + c.name
	if c.args != "" {
		line += " " + c.args
	}
	var fs *flag.FlagSet
	if c.flags != nil {
		fs = c.flags()
		line += " [flags]"
	}
	b.WriteString(line + "\n")
	wrap(b, c.summary, indent+"    ")
	if fs == nil {
		return
	}
	fs.VisitAll(func(f *flag.Flag) {
		kind, text := flag.UnquoteUsage(f)
		head := indent + "    --" + f.Name
		if kind != "" {
			head += " " + kind
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "map[]" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		b.WriteString(head + "\n")
		wrap(b, text, indent+"          ")
	})
}

// wrap writes text in lines of at most 80 columns, each starting with
// indent.
func wrap(b *strings.Builder, text, indent string) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > 80 {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
}
