package gateway_test

// Backend faults, on the real clock and real sockets: a backend killed in
// the middle of load and restarted, and one that accepts connections and
// never answers. The documented answers (spec §1, §9): an integration the
// gateway cannot reach is INTEGRATION_FAILURE (504 "Network error
// communicating with endpoint"), one that does not answer in time is
// INTEGRATION_TIMEOUT (504 "Endpoint request timed out").

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// faultGateway serves the reference API on the real clock with its backend
// at addr.
func faultGateway(t *testing.T, backendAddr string) *httptest.Server {
	t.Helper()
	api, err := restapi.LoadFile("../fixtures/apis/reference.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stages := []restapi.Stage{{StageName: "test", Variables: map[string]string{"backend": backendAddr}}}
	gw, err := gateway.New(api, &restapi.StageFile{Stages: stages}, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() { srv.Close(); gw.Close() })
	return srv
}

// okBackend answers every request with 200 on ln until closed.
func okBackend(ln net.Listener) *http.Server {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	return srv
}

// outcome is one client request through the gateway.
type outcome struct {
	status  int
	message string
	took    time.Duration
	err     error
}

func message(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &m)
	return m.Message
}

func TestBackendKilledMidLoadRecovers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	backend := okBackend(ln)
	gw := faultGateway(t, addr)
	client := &http.Client{Timeout: 40 * time.Second} // above the route's 29 s integration timeout
	defer client.CloseIdleConnections()

	var mu sync.Mutex
	var all []outcome
	var ok, failed atomic.Int64
	streak := atomic.Int64{} // consecutive 200s, across workers
	stop := make(chan struct{})
	var workers sync.WaitGroup
	for range 4 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				o := outcome{}
				resp, err := client.Get(gw.URL + "/test/inspect")
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					o.status, o.message = resp.StatusCode, message(body)
				}
				o.took, o.err = time.Since(start), err
				if o.status == http.StatusOK {
					ok.Add(1)
					streak.Add(1)
				} else {
					failed.Add(1)
					streak.Store(0)
				}
				mu.Lock()
				all = append(all, o)
				mu.Unlock()
			}
		}()
	}
	// await polls a condition on the counters, within a bound.
	await := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				workers.Wait()
				t.Fatalf("%s: not within 15 s (ok %d, failed %d)", what, ok.Load(), failed.Load())
			}
			time.Sleep(time.Millisecond) // polling the workers' counters
		}
	}
	await("traffic flowing", func() bool { return ok.Load() >= 50 })

	_ = backend.Close() // killed: the listener and every open connection
	failedBefore := failed.Load()
	await("failures while the backend is down", func() bool { return failed.Load() >= failedBefore+20 })

	ln, err = net.Listen("tcp", addr) // restarted on the same address
	if err != nil {
		close(stop)
		workers.Wait()
		t.Fatalf("restarting the backend on %s: %v", addr, err)
	}
	backend = okBackend(ln)
	defer backend.Close()
	await("recovery after the restart", func() bool { return streak.Load() >= 100 })
	close(stop)
	workers.Wait()

	for _, o := range all {
		switch {
		case o.err != nil:
			t.Errorf("the client saw a transport error, not a gateway answer: %v", o.err)
		case o.status == http.StatusOK:
		case o.status != http.StatusGatewayTimeout || o.message != "Network error communicating with endpoint":
			t.Errorf("backend down: %d %q, want 504 \"Network error communicating with endpoint\" (INTEGRATION_FAILURE)", o.status, o.message)
		case o.took > 29*time.Second:
			t.Errorf("the failure took %v, beyond the 29 s integration timeout", o.took)
		}
	}
	t.Logf("%d requests: %d ok, %d integration failures while the backend was down", len(all), ok.Load(), failed.Load())
}

func TestBackendThatNeverAnswersTimesOut(t *testing.T) {
	// Accepts connections and never reads or answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		heldMu.Lock()
		for _, c := range held {
			c.Close()
		}
		heldMu.Unlock()
	}()
	gw := faultGateway(t, ln.Addr().String())
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	const timeout = time.Second // /delay/{ms}'s timeoutInMillis in the reference API
	for range 3 {
		start := time.Now()
		resp, err := client.Get(gw.URL + "/test/delay/0")
		if err != nil {
			t.Fatalf("transport error instead of the gateway's 504: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusGatewayTimeout || message(body) != "Endpoint request timed out" {
			t.Errorf("%d %s, want 504 Endpoint request timed out", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		// The answer comes at the integration timeout: not before it, and
		// not long after (a loose upper bound, for a loaded machine).
		if took < timeout-50*time.Millisecond || took > timeout+3*time.Second {
			t.Errorf("answered after %v, want about the %v integration timeout", took, timeout)
		}
	}
}
