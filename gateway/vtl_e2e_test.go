package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gatecheck/gatecheck/gateway"
)

// Mapping templates through the whole gateway, on the reference API's
// /vtl routes (fixtures/README.md): a mock whose templates loop over the
// request body and override the status, an HTTP integration whose request
// template builds the backend's body, and a template that fails.
func TestVTLEndToEnd(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	w := newE2E(t, gateway.Options{})
	defer func() {
		w.close()
		goleak.VerifyNone(t, ignore)
	}()
	jsonCT := map[string]string{"Content-Type": "application/json"}

	t.Run("mock loops over the body", func(t *testing.T) {
		r := w.do(t, "POST", "/test/vtl/items", strings.NewReader(`{"items":[{"name":"a"},{"name":"b"},{"name":"c"}]}`), jsonCT)
		if r.status != 200 || string(r.body) != `{"count": 3, "names": ["a", "b", "c"]}`+"\n" || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("got %d %v %q", r.status, r.header, r.body)
		}
		if r.header.Get("X-Vtl-Accepted") != "" {
			t.Errorf("override header without the override: %v", r.header)
		}
	})

	t.Run("response template overrides the status and a header", func(t *testing.T) {
		r := w.do(t, "POST", "/test/vtl/items", strings.NewReader(`{"items":[{"name":"x"}],"accepted":true}`), jsonCT)
		if r.status != 202 || string(r.body) != `{"count": 1, "names": ["x"]}`+"\n" || r.header.Get("X-Vtl-Accepted") != "yes" {
			t.Errorf("got %d %v %q", r.status, r.header, r.body)
		}
	})

	t.Run("request template selects the 400 response", func(t *testing.T) {
		for _, body := range []string{`{"items":[]}`, `{}`, ``, `not json`} {
			r := w.do(t, "POST", "/test/vtl/items", strings.NewReader(body), jsonCT)
			if r.status != 400 || jsonBody(t, r.body)["message"] != "items must be a non-empty list" {
				t.Errorf("body %q: got %d %s", body, r.status, r.body)
			}
		}
	})

	t.Run("request template builds the http integration's body", func(t *testing.T) {
		r := w.do(t, "POST", "/test/vtl/transform?tag=it's%20new", strings.NewReader(`{"items":[{"name":"pen","qty":2},{"name":"cap","qty":40}]}`), jsonCT)
		b := w.backendRequest(t)
		var sent map[string]any
		if err := json.Unmarshal([]byte(b.body), &sent); err != nil {
			t.Fatalf("the backend got %q, not JSON: %v", b.body, err)
		}
		if b.path != "/echo" || b.method != "POST" || sent["total"] != 42.0 || sent["tagBase64"] != "aXQncyBuZXc=" ||
			sent["tag"] != "it's new" || strings.Join(anyStrings(sent["names"]), ",") != "PEN,CAP" {
			t.Errorf("backend saw %s %s %s", b.method, b.path, b.body)
		}
		if first, _ := sent["first"].(map[string]any); first["name"] != "pen" {
			t.Errorf("first = %v", sent["first"])
		}
		got := jsonBody(t, r.body)
		if r.status != 200 || got["stage"] != "test" || r.header.Get("X-Vtl-Total") != "42" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
		if tr, _ := got["transformed"].(map[string]any); tr["total"] != 42.0 {
			t.Errorf("transformed = %v", got["transformed"])
		}
	})

	t.Run("a template that fails is a 500", func(t *testing.T) {
		r := w.do(t, "GET", "/test/vtl/broken", nil, nil)
		if r.status != 500 || jsonBody(t, r.body)["message"] != "Internal server error" || r.header.Get("x-amzn-ErrorType") != "InternalServerErrorException" {
			t.Errorf("got %d %v %s", r.status, r.header, r.body)
		}
	})
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i], _ = x.(string)
	}
	return out
}
