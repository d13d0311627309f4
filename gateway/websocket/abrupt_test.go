package websocket

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors here: %v", err)
	}
	return len(entries)
}

// settled closes every idle pooled connection on both sides of the
// integration, so that what remains is the gateway's own.
func (h *harness) settled() (goroutines, fds int) {
	h.gw.owned.CloseIdleConnections()
	h.backend.srv.CloseClientConnections()
	h.client.CloseIdleConnections()
	runtime.GC()
	return runtime.NumGoroutine(), openFDs(h.t)
}

// Clients that vanish without a close frame (a killed process, a pulled
// cable) must leave nothing behind: every connection is unregistered, gets
// its $disconnect, and its goroutines and descriptors are released.
func TestAbruptDisconnectsReleaseGoroutinesAndDescriptors(t *testing.T) {
	h := newHarness(t, loadFixture(t, "reference.websocket.yaml"))
	warm, _ := h.connect("ws") // one full cycle first: pools and lazy state exist
	warm.UnderlyingConn().Close()
	h.backend.nextOf(t, "DISCONNECT")
	baseG, baseFD := h.settled()

	const n = 50
	var conns []interface{ Close() error }
	for range n {
		ws, _ := h.connect("ws")
		conns = append(conns, ws.UnderlyingConn())
	}
	for _, c := range conns {
		c.Close() // abrupt: no close frame, the TCP connection just goes
	}
	for range n {
		h.backend.nextOf(t, "DISCONNECT")
	}
	deadline := time.Now().Add(wait)
	for {
		g, fds := h.settled()
		if h.gw.Connections() == 0 && g <= baseG && fds <= baseFD {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d abrupt disconnects: %d connections registered, goroutines %d (baseline %d), descriptors %d (baseline %d)",
				n, h.gw.Connections(), g, baseG, fds, baseFD)
		}
		time.Sleep(10 * time.Millisecond) // polling the runtime's counts, bounded above
	}
}
