package connections_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/gatecheck/gatecheck/connections"
)

// answers serves the given answers in order (status, error type), then 200,
// and counts the calls.
func answers(t *testing.T, seq ...[2]any) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := int(n.Add(1)) - 1
		if i >= len(seq) {
			return // 200
		}
		if typ := seq[i][1].(string); typ != "" {
			w.Header().Set("X-Amzn-ErrorType", typ)
		}
		w.WriteHeader(seq[i][0].(int))
		_, _ = io.WriteString(w, `{"message":"x"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// noWait is the SDK's standard retryer without its backoff delay.
func noWait() *retry.Standard {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// Under load real API Gateway answers 429 LimitExceededException and 5xx;
// the SDK retries them (3 attempts), and so does a client with a Retryer.
func TestRetriesWhatTheSDKRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		seq   [][2]any
		ok    bool
		calls int32
	}{
		{"429 then 503 then 200", [][2]any{{429, "LimitExceededException"}, {503, ""}}, true, 3},
		{"502 twice", [][2]any{{502, ""}, {502, ""}}, true, 3},
		{"three 500s: gives up after 3 attempts", [][2]any{{500, ""}, {500, ""}, {500, ""}}, false, 3},
		{"410 is final", [][2]any{{410, "GoneException"}}, false, 1},
		{"403 is final", [][2]any{{403, "ForbiddenException"}}, false, 1},
		{"413 is final", [][2]any{{413, "PayloadTooLargeException"}}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := answers(t, tc.seq...)
			c := &connections.Client{Endpoint: srv.URL + "/ws", Retryer: noWait()}
			err := c.PostToConnection(context.Background(), "abc=", []byte("m"))
			if (err == nil) != tc.ok || calls.Load() != tc.calls {
				t.Fatalf("err %v after %d calls; want ok=%v after %d", err, calls.Load(), tc.ok, tc.calls)
			}
		})
	}
}

// Without a Retryer (the checks' client) one answer is final: a check
// judges the gateway's first answer.
func TestNoRetryerMakesOneAttempt(t *testing.T) {
	srv, calls := answers(t, [2]any{429, "LimitExceededException"})
	err := (&connections.Client{Endpoint: srv.URL + "/ws"}).PostToConnection(context.Background(), "abc=", []byte("m"))
	if connections.StatusOf(err) != 429 || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

func TestRetryStopsWithTheContext(t *testing.T) {
	srv, calls := answers(t, [2]any{503, ""}, [2]any{503, ""})
	ctx, cancel := context.WithCancel(context.Background())
	c := &connections.Client{Endpoint: srv.URL + "/ws", Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { cancel(); return time.Hour, nil })
	})}
	if err := c.PostToConnection(ctx, "abc=", []byte("m")); connections.StatusOf(err) != 503 || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; the retry should stop when the context ends", err, calls.Load())
	}
}

// Retries draw on the retryer's quota and first-try successes refill it,
// as with the SDK: calls that need two retries, among calls that succeed
// at once, keep being retried. Without the refill (the first attempt's
// token), the quota runs out after a few dozen such calls and retrying
// stops for good.
func TestRetryQuotaRefills(t *testing.T) {
	const clean = 20 // first-try successes between two calls that need retries
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if i := (n.Add(1) - 1) % (3 + clean); i < 2 { // 503, 503, then 200s
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := &connections.Client{Endpoint: srv.URL + "/ws", Retryer: noWait()}
	for cycle := range 100 {
		for call := range 1 + clean {
			if err := c.PostToConnection(context.Background(), "abc=", []byte("m")); err != nil {
				t.Fatalf("cycle %d, call %d: %v (the retry quota ran out)", cycle, call, err)
			}
		}
	}
}
