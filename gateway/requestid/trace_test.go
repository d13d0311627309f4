package requestid_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/requestid"
)

var parentRE = regexp.MustCompile(`^Parent=[0-9a-f]{16}$`)

func TestTraceHeaderKeepsAFullClientHeader(t *testing.T) {
	for _, client := range []string{
		// AWS-REC (test_invocation_trace_id): returned as sent.
		"Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1",
		"Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72",
		"Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=2fe8f66445fc1e77;Sampled=0;Lineage=1:d0782663:0",
	} {
		if got := requestid.TraceHeader(client, start.Unix()); got != client {
			t.Errorf("TraceHeader(%q) = %q, want it verbatim", client, got)
		}
	}
}

func TestTraceHeaderAddsAParentToARootOnlyHeader(t *testing.T) {
	const root = "Root=1-3152b799-8954dae64eda91bc9a23a7e8"
	for _, tc := range []struct{ client, sampled, rest string }{
		{root, "Sampled=0", ""},
		{root + ";Sampled=1", "Sampled=1", ""},
		{" " + root + " ; Lineage=1:d0782663:0", "Sampled=0", "Lineage=1:d0782663:0"},
	} {
		got := requestid.TraceHeader(tc.client, start.Unix())
		f := strings.Split(got, ";")
		if f[0] != root || len(f) < 3 || !parentRE.MatchString(f[1]) || f[2] != tc.sampled {
			t.Errorf("TraceHeader(%q) = %q, want %s;Parent=<16 hex>;%s", tc.client, got, root, tc.sampled)
			continue
		}
		if rest := strings.Join(f[3:], ";"); rest != tc.rest {
			t.Errorf("TraceHeader(%q) = %q: other fields %q, want %q", tc.client, got, rest, tc.rest)
		}
		if again := requestid.TraceHeader(tc.client, start.Unix()); again == got {
			t.Errorf("two requests got the same Parent: %q", got)
		}
	}
}

func TestTraceHeaderGeneratesARoot(t *testing.T) {
	re := regexp.MustCompile(`^Root=1-([0-9a-f]{8})-[0-9a-f]{24}$`)
	for _, client := range []string{"", "client-trace", "Parent=7fa8c0f79203be72;Sampled=1", "Root="} {
		got := requestid.TraceHeader(client, start.Unix())
		m := re.FindStringSubmatch(got)
		if m == nil || m[1] != "665f01c0" { // 2024-06-04T12:00:00Z
			t.Errorf("TraceHeader(%q) = %q, want a new Root=1-665f01c0-<24 hex>", client, got)
		}
	}
	if got := requestid.TraceHeader("", 0x1f); !strings.HasPrefix(got, "Root=1-0000001f-") {
		t.Errorf("epoch not padded to 8 hex digits: %q", got)
	}
}

// The stage puts the header it builds in the request context.
func TestStageTraceIDRootOnly(t *testing.T) {
	req := httptest.NewRequest("GET", "/test/x", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-3152b799-8954dae64eda91bc9a23a7e8")
	_, c := run(t, req, 200)
	if f := strings.Split(c.TraceID, ";"); len(f) != 3 || !parentRE.MatchString(f[1]) {
		t.Errorf("context trace id %q has no new Parent", c.TraceID)
	}
}

func BenchmarkTraceHeaderRootOnly(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		requestid.TraceHeader("Root=1-3152b799-8954dae64eda91bc9a23a7e8", 1)
	}
}
