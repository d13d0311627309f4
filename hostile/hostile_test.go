package hostile_test

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/hostile"
	"github.com/gatecheck/gatecheck/runner"
	"github.com/gatecheck/gatecheck/serving"
)

// shortDeadlines are server limits that end slow probes in a second.
func shortDeadlines() map[serving.Kind]serving.Limits {
	m := map[serving.Kind]serving.Limits{}
	for _, k := range []serving.Kind{serving.REST, serving.Management, serving.WebSocket, serving.Fixture} {
		l := serving.Defaults(k)
		l.ReadHeaderTimeout, l.BodyTimeout = time.Second, time.Second
		m[k] = l
	}
	return m
}

// startReference starts the reference gateway and fixture in-process and
// returns their targets.
func startReference(t *testing.T) hostile.Targets {
	t.Helper()
	e, err := runner.StartEmbeddedWith(runner.EmbeddedOptions{Limits: shortDeadlines()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	host := func(u string) string { return u[strings.Index(u, "://")+3:] }
	targets := hostile.ReferenceTargets(host(e.GatewayURL), host(e.ManagementURL), host(e.WebSocketURL), host(e.FixtureURL))
	targets.ServerDeadline = time.Second // shortDeadlines
	return targets
}

func TestEveryCategoryPassesAgainstTheReferenceGateway(t *testing.T) {
	targets := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := hostile.Run(ctx, targets, hostile.Options{Requests: requests(), ProbeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	if !rep.Passed() {
		t.Fatalf("hostile suite failed against the reference gateway:\n%s", out.String())
	}
	t.Logf("%d probes in %v\n%s", rep.Probes, rep.Duration, out.String())
	if err := hostile.CheckServing(ctx, targets); err != nil {
		t.Errorf("the gateway no longer serves normal traffic after the probes: %v", err)
	}
}

// CheckServing notices a listener that does not serve: here the gateway
// address points at a closed port.
func TestCheckServingNoticesADeadListener(t *testing.T) {
	targets := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hostile.CheckServing(ctx, targets); err != nil {
		t.Fatalf("the fresh reference gateway does not serve: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	targets.Gateway = dead
	if err := hostile.CheckServing(ctx, targets); err == nil || !strings.Contains(err.Error(), "through the gateway") {
		t.Errorf("CheckServing against a closed port: %v", err)
	}
}

func requests() int {
	if n, err := strconv.Atoi(os.Getenv("HOSTILE_TEST_REQUESTS")); err == nil && n > 0 {
		return n
	}
	return 400 // every category at least once; make test also runs 1,500 through the binary (hostile-short)
}
