package wsload_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/wsload"
)

// fakeAPI is a minimal WebSocket API whose @connections answers and close
// handshake a test chooses: the reply route answers {"connectionId"}, a
// POST to @connections/{id} writes its body to that connection.
type fakeAPI struct {
	throttleEvery int  // answer 429 to every n-th POST (0: never)
	throttleAll   bool // answer 429 to every POST
	duplicate     bool // deliver each callback twice
	closeCode     int  // answers the client's close; 0 drops the connection without a close frame
	// deliverRefused delivers the callbacks it answers 429; dropAccepted
	// answers 200 to every 4th accepted one without delivering it.
	deliverRefused, dropAccepted bool

	mu    sync.Mutex
	conns map[string]*fakeConn
	posts atomic.Int64
	next  atomic.Int64
	wg    sync.WaitGroup
}

type fakeConn struct {
	mu sync.Mutex // gorilla allows one writer at a time
	c  *gws.Conn
}

func (f *fakeConn) write(msg []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.c.WriteMessage(gws.TextMessage, msg)
}

// serve starts f and returns its ws:// base URL; the server and every
// connection's handler end with the test.
func (f *fakeAPI) serve(t *testing.T) string {
	f.conns = map[string]*fakeConn{}
	upgrader := gws.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/ws/@connections/"); ok && r.Method == http.MethodPost {
			f.callback(w, r, id)
			return
		}
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.wg.Add(1)
		defer f.wg.Done()
		defer c.Close()
		id := fmt.Sprintf("c%d", f.next.Add(1))
		fc := &fakeConn{c: c}
		f.mu.Lock()
		f.conns[id] = fc
		f.mu.Unlock()
		c.SetCloseHandler(func(int, string) error {
			if f.closeCode == 0 {
				return c.UnderlyingConn().Close()
			}
			fc.mu.Lock()
			defer fc.mu.Unlock()
			return c.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(f.closeCode, ""), time.Now().Add(time.Second))
		})
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(msg), `"reply"`) {
				_ = fc.write([]byte(`{"connectionId":"` + id + `"}`))
			}
		}
	}))
	t.Cleanup(func() {
		srv.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			_ = c.c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func (f *fakeAPI) callback(w http.ResponseWriter, r *http.Request, id string) {
	n := f.posts.Add(1)
	f.mu.Lock()
	c := f.conns[id]
	f.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if f.throttleAll || (f.throttleEvery > 0 && n%int64(f.throttleEvery) == 0) {
		if f.deliverRefused && c != nil && err == nil {
			_ = c.write(body)
		}
		w.Header().Set("X-Amzn-ErrorType", "LimitExceededException")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if f.dropAccepted && n%4 == 1 {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil || c == nil {
		w.WriteHeader(http.StatusGone)
		return
	}
	times := 1
	if f.duplicate {
		times = 2
	}
	for range times {
		if c.write(body) != nil {
			w.WriteHeader(http.StatusGone)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// runAgainst runs a short scenario against f.
func runAgainst(t *testing.T, f *fakeAPI) reports.Phase {
	t.Helper()
	sc, err := wsload.Run(context.Background(), options(f.serve(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Phases) != 1 {
		t.Fatalf("%d phases", len(sc.Phases))
	}
	return sc.Phases[0]
}

// wantPassedNonStrict: passed, with one NON-STRICT reason that says why.
func wantPassedNonStrict(t *testing.T, ph reports.Phase, why string) {
	t.Helper()
	r := wsload.NonStrictReasons(ph)
	if ph.Verdict != reports.Passed || len(r) != 1 || !strings.Contains(r[0], why) {
		t.Fatalf("verdict %s (%s), non-strict %q, values %v: want passed, NON-STRICT for %q", ph.Verdict, ph.Reason, r, ph.Values, why)
	}
}

func TestFakeAPIPassesStrictly(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{closeCode: gws.CloseNormalClosure})
	if ph.Verdict != reports.Passed || len(wsload.NonStrictReasons(ph)) > 0 {
		t.Fatalf("verdict %s (%s), values %v: want a strict pass", ph.Verdict, ph.Reason, ph.Values)
	}
}

// A 429 is API Gateway's documented refusal (LimitExceededException), not
// a lost callback.
func TestThrottledCallbacksAreNonStrict(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{throttleEvery: 3, closeCode: gws.CloseNormalClosure})
	wantPassedNonStrict(t, ph, "429 LimitExceededException")
	if ph.Values["throttled"] == 0 || ph.Values["lost"] != 0 {
		t.Fatalf("values %v: want throttled counted apart, nothing lost", ph.Values)
	}
}

func TestEveryCallbackThrottledIsInvalid(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{throttleAll: true, closeCode: gws.CloseNormalClosure})
	if ph.Verdict != reports.Invalid || !strings.Contains(ph.Reason, "429") {
		t.Fatalf("verdict %s (%s): want invalid, nothing to judge", ph.Verdict, ph.Reason)
	}
}

// Exactly-once delivery is documented nowhere (spec §8.3).
func TestDuplicatedCallbacksAreNonStrict(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{duplicate: true, closeCode: gws.CloseNormalClosure})
	wantPassedNonStrict(t, ph, "more than once")
}

// Close codes are UNCONFIRMED (spec §2.1, §14).
func TestOtherCloseCodeIsNonStrict(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{closeCode: gws.CloseGoingAway})
	wantPassedNonStrict(t, ph, "another close code")
}

// A close with no close frame in answer breaks RFC 6455 §5.5.1, but no AWS
// source records what API Gateway does.
func TestUnansweredCloseIsNonStrict(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{})
	wantPassedNonStrict(t, ph, "no close frame")
	if ph.Values["closeUnanswered"] != 10 {
		t.Fatalf("values %v: want 10 unanswered closes", ph.Values)
	}
}

// A refused callback that arrives anyway must not hide an accepted one
// that never does: loss is counted number by number.
func TestRefusedArrivalsDoNotHideLoss(t *testing.T) {
	ph := runAgainst(t, &fakeAPI{throttleEvery: 3, deliverRefused: true, dropAccepted: true, closeCode: gws.CloseNormalClosure})
	if ph.Verdict != reports.Failed || ph.Values["lost"] == 0 {
		t.Fatalf("verdict %s (%s), values %v: want failed, the dropped callbacks lost", ph.Verdict, ph.Reason, ph.Values)
	}
}
