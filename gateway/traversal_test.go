package gateway_test

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
)

// A greedy {proxy+} path must never carry a dot segment to the backend:
// a backend that resolves it would serve something outside the
// integration's URI prefix (/inspect/{proxy}). Sent raw, as an attacker
// would (HTTP clients resolve dot segments themselves).
func TestGreedyPathCannotLeaveTheIntegrationPrefix(t *testing.T) {
	w := newE2E(t, gateway.Options{})
	defer w.close()
	addr := strings.TrimPrefix(w.srv.URL, "http://")
	for _, path := range []string{
		"/test/inspect/..%2F..%2Fcounters",
		"/test/inspect/%2e%2e%2F%2e%2e%2Fcounters",
		"/test/inspect/a%2F..%2F..%2F..%2Fcounters",
		"/test/inspect/..%5C..%5Ccounters",
		"/test/inspect/x/%2e%2e/%2e%2e/%2e%2e/test/inspect/y",
		"/test/inspect/x/../../../test/inspect/y",
		"/test/inspect/./a/.%2E/b",
	} {
		status := rawRequest(t, addr, "GET "+path+" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n", false)
		if status == 0 || status >= 500 {
			t.Errorf("%s: status %d, want a 2xx or the documented 4xx", path, status)
		}
		select {
		case seen := <-w.seen:
			if !strings.HasPrefix(seen.path, "/inspect/") {
				t.Errorf("%s reached the backend outside the prefix: %q", path, seen.path)
			}
			for _, part := range strings.FieldsFunc(seen.path, func(r rune) bool { return r == '/' || r == '\\' }) {
				if part == "." || part == ".." {
					t.Errorf("%s reached the backend with a dot segment: %q", path, seen.path)
				}
			}
		default: // refused before the backend: nothing to check
		}
	}
}
