package gateway_test

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway"
)

// API Gateway's header-value and URL quotas (spec §2) are enforced before
// the integration is called; the previous gateway answered both with 200.
func TestHeaderAndURLQuotasEndToEnd(t *testing.T) {
	w := newE2E(t, gateway.Options{})
	defer w.close()
	addr := strings.TrimPrefix(w.srv.URL, "http://")
	if resp := w.do(t, "GET", "/test/inspect", nil, map[string]string{"X-Big": strings.Repeat("h", 66000)}); resp.status != 431 {
		t.Errorf("66,000-byte header: status %d, want 431", resp.status)
	}
	long := "GET /test/inspect?q=" + strings.Repeat("u", 65536) + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
	if status := rawRequest(t, addr, long, false); status != 414 {
		t.Errorf("65,536-character URL: status %d, want 414", status)
	}
	if n := w.hits.Load(); n != 0 {
		t.Errorf("the backend was called %d times for requests over the quotas", n)
	}
	if resp := w.do(t, "GET", "/test/inspect", nil, map[string]string{"X-Ok": strings.Repeat("o", 9000)}); resp.status != 200 {
		t.Errorf("9,000-byte header: status %d, want 200", resp.status)
	}
}
